/// An object-area interval of the COCO protocol with its label (pycocotools `areaRng` and `areaRngLbl`).
///
/// Inclusive at both ends: a box is outside when `area < lower || area > upper`, so an area of exactly
/// `32 * 32` is both "small" and "medium", as in pycocotools.
public struct AreaRange: Sendable, Equatable {
    /// The label the summary looks ranges up by (`all`, `small`, `medium`, `large`).
    public var name: String
    /// Smallest area inside the range.
    public var lower: Double
    /// Largest area inside the range.
    public var upper: Double

    /// Creates a range; both ends are inside it.
    public init(name: String, lower: Double, upper: Double) {
        self.name = name
        self.lower = lower
        self.upper = upper
    }

    /// Whether `area` falls outside the range, with pycocotools' comparisons (a NaN area is inside).
    @inlinable
    public func excludes(_ area: Double) -> Bool {
        // Both comparisons, no short circuit: the evaluator asks this for every box, and branches mispredict.
        (area < lower ? 1 : 0) | (area > upper ? 1 : 0) != 0
    }
}

/// The parameters of a COCO evaluation (pycocotools `Params` for `iouType="bbox"`).
///
/// The defaults are pycocotools' defaults, value for value: the thresholds come from numpy's `linspace`,
/// not from `i / 100`, because the two differ in the last bit and that moves AP by up to 1e-4.
public struct CocoParameters: Sendable, Equatable {
    /// IoU thresholds (`iouThrs`), at most 64 of them; default `linspace(0.5, 0.95, 10)`.
    public var iouThresholds: [Double]
    /// Recall points of the precision curve (`recThrs`); default `linspace(0, 1, 101)`.
    public var recallThresholds: [Double]
    /// Detections kept per image (per image and category unless class-agnostic), non-negative;
    /// evaluated in ascending order like pycocotools, which sorts them. Default `[1, 10, 100]`.
    public var maxDetections: [Int]
    /// Area ranges; the summary finds `all`, `small`, `medium` and `large` by name.
    public var areaRanges: [AreaRange]
    /// `false` evaluates class-agnostically (pycocotools `useCats = 0`): all categories form one.
    public var useCategories: Bool

    /// pycocotools' default IoU thresholds: `linspace(0.5, 0.95, 10)` (element 8 is `0.8999999999999999`).
    public static let defaultIoUThresholds = linspace(0.5, 0.95, 10)
    /// pycocotools' default recall points: `linspace(0, 1, 101)` (element 35 is `0.35000000000000003`).
    public static let defaultRecallThresholds = linspace(0, 1, 101)
    /// pycocotools' default detection limits.
    public static let defaultMaxDetections = [1, 10, 100]
    /// pycocotools' default area ranges: all, small (< 32²), medium (32² to 96²), large (> 96²).
    public static let defaultAreaRanges = [
        AreaRange(name: "all", lower: 0, upper: 1e10),
        AreaRange(name: "small", lower: 0, upper: 32 * 32),
        AreaRange(name: "medium", lower: 32 * 32, upper: 96 * 96),
        AreaRange(name: "large", lower: 96 * 96, upper: 1e10),
    ]

    /// Creates parameters; every argument defaults to pycocotools' value.
    public init(
        iouThresholds: [Double] = CocoParameters.defaultIoUThresholds,
        recallThresholds: [Double] = CocoParameters.defaultRecallThresholds,
        maxDetections: [Int] = CocoParameters.defaultMaxDetections,
        areaRanges: [AreaRange] = CocoParameters.defaultAreaRanges,
        useCategories: Bool = true
    ) {
        self.iouThresholds = iouThresholds
        self.recallThresholds = recallThresholds
        self.maxDetections = maxDetections
        self.areaRanges = areaRanges
        self.useCategories = useCategories
    }

    /// numpy's `linspace(start, stop, count)` bit for bit: element `i < count - 1` is `i * step + start` with
    /// `step = (stop - start) / (count - 1)`, and the last element is `stop` itself.
    public static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let divisions = Double(count - 1)
        let delta = stop - start
        let step = delta / divisions
        var values = (0..<count).map { index -> Double in
            // numpy divides first and multiplies by delta when the step underflows to zero.
            step == 0 ? (Double(index) / divisions) * delta + start : Double(index) * step + start
        }
        values[count - 1] = stop
        return values
    }
}
