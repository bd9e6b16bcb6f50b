import EvalKit

extension ProtocolRunner {
    /// pycocotools' parameters for these settings.
    static func cocoParameters(_ settings: ProtocolSettings) -> CocoParameters {
        CocoParameters(
            iouThresholds: settings.iouThresholds, recallThresholds: CocoParameters.linspace(0, 1, 101),
            maxDetections: settings.maxDetections,
            areaRanges: settings.areaRanges,
            useCategories: !settings.isClassAgnostic)
    }

    static func cocoRecord(_ result: CocoResult, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let settings = context.settings
        var record = emptyRecord(context)
        func defined(_ value: Double) -> Double? { value < 0 ? nil : value }
        // Duplicate names (e.g. maxDets 100,100,100) keep the first value, as a dictionary would.
        var seen = Set<String>()
        for (name, value) in zip(CocoParameters.statNames(maxDetections: settings.maxDetections), result.stats)
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
                var curve = EvaluationRecord.PRCurve(
                    categoryID: category, iou: iou, precision: [], score: [])
                curve.precision.reserveCapacity(result.recallPointCount)
                curve.score.reserveCapacity(result.recallPointCount)
                // pycocotools leaves 0 at recall points the curve never reaches (precision and score): the
                // precision stays 0, the score becomes nil. A point is reached when the class has evaluated
                // detections and its final recall is at least the point (numpy's searchsorted finds an index).
                let reached = result.recall(t: t, k: k, a: 0, m: lastM)
                for r in 0..<result.recallPointCount {
                    let precision = result.precision(t: t, r: r, k: k, a: 0, m: lastM)
                    curve.precision.append(defined(precision))
                    let isReached =
                        precision >= 0 && result.counts[k].detections > 0
                        && result.parameters.recallThresholds[r] <= reached
                    curve.score.append(isReached ? result.score(t: t, r: r, k: k, a: 0, m: lastM) : nil)
                }
                record.prCurves.append(curve)
            }
        }
        for counts in result.counts {
            record.classCounts.append(
                .init(
                    categoryID: counts.categoryID, iou: counts.iouThreshold, groundTruth: counts.groundTruth,
                    detections: counts.detections, truePositives: counts.truePositives,
                    falsePositives: counts.falsePositives, falseNegatives: counts.falseNegatives))
        }
        record.matches = cocoMatches(result, detections, context: context)
        return record
    }

    /// Per-detection masks (a detection outside the evaluation is ignored at every threshold) and the boxes
    /// matched at 0.5 and 0.75, straight from the result's arrays.
    static func cocoMatches(_ result: CocoResult, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord.Matches
    {
        var m = emptyMatches(detections, context: context)
        let n = detections.count
        let thresholds = context.settings.iouThresholds
        result.isEvaluated.withUnsafeBufferPointer { evaluated in
            result.isIgnored.withUnsafeBufferPointer { ignored in
                result.matchedGroundTruth.withUnsafeBufferPointer { matched in
                    m.truePositiveMask.withUnsafeMutableBufferPointer { tp in
                        m.ignoredMask.withUnsafeMutableBufferPointer { ignoredMask in
                            for t in thresholds.indices {
                                let bit = Int64(1) << Int64(t)
                                for i in 0..<n {
                                    if !evaluated[i] || ignored[t * n + i] {
                                        ignoredMask[i] |= bit
                                    } else if matched[t * n + i] >= 0 {
                                        tp[i] |= bit
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        result.matchedGroundTruth.withUnsafeBufferPointer { box in
            result.matchedIoU.withUnsafeBufferPointer { iou in
                if let t = thresholds.firstIndex(of: 0.5) {
                    fillMatched(
                        UnsafeBufferPointer(rebasing: box[t * n..<(t + 1) * n]),
                        UnsafeBufferPointer(rebasing: iou[t * n..<(t + 1) * n]), boxRowIDs: context.boxRowIDs,
                        into: &m.groundTruth50, &m.iou50)
                }
                if let t = thresholds.firstIndex(of: 0.75) {
                    fillMatched(
                        UnsafeBufferPointer(rebasing: box[t * n..<(t + 1) * n]),
                        UnsafeBufferPointer(rebasing: iou[t * n..<(t + 1) * n]), boxRowIDs: context.boxRowIDs,
                        into: &m.groundTruth75, &m.iou75)
                }
            }
        }
        return m
    }
}
