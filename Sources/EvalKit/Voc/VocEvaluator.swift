/// PASCAL VOC detection evaluation with the devkit's semantics (`VOCevaldet.m`), which py-faster-rcnn's
/// `voc_eval.py` reproduces on every case at hand.
///
/// Per class, over the whole image set:
/// - `positives` = the non-difficult ground truths. Detections of the class are taken by score, descending;
///   ties keep input order (a stable sort: the devkit's `sort(-confidence)`), NaN scores last.
/// - Each detection takes the ground truth of best IoU among all of its class in its image, difficult and
///   already matched ones included; the first maximum wins. IoU uses inclusive pixel corners
///   (`x2 - x1 + 1`); boxes are stored as `x = xmin`, `width = xmax - xmin`.
/// - `iou >= threshold`: a difficult ground truth makes the detection neither TP nor FP; an unmatched one makes
///   it a TP; an already matched one a FP (there is no fallback to the second best). Below: FP.
/// - `recall = cumsum(tp) / positives`, `precision = cumsum(tp) / (cumsum(tp) + cumsum(fp))` (0 while both are
///   0), then the 11-point or all-point AP (`VocMetric`).
public enum VocEvaluator {
    /// Evaluates `dt` against `gt`.
    ///
    /// Classes are `gt.categoryIDs`; detections of any other category are left out (outcome -1). Detections are
    /// expected to refer to images `0..<gt.imageCount`; others find no ground truth and are false positives.
    public static func evaluate(_ gt: EvalGroundTruth, _ dt: EvalDetections, parameters: VocParameters) -> VocResult {
        let classCount = gt.categoryIDs.count
        var classOf: [Int64: Int] = [:]
        for (position, id) in gt.categoryIDs.enumerated() { classOf[id] = position }

        // Ground truths per class, then per image, in file order.
        var groundTruthByClass = [[Int32: [Int]]](repeating: [:], count: classCount)
        var positives = [Int](repeating: 0, count: classCount)
        for box in 0..<gt.count {
            guard let position = classOf[gt.category[box]] else { continue }
            groundTruthByClass[position][gt.image[box], default: []].append(box)
            if !gt.isDifficult[box] { positives[position] += 1 }
        }
        var detectionsByClass = [[Int]](repeating: [], count: classCount)
        for detection in 0..<dt.count {
            if let position = classOf[dt.category[detection]] { detectionsByClass[position].append(detection) }
        }

        var outcome = [Int8](repeating: -1, count: dt.count)
        var matchedGroundTruth = [Int32](repeating: -1, count: dt.count)
        var iou = [Double](repeating: 0, count: dt.count)
        var isMatched = [Bool](repeating: false, count: gt.count)
        var classes: [VocClassResult] = []
        classes.reserveCapacity(classCount)

        for position in 0..<classCount {
            let order = scoreOrder(detectionsByClass[position], scores: dt.score)
            var recall: [Double] = []
            var precision: [Double] = []
            recall.reserveCapacity(order.count)
            precision.reserveCapacity(order.count)
            var truePositives = 0
            var falsePositives = 0
            for detection in order {
                let candidates = groundTruthByClass[position][dt.image[detection]] ?? []
                let (best, overlap) = bestMatch(detection, dt, among: candidates, gt)
                iou[detection] = overlap == -.infinity ? 0 : overlap
                if overlap >= parameters.iouThreshold, let best {
                    matchedGroundTruth[detection] = Int32(best)
                    if gt.isDifficult[best] {
                        outcome[detection] = -1
                    } else if !isMatched[best] {
                        isMatched[best] = true
                        outcome[detection] = 1
                        truePositives += 1
                    } else {
                        outcome[detection] = 0
                        falsePositives += 1
                    }
                } else {
                    outcome[detection] = 0
                    falsePositives += 1
                }
                let counted = truePositives + falsePositives
                recall.append(Double(truePositives) / Double(positives[position]))
                precision.append(counted == 0 ? 0 : Double(truePositives) / Double(counted))
            }
            var ap: Double?
            if positives[position] > 0 {
                switch parameters.metric {
                case .elevenPoint: ap = VocAveragePrecision.elevenPoint(recall: recall, precision: precision)
                case .allPoint: ap = VocAveragePrecision.allPoint(recall: recall, precision: precision)
                }
            }
            classes.append(
                VocClassResult(
                    categoryID: gt.categoryIDs[position], ap: ap, positives: positives[position],
                    detections: order.count, truePositives: truePositives, falsePositives: falsePositives))
        }

        let scored = classes.compactMap(\.ap)
        let mAP = scored.isEmpty ? nil : scored.reduce(0, +) / Double(scored.count)
        return VocResult(
            mAP: mAP, classes: classes, outcome: outcome, matchedGroundTruth: matchedGroundTruth, iou: iou)
    }

    /// `detections` stably sorted by score, descending, NaN last.
    static func scoreOrder(_ detections: [Int], scores: [Double]) -> [Int] {
        // Sorting (rank, key) pairs with the rank as tie-break makes the sort stable.
        detections.enumerated().sorted { left, right in
            let a = scores[left.element]
            let b = scores[right.element]
            if a.isNaN != b.isNaN { return b.isNaN }
            if a != b && !a.isNaN { return a > b }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// The first ground truth of maximal VOC IoU with `detection` among `candidates`, and that IoU; `(nil,
    /// -infinity)` when none overlaps.
    static func bestMatch(
        _ detection: Int, _ dt: EvalDetections, among candidates: [Int], _ gt: EvalGroundTruth
    ) -> (Int?, Double) {
        let dx1 = dt.x[detection]
        let dy1 = dt.y[detection]
        let dx2 = dx1 + dt.width[detection]
        let dy2 = dy1 + dt.height[detection]
        var best: Int?
        var overlapMax = -Double.infinity
        for box in candidates {
            guard let overlap = overlap(dx1, dy1, dx2, dy2, gt, box) else { continue }
            if overlap > overlapMax {
                overlapMax = overlap
                best = box
            }
        }
        return (best, overlapMax)
    }

    /// The devkit's IoU of the detection with corners `(dx1, dy1)`, `(dx2, dy2)` and ground-truth box `box`, with
    /// inclusive pixel corners (`+ 1`); nil when they do not overlap (the devkit skips such boxes).
    static func overlap(
        _ dx1: Double, _ dy1: Double, _ dx2: Double, _ dy2: Double, _ gt: EvalGroundTruth, _ box: Int
    ) -> Double? {
        let gx1 = gt.x[box]
        let gy1 = gt.y[box]
        let gx2 = gx1 + gt.width[box]
        let gy2 = gy1 + gt.height[box]
        let iw = min(dx2, gx2) - max(dx1, gx1) + 1
        let ih = min(dy2, gy2) - max(dy1, gy1) + 1
        guard iw > 0 && ih > 0 else { return nil }
        let union = (dx2 - dx1 + 1) * (dy2 - dy1 + 1) + (gx2 - gx1 + 1) * (gy2 - gy1 + 1) - iw * ih
        return iw * ih / union
    }
}
