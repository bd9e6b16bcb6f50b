/// A detection confusion matrix as Ultralytics' `ConfusionMatrix.process_batch` defines it, with ground truth in
/// rows and predictions in columns (the transpose of Ultralytics' own array).
public struct ConfusionMatrix: Sendable, Equatable {
    /// The dataset's categories, in the order of the rows and columns; the last row and column are background.
    public var categoryIDs: [Int64]
    /// `(categoryIDs.count + 1)` rows of as many counts: `counts[g][p]` is how many ground-truth boxes of class `g`
    /// were matched by a detection of class `p`. Row `n` (background) holds detections that matched no ground
    /// truth (false positives, by predicted class); column `n` holds ground truth that no detection matched.
    public var counts: [[Int]]
    /// A detection and a ground-truth box may match when their IoU is above this (strictly).
    public var iouThreshold: Double
    /// Detections count when their score is above this (strictly).
    public var scoreThreshold: Double

    /// The background index (`categoryIDs.count`).
    public var background: Int { categoryIDs.count }
}

/// Computes `ConfusionMatrix`es.
///
/// Per image, as Ultralytics does: detections with score > `scoreThreshold` are kept; every (ground truth,
/// detection) pair with IoU > `iouThreshold` is a candidate, regardless of class; each detection keeps its
/// candidate of highest IoU, then each ground-truth box keeps the remaining candidate of highest IoU. A
/// ground-truth box with a candidate counts in the cell (its class, the detection's class), one without in the
/// background column; a detection left without ground truth counts in the background row. Ground truth the
/// protocols ignore (COCO crowd, VOC difficult, VisDrone ignored boxes) is left out, as Ultralytics' dataset
/// converters leave it out; IoU is the plain pixel IoU (no `+1`, no epsilon); ties keep the first pair in
/// (ground truth, detection) file order.
public enum ConfusionAnalysis {
    public static func compute(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, iouThreshold: Double = 0.5,
        scoreThreshold: Double = 0.25
    ) -> ConfusionMatrix {
        let categories = groundTruth.categoryIDs
        let n = categories.count
        var index: [Int64: Int] = [:]
        for (i, id) in categories.enumerated() { index[id] = i }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: n + 1)

        let imageCount = groundTruth.imageCount
        var truthByImage = [[Int]](repeating: [], count: imageCount)
        for box in 0..<groundTruth.count
        where !groundTruth.isCrowd[box] && !groundTruth.isIgnored[box] && !groundTruth.isDifficult[box] {
            let image = Int(groundTruth.image[box])
            if image >= 0 && image < imageCount && index[groundTruth.category[box]] != nil {
                truthByImage[image].append(box)
            }
        }
        var detectionsByImage = [[Int]](repeating: [], count: imageCount)
        for det in 0..<detections.count where detections.score[det] > scoreThreshold {
            let image = Int(detections.image[det])
            if image >= 0 && image < imageCount && index[detections.category[det]] != nil {
                detectionsByImage[image].append(det)
            }
        }

        for image in 0..<imageCount {
            let truths = truthByImage[image]
            let dets = detectionsByImage[image]
            // Each detection's best candidate (ground-truth position, IoU).
            var bestTruth = [Int](repeating: -1, count: dets.count)
            var bestIoU = [Double](repeating: 0, count: dets.count)
            for (d, det) in dets.enumerated() {
                for (g, truth) in truths.enumerated() {
                    let iou = BoxOverlap.iou(
                        detections.x[det], detections.y[det], detections.width[det], detections.height[det],
                        groundTruth.x[truth], groundTruth.y[truth], groundTruth.width[truth],
                        groundTruth.height[truth])
                    if iou > iouThreshold && (bestTruth[d] < 0 || iou > bestIoU[d]) {
                        bestTruth[d] = g
                        bestIoU[d] = iou
                    }
                }
            }
            // Each ground-truth box's best remaining candidate.
            var matchedDetection = [Int](repeating: -1, count: truths.count)
            var matchedIoU = [Double](repeating: 0, count: truths.count)
            for d in 0..<dets.count where bestTruth[d] >= 0 {
                let g = bestTruth[d]
                if matchedDetection[g] < 0 || bestIoU[d] > matchedIoU[g] {
                    matchedDetection[g] = d
                    matchedIoU[g] = bestIoU[d]
                }
            }
            var detectionMatched = [Bool](repeating: false, count: dets.count)
            for (g, truth) in truths.enumerated() {
                let row = index[groundTruth.category[truth]]!
                if matchedDetection[g] >= 0 {
                    let d = matchedDetection[g]
                    detectionMatched[d] = true
                    counts[row][index[detections.category[dets[d]]]!] += 1
                } else {
                    counts[row][n] += 1
                }
            }
            for (d, det) in dets.enumerated() where !detectionMatched[d] {
                counts[n][index[detections.category[det]]!] += 1
            }
        }
        return ConfusionMatrix(
            categoryIDs: categories, counts: counts, iouThreshold: iouThreshold, scoreThreshold: scoreThreshold)
    }
}
