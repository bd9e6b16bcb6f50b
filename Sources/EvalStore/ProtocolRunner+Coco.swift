import EvalKit

extension ProtocolRunner {
    /// The stats names in pycocotools' order; AR names follow the evaluation's maxDets.
    static func cocoStatNames(maxDetections: [Int]) -> [String] {
        let last = maxDetections.last ?? 100
        let m0 = maxDetections.count > 0 ? maxDetections[0] : last
        let m1 = maxDetections.count > 1 ? maxDetections[1] : last
        let m2 = maxDetections.count > 2 ? maxDetections[2] : last
        return ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR\(m0)", "AR\(m1)", "AR\(m2)", "ARs", "ARm", "ARl"]
    }

    static func cocoRecord(_ groundTruth: EvalGroundTruth, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let settings = context.settings
        let parameters = CocoParameters(
            iouThresholds: settings.iouThresholds, recallThresholds: CocoParameters.linspace(0, 1, 101),
            maxDetections: settings.maxDetections,
            areaRanges: settings.areaRanges,
            useCategories: !settings.isClassAgnostic)
        let result = CocoEvaluator.evaluate(groundTruth, detections, parameters: parameters)
        var record = emptyRecord(context)
        func defined(_ value: Double) -> Double? { value < 0 ? nil : value }
        // Duplicate names (e.g. maxDets 100,100,100) keep the first value, as a dictionary would.
        var seen = Set<String>()
        for (name, value) in zip(cocoStatNames(maxDetections: settings.maxDetections), result.stats)
        where seen.insert(name).inserted {
            record.metrics.append(.init(name: name, value: defined(value)))
        }
        let thresholds = settings.iouThresholds
        let lastM = settings.maxDetections.count - 1
        for (k, category) in result.categoryIDs.enumerated() {
            for (a, area) in settings.areaRanges.enumerated() {
                record.classMetrics.append(
                    .init(
                        categoryID: category, metric: "AP", iou: nil, area: area.name,
                        maxDetections: settings.maxDetections.last, value: defined(result.categoryAP(k: k, a: a))))
            }
            for (t, iou) in thresholds.enumerated() {
                record.classMetrics.append(
                    .init(
                        categoryID: category, metric: "AP", iou: iou, area: "all",
                        maxDetections: settings.maxDetections.last, value: defined(result.categoryAP(k: k, t: t))))
            }
            for (m, maxDets) in settings.maxDetections.enumerated() {
                record.classMetrics.append(
                    .init(
                        categoryID: category, metric: "AR", iou: nil, area: "all", maxDetections: maxDets,
                        value: defined(result.categoryAR(k: k, m: m))))
            }
            for (a, area) in settings.areaRanges.enumerated() where a > 0 {
                record.classMetrics.append(
                    .init(
                        categoryID: category, metric: "AR", iou: nil, area: area.name,
                        maxDetections: settings.maxDetections.last,
                        value: defined(result.categoryAR(k: k, m: lastM, a: a))))
            }
            for (t, iou) in thresholds.enumerated() {
                for r in 0..<101 {
                    let precision = result.precision(t: t, r: r, k: k, a: 0, m: lastM)
                    let score = result.score(t: t, r: r, k: k, a: 0, m: lastM)
                    record.prPoints.append(
                        .init(
                            categoryID: category, iou: iou, recallIndex: r,
                            recall: PrecisionRecallCurve.cocoRecallPoints[r], precision: defined(precision),
                            score: precision < 0 ? nil : score))
                }
            }
        }
        for counts in result.counts {
            record.classCounts.append(
                .init(
                    categoryID: counts.categoryID, iou: counts.iouThreshold, groundTruth: counts.groundTruth,
                    detections: counts.detections, truePositives: counts.truePositives,
                    falsePositives: counts.falsePositives, falseNegatives: counts.falseNegatives))
        }
        let n = detections.count
        fillMatches(
            &record, detections: detections, context: context,
            outcome: { t, i in
                guard result.isEvaluated[i] else { return -1 }
                if result.isIgnored[t * n + i] { return -1 }
                return result.matchedGroundTruth[t * n + i] >= 0 ? 1 : 0
            },
            matched: { t, i in
                let box = Int(result.matchedGroundTruth[t * n + i])
                return box >= 0 ? (box, result.matchedIoU[t * n + i]) : nil
            })
        return record
    }
}
