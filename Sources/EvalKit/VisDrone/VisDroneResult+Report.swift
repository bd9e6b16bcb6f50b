extension EvaluationResult {
    /// The result of a VisDrone evaluation of `detections`: the toolkit's AP, AP50, AP75 and AR per budget; per
    /// class AP (mean and per threshold) and AR per budget, undefined for a class no image holds; counts and the
    /// outcome of each detection from the last budget's pass at the counting threshold; PR curves per threshold.
    init(visDrone result: VisDroneResult, _ detections: EvalDetections, parameters: VisDroneParameters) {
        self.init(parameters: .visdrone(parameters), detectionCount: detections.count)
        // The toolkit's mean of an empty list (no image holds classes 1...10, or a threshold or budget that was
        // not evaluated) is NaN: undefined.
        func defined(_ value: Double?) -> Double? { value.flatMap { $0.isNaN ? nil : $0 } }
        let thresholds = parameters.iouThresholds
        let budgets = parameters.maxDetections
        summary = self.parameters.summaryMetrics.map { metric in
            let value: Double?
            switch (metric.statistic, metric.iou) {
            case (.averagePrecision, nil): value = result.ap
            case (.averagePrecision, 0.5): value = result.ap50
            case (.averagePrecision, _): value = result.ap75
            default:
                value = metric.maxDetections.flatMap { budgets.firstIndex(of: $0) }.map {
                    result.arByMaxDetections[$0]
                }
            }
            return SummaryValue(metric: metric, value: defined(value))
        }
        let classMetrics = self.parameters.classMetrics
        let n = detections.count
        let summaryT = thresholds.firstIndex(of: 0.5) ?? 0
        let byCategory = Self.indexesByCategory(detections)
        func mean(_ values: [Double]) -> Double? {
            values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        for item in result.classes {
            // A class no image holds stays out of the means: its values are undefined.
            let isDefined = item.weight > 0
            for metric in classMetrics {
                var value: Double?
                switch metric.statistic {
                case .averagePrecision:
                    if let iou = metric.iou {
                        value = thresholds.firstIndex(of: iou).map { item.ap[$0] }
                    } else {
                        value = mean(item.ap)
                    }
                default:
                    if let m = metric.maxDetections.flatMap({ budgets.firstIndex(of: $0) }) {
                        value = mean(item.ar.map { $0[m] })
                    }
                }
                classValues.append(
                    ClassValue(categoryID: item.categoryID, metric: metric, value: isDefined ? value : nil))
            }
            let indexes = byCategory[item.categoryID] ?? []
            let tp = indexes.count { result.outcome[summaryT * n + $0] == 1 }
            let fp = indexes.count { result.outcome[summaryT * n + $0] == 0 }
            if !thresholds.isEmpty {
                classCounts.append(
                    ClassCounts(
                        categoryID: item.categoryID, iou: thresholds[summaryT], groundTruth: item.groundTruthCount,
                        detections: tp + fp, truePositives: tp, falsePositives: fp,
                        falseNegatives: item.groundTruthCount - tp))
            }
            let ranked = Self.ranking(indexes, detections)
            let scores = ranked.map { detections.score[$0] }
            for t in thresholds.indices {
                curves.append(
                    Self.curve(
                        category: item.categoryID, iou: thresholds[t], scores: scores,
                        outcomes: ranked.map { result.outcome[t * n + $0] }, positives: item.groundTruthCount))
            }
        }
        outcomes.setMasks(outcomes: result.outcome, thresholds: thresholds.count)
        if !result.matched50.isEmpty { (outcomes.matched50, outcomes.iou50) = (result.matched50, result.iou50) }
        if !result.matched75.isEmpty { (outcomes.matched75, outcomes.iou75) = (result.matched75, result.iou75) }
    }
}
