/// Everything one evaluation computes, in the same shape for every protocol: the summary metrics, the per-class
/// values and counts, the PR curves and each detection's outcome. Built by `Evaluation.evaluate` from the
/// protocol's evaluator; the store keeps it as it is, so a fresh and a stored evaluation print the same.
public struct EvaluationResult: Sendable {
    /// A summary metric's value; nil = undefined (no ground truth, or a value the parameters do not define).
    public struct SummaryValue: Sendable, Equatable {
        public var metric: Metric
        public var value: Double?

        public init(metric: Metric, value: Double?) {
            self.metric = metric
            self.value = value
        }
    }

    /// A per-class value; nil = undefined.
    public struct ClassValue: Sendable, Equatable {
        public var categoryID: Int64
        public var metric: Metric
        public var value: Double?

        public init(categoryID: Int64, metric: Metric, value: Double?) {
            self.categoryID = categoryID
            self.metric = metric
            self.value = value
        }
    }

    /// A class's counts at the protocol's counting threshold (`ProtocolParameters.countingThreshold`).
    public struct ClassCounts: Sendable, Equatable {
        public var categoryID: Int64
        public var iou: Double
        public var groundTruth: Int
        public var detections: Int
        public var truePositives: Int
        public var falsePositives: Int
        public var falseNegatives: Int

        public init(
            categoryID: Int64, iou: Double, groundTruth: Int, detections: Int, truePositives: Int,
            falsePositives: Int, falseNegatives: Int
        ) {
            self.categoryID = categoryID
            self.iou = iou
            self.groundTruth = groundTruth
            self.detections = detections
            self.truePositives = truePositives
            self.falsePositives = falsePositives
            self.falseNegatives = falseNegatives
        }
    }

    /// A class's interpolated PR curve at one threshold, sampled at the 101 recall points
    /// `PrecisionRecallCurve.cocoRecallPoints`: the precision there (0 where the curve never reaches the point,
    /// nil only without positives) and the score of the detection that reaches it (nil where unreached).
    public struct Curve: Sendable, Equatable {
        public var categoryID: Int64
        public var iou: Double
        public var precision: [Double?]
        public var score: [Double?]

        public init(categoryID: Int64, iou: Double, precision: [Double?], score: [Double?]) {
            self.categoryID = categoryID
            self.iou = iou
            self.precision = precision
            self.score = score
        }
    }

    /// Each detection's outcome, in the evaluated detections' order.
    public struct DetectionOutcomes: Sendable, Equatable {
        /// Bit t set: a true positive at the t-th threshold (at most 64 thresholds).
        public var truePositiveMask: [Int64]
        /// Bit t set: neither true nor false positive at the t-th threshold (crowd or difficult match, outside the
        /// area range, outside the evaluation).
        public var ignoredMask: [Int64]
        /// The ground-truth box (an index into the evaluated ground truth, -1 none) the detection matched at IoU
        /// 0.5, and the IoU with it (0 when none); the same at 0.75. Only where that threshold was evaluated.
        public var matched50: [Int32]
        public var iou50: [Double]
        public var matched75: [Int32]
        public var iou75: [Double]

        /// Nothing matched, nothing ignored, for `count` detections.
        public init(count: Int) {
            truePositiveMask = [Int64](repeating: 0, count: count)
            ignoredMask = [Int64](repeating: 0, count: count)
            matched50 = [Int32](repeating: -1, count: count)
            iou50 = [Double](repeating: 0, count: count)
            matched75 = [Int32](repeating: -1, count: count)
            iou75 = [Double](repeating: 0, count: count)
        }

        public var count: Int { truePositiveMask.count }

        /// Sets the masks' bit t from outcomes laid out `[t * n + i]`: 1 TP, -1 ignored, anything else FP.
        mutating func setMasks(outcomes: [Int8], thresholds: Int) {
            let n = count
            outcomes.withUnsafeBufferPointer { outcome in
                truePositiveMask.withUnsafeMutableBufferPointer { tp in
                    ignoredMask.withUnsafeMutableBufferPointer { ignored in
                        for t in 0..<thresholds {
                            let bit = Int64(1) << Int64(t)
                            for i in 0..<n {
                                switch outcome[t * n + i] {
                                case 1: tp[i] |= bit
                                case -1: ignored[i] |= bit
                                default: break
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The parameters evaluated.
    public var parameters: ProtocolParameters
    /// `parameters.summaryMetrics`, with their values.
    public var summary: [SummaryValue] = []
    /// `parameters.classMetrics` for every class, class by class.
    public var classValues: [ClassValue] = []
    public var classCounts: [ClassCounts] = []
    public var curves: [Curve] = []
    public var outcomes: DetectionOutcomes

    public init(parameters: ProtocolParameters, detectionCount: Int) {
        self.parameters = parameters
        outcomes = DetectionOutcomes(count: detectionCount)
    }

    /// The summary value of `metric`, or nil when undefined or not reported.
    public func value(of metric: Metric) -> Double? {
        summary.first { $0.metric == metric }?.value ?? nil
    }
}

extension EvaluationResult {
    /// A PR curve from per-detection outcomes given in ranking order (1 TP, 0 FP, anything else not counted).
    static func curve(
        category: Int64, iou: Double, scores: [Double], outcomes: [Int8], positives: Int
    ) -> Curve {
        let sampled = PrecisionRecallCurve(scores: scores, outcomes: outcomes, positives: positives)
        // As under COCO: precision 0 where the curve never reaches the point, nil only without positives.
        return Curve(
            categoryID: category, iou: iou,
            precision: positives > 0 ? sampled.precision.map { $0 ?? 0 } : sampled.precision, score: sampled.score)
    }

    /// Detection indexes per category, in input order.
    static func indexesByCategory(_ detections: EvalDetections) -> [Int64: [Int]] {
        var result: [Int64: [Int]] = [:]
        for i in 0..<detections.count { result[detections.category[i], default: []].append(i) }
        return result
    }

    /// Detection indexes by score descending, ties in input order.
    static func ranking(_ indexes: [Int], _ detections: EvalDetections) -> [Int] {
        indexes.enumerated().sorted { a, b in
            let sa = detections.score[a.element]
            let sb = detections.score[b.element]
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
    }
}
