extension EvaluationResult {
    /// The result of a VOC evaluation of `detections`: mAP, each class's AP, counts and PR curve at the threshold,
    /// and each detection's outcome and match (a duplicate of a found box is a false positive that matched nothing).
    init(voc result: VocResult, _ detections: EvalDetections, parameters: VocParameters) {
        self.init(parameters: .voc(parameters), detectionCount: detections.count)
        let threshold = parameters.iouThreshold
        let apMetric = self.parameters.classMetrics[0]
        summary = [SummaryValue(metric: parameters.summaryMetric, value: result.mAP)]
        let byCategory = Self.indexesByCategory(detections)
        for item in result.classes {
            classValues.append(ClassValue(categoryID: item.categoryID, metric: apMetric, value: item.ap))
            classCounts.append(
                ClassCounts(
                    categoryID: item.categoryID, iou: threshold, groundTruth: item.positives,
                    detections: item.detections, truePositives: item.truePositives,
                    falsePositives: item.falsePositives, falseNegatives: item.positives - item.truePositives))
            let ranked = Self.ranking(byCategory[item.categoryID] ?? [], detections)
            curves.append(
                Self.curve(
                    category: item.categoryID, iou: threshold, scores: ranked.map { detections.score[$0] },
                    outcomes: ranked.map { result.outcome[$0] }, positives: item.positives))
        }
        outcomes.setMasks(outcomes: result.outcome, thresholds: 1)
        if threshold == 0.5 || threshold == 0.75 {
            var matched = [Int32](repeating: -1, count: detections.count)
            var iou = [Double](repeating: 0, count: detections.count)
            for i in 0..<detections.count where result.matchedGroundTruth[i] >= 0 && result.outcome[i] != 0 {
                matched[i] = result.matchedGroundTruth[i]
                iou[i] = result.iou[i]
            }
            if threshold == 0.5 {
                (outcomes.matched50, outcomes.iou50) = (matched, iou)
            } else {
                (outcomes.matched75, outcomes.iou75) = (matched, iou)
            }
        }
    }
}
