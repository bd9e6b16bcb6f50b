import EvalKit

/// Subsets of evaluation inputs, keeping the store mappings aligned.
enum InputSelection {
    typealias Inputs = (EvalGroundTruth, [Int64], EvalDetections, [Int64])

    /// Keeps only the selected images, renumbered in order, with their boxes, regions and detections.
    static func keepImages(
        _ keep: [Bool], _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections,
        _ seq: [Int64]
    ) -> Inputs {
        filterRows(groundTruth, boxRowIDs, detections, seq, keepImage: keep, keepCategory: nil, scoreThreshold: nil)
    }

    /// Keeps the given categories (nil = all) and detections scoring at least `scoreThreshold`.
    static func filter(
        _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections, _ seq: [Int64],
        categories: [Int64]?, scoreThreshold: Double?
    ) -> Inputs {
        if categories == nil && scoreThreshold == nil { return (groundTruth, boxRowIDs, detections, seq) }
        return filterRows(
            groundTruth, boxRowIDs, detections, seq, keepImage: nil, keepCategory: categories.map(Set.init),
            scoreThreshold: scoreThreshold)
    }

    private static func filterRows(
        _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections, _ seq: [Int64],
        keepImage: [Bool]?, keepCategory: Set<Int64>?, scoreThreshold: Double?
    ) -> Inputs {
        var gt = EvalGroundTruth(
            imageIDs: groundTruth.imageIDs, imageWidths: groundTruth.imageWidths,
            imageHeights: groundTruth.imageHeights, categoryIDs: groundTruth.categoryIDs)
        if let keepCategory { gt.categoryIDs = gt.categoryIDs.filter(keepCategory.contains) }
        var boxes: [Int64] = []
        for i in 0..<groundTruth.count {
            if let keepImage, !keepImage[Int(groundTruth.image[i])] { continue }
            if let keepCategory, !keepCategory.contains(groundTruth.category[i]) { continue }
            gt.appendBox(
                image: groundTruth.image[i], category: groundTruth.category[i], x: groundTruth.x[i],
                y: groundTruth.y[i], width: groundTruth.width[i], height: groundTruth.height[i],
                area: groundTruth.area[i], isCrowd: groundTruth.isCrowd[i], isIgnored: groundTruth.isIgnored[i],
                isDifficult: groundTruth.isDifficult[i], annotationID: groundTruth.annotationID[i])
            boxes.append(boxRowIDs[i])
        }
        for i in groundTruth.regionImage.indices {
            if let keepImage, !keepImage[Int(groundTruth.regionImage[i])] { continue }
            gt.appendRegion(
                image: groundTruth.regionImage[i], x: groundTruth.regionX[i], y: groundTruth.regionY[i],
                width: groundTruth.regionWidth[i], height: groundTruth.regionHeight[i])
        }
        var dt = EvalDetections()
        var keptSeq: [Int64] = []
        for i in 0..<detections.count {
            if let keepImage, !keepImage[Int(detections.image[i])] { continue }
            if let keepCategory, !keepCategory.contains(detections.category[i]) { continue }
            if let scoreThreshold, !(detections.score[i] >= scoreThreshold) { continue }
            dt.append(
                image: detections.image[i], category: detections.category[i], score: detections.score[i],
                x: detections.x[i], y: detections.y[i], width: detections.width[i], height: detections.height[i])
            keptSeq.append(seq[i])
        }
        if let keepImage {
            // Unselected images leave the evaluation entirely: renumber the kept ones.
            var newIndex = [Int32](repeating: -1, count: keepImage.count)
            var next: Int32 = 0
            for (index, kept) in keepImage.enumerated() where kept {
                newIndex[index] = next
                next += 1
            }
            gt.imageIDs = zip(groundTruth.imageIDs, keepImage).filter(\.1).map(\.0)
            gt.imageWidths = zip(groundTruth.imageWidths, keepImage).filter(\.1).map(\.0)
            gt.imageHeights = zip(groundTruth.imageHeights, keepImage).filter(\.1).map(\.0)
            gt.image = gt.image.map { newIndex[Int($0)] }
            gt.regionImage = gt.regionImage.map { newIndex[Int($0)] }
            dt.image = dt.image.map { newIndex[Int($0)] }
        }
        return (gt, boxes, dt, keptSeq)
    }
}
