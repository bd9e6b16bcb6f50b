/// The parameters of one protocol, as its evaluator takes them, and the metrics the protocol reports under them.
public enum ProtocolParameters: Sendable, Equatable {
    case coco(CocoParameters)
    /// `voc07` (11-point) or `voc12` (all-point), after `VocParameters.metric`.
    case voc(VocParameters)
    case visdrone(VisDroneParameters)

    public var evaluationProtocol: EvaluationProtocol {
        switch self {
        case .coco: return .coco
        case .voc(let parameters): return parameters.metric == .elevenPoint ? .voc07 : .voc12
        case .visdrone: return .visdrone
        }
    }

    /// The IoU thresholds, in the evaluator's order.
    public var iouThresholds: [Double] {
        switch self {
        case .coco(let parameters): return parameters.iouThresholds
        case .voc(let parameters): return [parameters.iouThreshold]
        case .visdrone(let parameters): return parameters.iouThresholds
        }
    }

    /// The detection budgets (COCO: sorted, as the evaluator sorts them; empty for VOC).
    public var maxDetections: [Int] {
        switch self {
        case .coco(let parameters): return parameters.maxDetections.sorted()
        case .voc: return []
        case .visdrone(let parameters): return parameters.maxDetections
        }
    }

    /// The threshold at which per-class TP / FP / FN are counted: 0.5 when it is evaluated, else the first.
    public var countingThreshold: Double? {
        let thresholds = iouThresholds
        return thresholds.contains(0.5) ? 0.5 : thresholds.first
    }

    /// The summary metrics, in the order the reference tool prints them (a name repeated by unusual parameters,
    /// e.g. `--max-dets 100,100,100`, appears once: its first value).
    public var summaryMetrics: [Metric] {
        switch self {
        case .coco(let parameters): return parameters.summaryStats.map(\.metric)
        case .voc(let parameters): return [parameters.summaryMetric]
        case .visdrone(let parameters): return parameters.summaryMetrics
        }
    }

    /// The per-class values the protocol reports, in order, each once.
    public var classMetrics: [Metric] {
        let metrics: [Metric]
        switch self {
        case .coco(let parameters): metrics = parameters.classMetrics
        case .voc(let parameters): metrics = [Metric(parameters.evaluationProtocol, .averagePrecision)]
        case .visdrone(let parameters): metrics = parameters.classMetrics
        }
        var seen = Set<Metric>()
        return metrics.filter { seen.insert($0).inserted }
    }

    /// The per-class counts at `countingThreshold` (TP, FP, FN).
    public var countMetrics: [Metric] {
        guard let threshold = countingThreshold else { return [] }
        return [Metric.Statistic.truePositives, .falsePositives, .falseNegatives].map {
            Metric(evaluationProtocol, $0, iou: threshold)
        }
    }
}

extension CocoParameters {
    /// pycocotools' 12 stats as metrics, each with the index of its value in `CocoResult.stats`; a name that
    /// repeats (equal max-detections values) keeps its first stat.
    public var summaryStats: [(metric: Metric, stat: Int)] {
        let sorted = maxDetections.sorted()
        let last = sorted.last ?? 100
        func limit(_ index: Int) -> Int { index < sorted.count ? sorted[index] : last }
        let m2 = limit(2)
        let metrics: [Metric] = [
            Metric(.coco, .averagePrecision, maxDetections: 100),
            Metric(.coco, .averagePrecision, iou: 0.5, maxDetections: m2),
            Metric(.coco, .averagePrecision, iou: 0.75, maxDetections: m2),
            Metric(.coco, .averagePrecision, area: "small", maxDetections: m2),
            Metric(.coco, .averagePrecision, area: "medium", maxDetections: m2),
            Metric(.coco, .averagePrecision, area: "large", maxDetections: m2),
            Metric(.coco, .averageRecall, maxDetections: limit(0)),
            Metric(.coco, .averageRecall, maxDetections: limit(1)),
            Metric(.coco, .averageRecall, maxDetections: m2),
            Metric(.coco, .averageRecall, area: "small", maxDetections: m2),
            Metric(.coco, .averageRecall, area: "medium", maxDetections: m2),
            Metric(.coco, .averageRecall, area: "large", maxDetections: m2),
        ]
        var seen = Set<String>()
        return metrics.enumerated().compactMap { stat, metric in
            seen.insert(metric.summaryName).inserted ? (metric, stat) : nil
        }
    }

    /// The per-class values: AP per area range, AP per threshold, AR per budget, AR per area range (other than
    /// the first), each at the last budget unless it names one. In that order, the first area range's AP is the
    /// class's AP, and `CocoResult.classValues` reads them.
    public var classMetrics: [Metric] {
        let sorted = maxDetections.sorted()
        let last = sorted.last
        // Values per threshold and per budget are taken at the first area range ("all" by default).
        let first = areaRanges.first?.name ?? Metric.allAreas
        var metrics = areaRanges.map { Metric(.coco, .averagePrecision, area: $0.name, maxDetections: last) }
        metrics += iouThresholds.map { Metric(.coco, .averagePrecision, iou: $0, area: first, maxDetections: last) }
        metrics += sorted.map { Metric(.coco, .averageRecall, area: first, maxDetections: $0) }
        metrics += areaRanges.dropFirst().map { Metric(.coco, .averageRecall, area: $0.name, maxDetections: last) }
        return metrics
    }
}

extension VocParameters {
    /// The protocol these parameters evaluate.
    public var evaluationProtocol: EvaluationProtocol { metric == .elevenPoint ? .voc07 : .voc12 }

    /// `mAP`: the mean of the classes' AP at the threshold.
    public var summaryMetric: Metric { Metric(evaluationProtocol, .averagePrecision, iou: iouThreshold) }
}

extension VisDroneParameters {
    /// The toolkit's AP, AP50, AP75 (at the last budget) and AR per budget.
    public var summaryMetrics: [Metric] {
        let last = maxDetections.last
        var metrics = [nil, 0.5, 0.75].map { Metric(.visdrone, .averagePrecision, iou: $0, maxDetections: last) }
        metrics += maxDetections.map { Metric(.visdrone, .averageRecall, maxDetections: $0) }
        var seen = Set<String>()
        return metrics.filter { seen.insert($0.summaryName).inserted }
    }

    /// Per class: AP averaged over the thresholds, AP per threshold, AR per budget.
    public var classMetrics: [Metric] {
        [Metric(.visdrone, .averagePrecision)] + iouThresholds.map { Metric(.visdrone, .averagePrecision, iou: $0) }
            + maxDetections.map { Metric(.visdrone, .averageRecall, maxDetections: $0) }
    }
}
