/// The settings of a VisDrone-DET evaluation (the official toolkit's fixed loops, made explicit).
public struct VisDroneParameters: Sendable, Equatable {
    /// The overlap thresholds, in the order the toolkit loops over them. The default is MATLAB's
    /// `0.5:0.05:0.95`: the Doubles nearest 0.5, 0.55, ..., 0.95 (GNU Octave's `0.5 + k * 0.05` would give
    /// 0.8500000000000001 instead of 0.85, see PROTOCOLS.md).
    public var iouThresholds: [Double]
    /// The per-image detection budgets: the first N rows of each image's result file, in file order, all
    /// categories together. The last one is the pass AP is computed from.
    public var maxDetections: [Int]

    /// The toolkit's thresholds `0.5:0.05:0.95`, as MATLAB's colon operator yields them.
    public static let defaultIoUThresholds: [Double] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    /// The toolkit's budgets.
    public static let defaultMaxDetections: [Int] = [1, 10, 100, 500]

    /// Creates parameters; the defaults are the official toolkit's.
    public init(
        iouThresholds: [Double] = VisDroneParameters.defaultIoUThresholds,
        maxDetections: [Int] = VisDroneParameters.defaultMaxDetections
    ) {
        self.iouThresholds = iouThresholds
        self.maxDetections = maxDetections
    }
}

/// The outcome of one VisDrone class (categories 1...10; 11 "others" is never scored).
public struct VisDroneClassResult: Sendable, Equatable {
    /// The category, 1...10.
    public var categoryID: Int64
    /// How many images hold a ground truth of the class (ignore ones included) once ignored regions have
    /// dropped theirs: the class enters the summary means this many times (the toolkit appends it once per
    /// image). 0: the class is absent from the means.
    public var weight: Int
    /// The ground-truth boxes of the class, ignore ones included: the recall denominator (at least 1 is used).
    public var groundTruthCount: Int
    /// AP at each of `VisDroneParameters.iouThresholds`, from the pass with the last `maxDetections`.
    public var ap: [Double]
    /// The maximum recall at each threshold (outer) and each `maxDetections` (inner): `ar[t][k]`.
    public var ar: [[Double]]

    /// Creates a class result.
    public init(categoryID: Int64, weight: Int, groundTruthCount: Int, ap: [Double], ar: [[Double]]) {
        self.categoryID = categoryID
        self.weight = weight
        self.groundTruthCount = groundTruthCount
        self.ap = ap
        self.ar = ar
    }
}

/// The outcome of a VisDrone-DET evaluation. Metrics are fractions in 0...1 (the toolkit prints percent).
///
/// Each summary is the mean over the weighted class list (every class repeated `weight` times) and, for `ap`
/// and the `ar*`, over the thresholds; NaN when no image holds a ground truth of classes 1...10, or when the
/// threshold (0.5, 0.75) or budget (1, 10, 100, 500) it names is not among the parameters.
public struct VisDroneResult: Sendable {
    /// AP averaged over all thresholds (the toolkit's `AP @[IoU=0.50:0.95 | maxDets=500]`).
    public var ap: Double
    /// AP at threshold 0.5.
    public var ap50: Double
    /// AP at threshold 0.75.
    public var ap75: Double
    /// Maximum recall with 1 detection per image, averaged over thresholds.
    public var ar1: Double
    /// Maximum recall with 10 detections per image.
    public var ar10: Double
    /// Maximum recall with 100 detections per image.
    public var ar100: Double
    /// Maximum recall with 500 detections per image.
    public var ar500: Double
    /// Maximum recall for each of the parameters' `maxDetections`, in their order, averaged over thresholds
    /// the same way (`ar1` ... `ar500` are the toolkit's four of them).
    public var arByMaxDetections: [Double] = []
    /// Classes 1...10 in order, including those of weight 0.
    public var classes: [VisDroneClassResult]
    /// Per detection at each threshold `t` (index `t * detectionCount + i`, `i` in input order), in the pass with
    /// the last `maxDetections`: 1 TP, 0 FP, -1 ignored (dropped by an ignored region, beyond the per-image
    /// budget, matched to an ignore ground truth, or of a category outside 1...10).
    public var outcome: [Int8]
    /// When recorded: per budget (the parameters' `maxDetections` order) and detection (input order), bit t set
    /// when the detection is a true positive at threshold t in that budget's pass.
    public var budgetTruePositives: [[UInt64]]?
    /// Per detection (input order), in the last budget's pass at IoU 0.5: the ground truth it matched (an index
    /// into `EvalGroundTruth`, -1 none; an ignore ground truth too) and the overlap with it (IoU, or for an ignore
    /// ground truth the share of the detection inside it). Empty when 0.5 is not evaluated.
    public var matched50: [Int32] = []
    public var iou50: [Double] = []
    /// The same at IoU 0.75.
    public var matched75: [Int32] = []
    public var iou75: [Double] = []

    /// Creates a result.
    public init(
        ap: Double, ap50: Double, ap75: Double, ar1: Double, ar10: Double, ar100: Double, ar500: Double,
        classes: [VisDroneClassResult], outcome: [Int8]
    ) {
        self.ap = ap
        self.ap50 = ap50
        self.ap75 = ap75
        self.ar1 = ar1
        self.ar10 = ar10
        self.ar100 = ar100
        self.ar500 = ar500
        self.classes = classes
        self.outcome = outcome
    }
}
