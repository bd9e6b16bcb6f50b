extension EvaluationResult {
    /// The result of a COCO evaluation of `detections`: pycocotools' stats, per-class values read from its
    /// precision and recall arrays, PR curves at area range 0 and the last budget, and each detection's outcome
    /// (a detection outside the evaluation is ignored at every threshold).
    init(coco result: CocoResult, _ detections: EvalDetections) {
        let parameters = result.parameters
        self.init(parameters: .coco(parameters), detectionCount: detections.count)
        func defined(_ value: Double) -> Double? { value < 0 ? nil : value }
        summary = parameters.summaryStats.map { SummaryValue(metric: $0.metric, value: defined(result.stats[$0.stat])) }
        let classMetrics = self.parameters.classMetrics
        let thresholds = parameters.iouThresholds
        let sortedBudgets = parameters.maxDetections
        let lastM = sortedBudgets.count - 1
        // Where each per-class metric reads its value.
        let readers: [(Int) -> Double] = classMetrics.map { metric in
            let area = parameters.areaRanges.firstIndex { $0.name == metric.area } ?? 0
            switch metric.statistic {
            case .averagePrecision:
                let t = metric.iou.flatMap { thresholds.firstIndex(of: $0) }
                return { k in result.categoryAP(k: k, t: t, a: area) }
            default:
                let m = metric.maxDetections.flatMap { sortedBudgets.firstIndex(of: $0) } ?? lastM
                return { k in result.categoryAR(k: k, m: m, a: area) }
            }
        }
        classValues.reserveCapacity(result.categoryIDs.count * classMetrics.count)
        for (k, category) in result.categoryIDs.enumerated() {
            for (metric, read) in zip(classMetrics, readers) {
                classValues.append(ClassValue(categoryID: category, metric: metric, value: defined(read(k))))
            }
            for (t, iou) in thresholds.enumerated() {
                var curve = Curve(categoryID: category, iou: iou, precision: [], score: [])
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
                        && parameters.recallThresholds[r] <= reached
                    curve.score.append(isReached ? result.score(t: t, r: r, k: k, a: 0, m: lastM) : nil)
                }
                curves.append(curve)
            }
        }
        classCounts = result.counts.map {
            ClassCounts(
                categoryID: $0.categoryID, iou: $0.iouThreshold, groundTruth: $0.groundTruth,
                detections: $0.detections, truePositives: $0.truePositives, falsePositives: $0.falsePositives,
                falseNegatives: $0.falseNegatives)
        }
        outcomes = result.compactOutcomes ?? Self.cocoOutcomes(result, detectionCount: detections.count)
    }

    /// Per-detection masks and the boxes matched at 0.5 and 0.75, straight from the result's arrays.
    private static func cocoOutcomes(_ result: CocoResult, detectionCount n: Int) -> DetectionOutcomes {
        var outcomes = DetectionOutcomes(count: n)
        let thresholds = result.parameters.iouThresholds
        result.isEvaluated.withUnsafeBufferPointer { evaluated in
            result.isIgnored.withUnsafeBufferPointer { ignored in
                result.matchedGroundTruth.withUnsafeBufferPointer { matched in
                    outcomes.truePositiveMask.withUnsafeMutableBufferPointer { tp in
                        outcomes.ignoredMask.withUnsafeMutableBufferPointer { ignoredMask in
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
        if let t = thresholds.firstIndex(of: 0.5) {
            outcomes.matched50 = Array(result.matchedGroundTruth[t * n..<(t + 1) * n])
            outcomes.iou50 = Array(result.matchedIoU[t * n..<(t + 1) * n])
        }
        if let t = thresholds.firstIndex(of: 0.75) {
            outcomes.matched75 = Array(result.matchedGroundTruth[t * n..<(t + 1) * n])
            outcomes.iou75 = Array(result.matchedIoU[t * n..<(t + 1) * n])
        }
        return outcomes
    }
}
