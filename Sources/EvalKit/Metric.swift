/// The evaluation protocols evaldb computes.
public enum EvaluationProtocol: String, CaseIterable, Sendable {
    /// pycocotools COCOeval (bbox).
    case coco
    /// PASCAL VOC 2007, 11-point interpolated AP.
    case voc07
    /// PASCAL VOC 2010+, all-point AP.
    case voc12
    /// The official VisDrone2018-DET toolkit.
    case visdrone
}

/// One number an evaluation reports, summary or per class: what it computes, under which protocol, at which IoU
/// threshold, area range and detection budget. Every layer (the evaluators, the bootstrap, the store, the CLI)
/// names and labels values through this type, so the same value has the same name everywhere.
public struct Metric: Hashable, Sendable, CustomStringConvertible {
    /// What the metric computes.
    public enum Statistic: String, Sendable, CaseIterable {
        /// Average precision (the mean over the classes in a summary).
        case averagePrecision = "AP"
        /// Recall at the detection budget, averaged over the thresholds (AR).
        case averageRecall = "AR"
        /// Counts at one threshold.
        case truePositives = "TP"
        case falsePositives = "FP"
        case falseNegatives = "FN"

        /// True for the counts (TP, FP, FN), which are defined without positives and are not fractions.
        public var isCount: Bool {
            self == .truePositives || self == .falsePositives || self == .falseNegatives
        }
    }

    public var evaluationProtocol: EvaluationProtocol
    public var statistic: Statistic
    /// The IoU threshold; nil: averaged over the evaluated thresholds (VOC's one threshold included).
    public var iou: Double?
    /// The area range's label ("all" outside COCO's area ranges).
    public var area: String
    /// The detections per image it counts (nil where the protocol has no budget: VOC, counts).
    public var maxDetections: Int?

    public init(
        _ evaluationProtocol: EvaluationProtocol, _ statistic: Statistic, iou: Double? = nil, area: String = "all",
        maxDetections: Int? = nil
    ) {
        self.evaluationProtocol = evaluationProtocol
        self.statistic = statistic
        self.iou = iou
        self.area = area
        self.maxDetections = maxDetections
    }

    /// The area label that counts every box.
    public static let allAreas = "all"

    /// The name of the summary value (the mean over classes) as the reference tools print it: `AP`, `AP50`,
    /// `AP75`, `APs`, `APm`, `APl`, `AR1`, `AR10`, `AR100`, `ARs`, `ARm`, `ARl` (COCO; `AR500` and the like for
    /// VisDrone), `mAP` (VOC). Other thresholds are `AP@0.55`, other areas `AP_tiny` / `AR_tiny`.
    public var summaryName: String {
        switch statistic {
        case .averagePrecision:
            if evaluationProtocol == .voc07 || evaluationProtocol == .voc12 { return "mAP" }
            return "AP" + Self.thresholdSuffix(iou) + Self.areaSuffix(area, letters: true)
        case .averageRecall:
            if area == Self.allAreas { return "AR\(maxDetections.map(String.init) ?? "")" }
            return "AR" + Self.areaSuffix(area, letters: true)
        case .truePositives, .falsePositives, .falseNegatives:
            return statistic.rawValue
        }
    }

    /// The key of the per-class value in printed tables and JSON (`AP`, `AP50`, `AP75`, `AP_small`, `AR100`,
    /// `AR100_small`, `TP`, `FP`, `FN`), or nil for values kept only in SQL (AP at other thresholds).
    public var classKey: String? {
        switch statistic {
        case .averagePrecision:
            guard let iou else { return "AP" + Self.areaSuffix(area, letters: false) }
            guard area == Self.allAreas, iou == 0.5 || iou == 0.75 else { return nil }
            return "AP" + Self.thresholdSuffix(iou)
        case .averageRecall:
            guard iou == nil, let maxDetections else { return nil }
            return "AR\(maxDetections)" + Self.areaSuffix(area, letters: false)
        case .truePositives, .falsePositives, .falseNegatives:
            return statistic.rawValue
        }
    }

    public var description: String { classKey ?? summaryName }

    private static func thresholdSuffix(_ iou: Double?) -> String {
        switch iou {
        case nil: return ""
        case 0.5: return "50"
        case 0.75: return "75"
        case let value?: return "@\(value)"
        }
    }

    private static func areaSuffix(_ area: String, letters: Bool) -> String {
        if area == allAreas { return "" }
        if letters, let letter = ["small": "s", "medium": "m", "large": "l"][area] { return letter }
        return "_" + area
    }
}
