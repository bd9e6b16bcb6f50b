/// Precision, recall and F1 of the detections scoring at least `threshold`.
public struct ThresholdPoint: Sendable, Equatable {
    public var threshold: Double
    public var precision: Double
    /// 0 when the class has no ground truth.
    public var recall: Double
    /// `2 TP / (2 TP + FP + FN)`, the harmonic mean of precision and recall (0 without true positives).
    public var f1: Double
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
}

/// The operating points of one class (or of all classes pooled), one per distinct score.
public struct ThresholdCurve: Sendable, Equatable {
    /// One point per distinct score, highest threshold first.
    public var points: [ThresholdPoint]
    /// The point of highest F1 (the highest threshold among equal F1); nil without any true positive.
    public var best: ThresholdPoint?
    /// With a target precision: the lowest threshold whose precision reaches it; nil when none does.
    public var atTargetPrecision: ThresholdPoint?
    /// Ground-truth boxes that count (ignored ones excluded).
    public var groundTruth: Int
}

/// Best-F1 (and target-precision) score thresholds of a run, per class and overall.
public struct ThresholdAnalysis: Sendable, Equatable {
    public struct ClassCurve: Sendable, Equatable {
        public var categoryID: Int64
        public var curve: ThresholdCurve
    }

    public var iouThreshold: Double
    public var targetPrecision: Double?
    /// All classes pooled: one threshold for every class, TP / FP / FN summed over classes.
    public var overall: ThresholdCurve
    /// Per class, in the evaluation's class order.
    public var classes: [ClassCurve]
}

/// Finds score thresholds from a protocol's exact per-detection outcomes.
///
/// At `iouThreshold` (which must be one of the evaluated thresholds), each detection the protocol counts is a
/// true or a false positive (`EvaluationResult.outcomes`); detections it ignores (crowd or difficult matches,
/// ignored regions, beyond the detection budget) are left out, and FN counts the class's ground truth that is
/// not ignored minus TP. For a threshold `s`, the detections scoring `>= s` are kept and counted with the outcomes
/// of the full evaluation (those `evaldb eval` stores), not with the 101-point interpolated curve. COCO and VOC
/// match greedily in score order, so these counts equal evaluating only the kept detections; VisDrone's budgets
/// count rows in file order, so there they equal it while the budget (500 per image) does not bind.
public enum ThresholdSearch {
    public static func analyze(
        _ result: EvaluationResult, _ detections: EvalDetections, _ groundTruth: EvalGroundTruth,
        iouThreshold: Double = 0.5, targetPrecision: Double? = nil
    ) -> ThresholdAnalysis {
        let thresholds = result.parameters.iouThresholds
        guard let t = thresholds.firstIndex(of: iouThreshold) else {
            preconditionFailure("ThresholdSearch: IoU \(iouThreshold) was not evaluated")
        }
        let bit = Int64(1) << Int64(t)
        let counts = result.classCounts.filter { $0.iou == iouThreshold }
        var positives: [Int64: Int] = [:]
        var order: [Int64] = []
        for count in counts {
            if positives[count.categoryID] == nil { order.append(count.categoryID) }
            positives[count.categoryID, default: 0] += count.groundTruth
        }
        var byClass: [Int64: [Int]] = [:]
        var all: [Int] = []
        let outcomes = result.outcomes
        for i in 0..<min(outcomes.count, detections.count) where outcomes.ignoredMask[i] & bit == 0 {
            let category = detections.category[i]
            guard positives[category] != nil else { continue }
            byClass[category, default: []].append(i)
            all.append(i)
        }
        func curve(_ indexes: [Int], positives: Int) -> ThresholdCurve {
            let ranked = indexes.sorted { detections.score[$0] > detections.score[$1] }
            var points: [ThresholdPoint] = []
            var tp = 0
            var fp = 0
            var k = 0
            while k < ranked.count {
                let score = detections.score[ranked[k]]
                while k < ranked.count && detections.score[ranked[k]] == score {
                    if outcomes.truePositiveMask[ranked[k]] & bit != 0 { tp += 1 } else { fp += 1 }
                    k += 1
                }
                let fn = max(positives - tp, 0)
                points.append(
                    ThresholdPoint(
                        threshold: score, precision: Double(tp) / Double(tp + fp),
                        recall: positives > 0 ? Double(tp) / Double(positives) : 0,
                        f1: tp > 0 ? Double(2 * tp) / Double(2 * tp + fp + fn) : 0,
                        truePositives: tp, falsePositives: fp, falseNegatives: fn))
            }
            var best: ThresholdPoint?
            for point in points where point.truePositives > 0 && point.f1 > (best?.f1 ?? 0) { best = point }
            var target: ThresholdPoint?
            if let targetPrecision {
                for point in points where point.truePositives > 0 && point.precision >= targetPrecision {
                    target = point
                }
            }
            return ThresholdCurve(points: points, best: best, atTargetPrecision: target, groundTruth: positives)
        }
        let classes = order.map {
            ThresholdAnalysis.ClassCurve(categoryID: $0, curve: curve(byClass[$0] ?? [], positives: positives[$0]!))
        }
        let total = order.reduce(0) { $0 + positives[$1]! }
        return ThresholdAnalysis(
            iouThreshold: iouThreshold, targetPrecision: targetPrecision, overall: curve(all, positives: total),
            classes: classes)
    }
}
