/// Which PASCAL VOC average precision to compute.
public enum VocMetric: String, Sendable, CaseIterable {
    /// VOC2007: the mean of the interpolated precision at the 11 recall levels `i * 0.1`, `i = 0...10`.
    case elevenPoint = "voc07"
    /// VOC2010 and later: the area under the monotone precision envelope at every recall change.
    case allPoint = "voc12"
}

/// The settings of a PASCAL VOC evaluation.
public struct VocParameters: Sendable, Equatable {
    /// The average precision to compute.
    public var metric: VocMetric
    /// The IoU (with the VOC +1 pixel convention) a detection needs to match a ground truth: `iou >= threshold`,
    /// as in the devkit's `VOCevaldet.m`.
    public var iouThreshold: Double = 0.5

    /// Creates parameters; the IoU threshold defaults to the VOC challenge's 0.5.
    public init(metric: VocMetric, iouThreshold: Double = 0.5) {
        self.metric = metric
        self.iouThreshold = iouThreshold
    }
}

/// The outcome of one class of a PASCAL VOC evaluation.
public struct VocClassResult: Sendable, Equatable {
    /// The category, one of `EvalGroundTruth.categoryIDs`.
    public var categoryID: Int64
    /// The average precision, or nil when the class has no non-difficult ground truth (the devkit would divide
    /// by zero; such classes are left out of the mean).
    public var ap: Double?
    /// The number of non-difficult ground-truth boxes (`npos`).
    public var positives: Int
    /// The number of detections of the class.
    public var detections: Int
    /// Detections that matched a non-difficult ground truth first.
    public var truePositives: Int
    /// Detections below the threshold, or on a ground truth already matched. `detections - truePositives -
    /// falsePositives` detections matched a difficult ground truth and count as neither.
    public var falsePositives: Int

    /// Creates a class result.
    public init(
        categoryID: Int64, ap: Double?, positives: Int, detections: Int, truePositives: Int, falsePositives: Int
    ) {
        self.categoryID = categoryID
        self.ap = ap
        self.positives = positives
        self.detections = detections
        self.truePositives = truePositives
        self.falsePositives = falsePositives
    }
}

/// The outcome of a PASCAL VOC evaluation: per class, overall and per detection.
public struct VocResult: Sendable {
    /// The mean of `classes[].ap` over the classes that have one (at least one non-difficult ground truth), as
    /// py-faster-rcnn and the devkit report it; nil when no class has one.
    public var mAP: Double?
    /// One entry per `EvalGroundTruth.categoryIDs`, in that order.
    public var classes: [VocClassResult]
    /// Per detection, in input order: 1 true positive, 0 false positive, -1 neither (it matched a difficult
    /// ground truth, or its category is not one of the dataset's).
    public var outcome: [Int8]
    /// Per detection: the ground-truth box (index into `EvalGroundTruth`) of best IoU when that IoU reached the
    /// threshold, whatever the outcome (a false positive with a box here is a duplicate); -1 otherwise.
    public var matchedGroundTruth: [Int32]
    /// Per detection: the best IoU with a ground truth of its class in its image (+1 convention); 0 when none
    /// overlaps.
    public var iou: [Double]

    /// Creates a result.
    public init(
        mAP: Double?, classes: [VocClassResult], outcome: [Int8], matchedGroundTruth: [Int32], iou: [Double]
    ) {
        self.mAP = mAP
        self.classes = classes
        self.outcome = outcome
        self.matchedGroundTruth = matchedGroundTruth
        self.iou = iou
    }
}
