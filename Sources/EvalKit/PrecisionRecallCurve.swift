/// A precision-recall curve sampled at fixed recall points, the way pycocotools samples COCO's: for each
/// recall point r, the interpolated precision (the maximum precision at any recall >= r) at the first
/// detection whose recall reaches r, and that detection's score.
public struct PrecisionRecallCurve: Sendable, Equatable {
    /// The recall points.
    public var recall: [Double]
    /// Interpolated precision at each point; nil where the curve never reaches that recall.
    public var precision: [Double?]
    /// Score of the detection that reaches each point; nil where unreached.
    public var score: [Double?]

    /// numpy `linspace(0, 1, 101)`, pycocotools' recall thresholds.
    public static let cocoRecallPoints: [Double] = CocoParameters.defaultRecallThresholds

    /// Samples the curve of detections given in ranking order (score descending, ties in input order):
    /// `outcome` 1 = true positive, 0 = false positive, anything else = not counted (ignored). `positives`
    /// is the recall denominator; with no positives every point is nil.
    public init(scores: [Double], outcomes: [Int8], positives: Int, at points: [Double] = cocoRecallPoints) {
        recall = points
        guard positives > 0 else {
            precision = Array(repeating: nil, count: points.count)
            score = Array(repeating: nil, count: points.count)
            return
        }
        var recalls: [Double] = []
        var precisions: [Double] = []
        var rankedScores: [Double] = []
        var tp = 0.0
        var fp = 0.0
        for (index, outcome) in outcomes.enumerated() where outcome == 0 || outcome == 1 {
            if outcome == 1 { tp += 1 } else { fp += 1 }
            recalls.append(tp / Double(positives))
            precisions.append(tp / (tp + fp))
            rankedScores.append(scores[index])
        }
        // Envelope from the right.
        if precisions.count > 1 {
            for i in stride(from: precisions.count - 1, to: 0, by: -1) where precisions[i - 1] < precisions[i] {
                precisions[i - 1] = precisions[i]
            }
        }
        var sampledPrecision: [Double?] = []
        var sampledScore: [Double?] = []
        for point in points {
            // First index whose recall reaches the point (recall is non-decreasing).
            var low = 0
            var high = recalls.count
            while low < high {
                let mid = (low + high) / 2
                if recalls[mid] < point { low = mid + 1 } else { high = mid }
            }
            if low < recalls.count {
                sampledPrecision.append(precisions[low])
                sampledScore.append(rankedScores[low])
            } else {
                sampledPrecision.append(nil)
                sampledScore.append(nil)
            }
        }
        precision = sampledPrecision
        score = sampledScore
    }
}
