/// The six main error types of TIDE (Bolya et al., "TIDE: A General Toolbox for Identifying Object Detection
/// Errors", ECCV 2020), as `tidecv` names them: `cls` ClassError, `loc` BoxError, `both` OtherError, `dupe`
/// DuplicateError, `bkg` BackgroundError, `missed` MissedError.
///
/// The first five are given to detections that are false positives at the foreground IoU; `missed` to
/// ground-truth boxes. `ErrorAnalysis` documents the rules.
public enum TideError: String, CaseIterable, Sendable, Codable {
    /// Right box, wrong class: IoU >= the foreground IoU with a box of another class.
    case cls
    /// Right class, poor box: the best IoU with a box of its class lies in [background, foreground].
    case loc
    /// Wrong class and poor box: none of the other rules applies.
    case both
    /// A second detection of a box its class already found.
    case dupe
    /// Detected background: IoU <= the background IoU with every box (or an image without boxes).
    case bkg
    /// A ground-truth box no detection found and no cls or loc error would have found.
    case missed
}

/// What `ErrorAnalysis.analyze` finds: per error type, how many errors there are and how much AP fixing them
/// would gain, overall and per class, and each detection's and ground-truth box's error.
public struct ErrorBreakdown: Sendable, Equatable {
    /// The counts and AP changes of one scope (all classes, or one class).
    public struct Values: Sendable, Equatable {
        /// The AP at the foreground IoU under the protocol (with the defaults, the AP50 `evaldb eval` reports;
        /// for a class, the class's AP50); nil where the protocol defines none.
        public var ap: Double?
        /// The number of errors of every type (0 when none): detection errors counted in the detection's class,
        /// `missed` in the ground-truth box's class.
        public var counts: [TideError: Int]
        /// Per type, the AP with only that type fixed minus `ap`: the raw difference, not clamped at 0. nil where
        /// either AP is undefined.
        public var dAP: [TideError: Double?]
        /// The AP with every false positive removed minus `ap` (TIDE's special "FalsePos").
        public var falsePositiveDAP: Double?
        /// The AP with every unmatched counted ground-truth box removed minus `ap` (TIDE's special "FalseNeg").
        public var falseNegativeDAP: Double?

        /// Creates the values of one scope.
        public init(
            ap: Double?, counts: [TideError: Int], dAP: [TideError: Double?], falsePositiveDAP: Double?,
            falseNegativeDAP: Double?
        ) {
            self.ap = ap
            self.counts = counts
            self.dAP = dAP
            self.falsePositiveDAP = falsePositiveDAP
            self.falseNegativeDAP = falseNegativeDAP
        }
    }

    /// One class's values.
    public struct ClassValues: Sendable, Equatable {
        /// The category, one of `EvalGroundTruth.categoryIDs`.
        public var categoryID: Int64
        public var values: Values

        /// Creates one class's values.
        public init(categoryID: Int64, values: Values) {
            self.categoryID = categoryID
            self.values = values
        }
    }

    /// The IoU at which a detection is a true positive (TIDE's `pos_threshold`).
    public var foregroundIoU: Double
    /// The IoU at or below which a detection is background (TIDE's `background_threshold`).
    public var backgroundIoU: Double
    /// All classes together: the protocol's AP (the mean over classes) and its changes.
    public var overall: Values
    /// Every class of `EvalGroundTruth.categoryIDs`, in that order.
    public var classes: [ClassValues]
    /// Per input detection (input order): its error, or nil for a true positive, an ignored detection (crowd,
    /// difficult or ignored-region match, outside the area range) or one the protocol does not evaluate.
    public var detectionErrors: [TideError?]
    /// Per ground-truth box (input order): whether it is a `missed` error.
    public var missedGroundTruth: [Bool]

    /// Creates a breakdown.
    public init(
        foregroundIoU: Double, backgroundIoU: Double, overall: Values, classes: [ClassValues],
        detectionErrors: [TideError?], missedGroundTruth: [Bool]
    ) {
        self.foregroundIoU = foregroundIoU
        self.backgroundIoU = backgroundIoU
        self.overall = overall
        self.classes = classes
        self.detectionErrors = detectionErrors
        self.missedGroundTruth = missedGroundTruth
    }
}
