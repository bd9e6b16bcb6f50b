/// The paired bootstrap of the `visdrone` protocol: classes 1...10, weighted by the images holding them; one cell
/// per detection budget (each budget is its own matching pass over the first N rows of every image), AP from the
/// last budget's pass. Positives are the ground truths that ignored regions leave, ignore ones included (the
/// toolkit's recall denominator).
public enum VisDroneBootstrap {
    /// The design for `parameters` on `groundTruth`.
    public static func design(_ groundTruth: EvalGroundTruth, parameters: VisDroneParameters) -> BootstrapDesign {
        let categories = VisDroneEvaluator.categories
        var boxClass = [Int32](repeating: -1, count: groundTruth.count)
        let kept = VisDroneEvaluator.survivors(groundTruth, EvalDetections()).groundTruth
        for boxes in kept {
            for box in boxes where categories.contains(groundTruth.category[box]) {
                boxClass[box] = Int32(groundTruth.category[box] - categories.lowerBound)
            }
        }
        let positives = ImagePositives(
            imageCount: groundTruth.imageCount, boxImage: groundTruth.image, boxClass: boxClass)
        let budgets = parameters.maxDetections
        let thresholds = parameters.iouThresholds
        let all = Array(thresholds.indices)
        let last = budgets.count - 1
        let cells = budgets.indices.map { BootstrapDesign.Cell(positiveSet: 0, computesPrecision: $0 == last) }
        let apSource = [BootstrapDesign.Source(cell: max(last, 0))]
        let protocolParameters = ProtocolParameters.visdrone(parameters)
        // AP at one threshold (or all), from the last budget's pass; AR from its budget's pass.
        func estimate(_ metric: Metric) -> BootstrapDesign.Estimate {
            switch metric.statistic {
            case .averagePrecision:
                let at = metric.iou.map { iou in thresholds.firstIndex(of: iou).map { [$0] } ?? [] } ?? all
                return .init(metric, thresholds: at, sources: apSource)
            default:
                let b = metric.maxDetections.flatMap { budgets.firstIndex(of: $0) } ?? last
                return .init(metric, thresholds: all, sources: [.init(cell: b)])
            }
        }
        let summary = protocolParameters.summaryMetrics.map(estimate)
        var classMetrics = protocolParameters.classMetrics.filter { $0.classKey != nil }.map(estimate)
        if let counting = protocolParameters.countingThreshold.flatMap({ thresholds.firstIndex(of: $0) }) {
            classMetrics += protocolParameters.countMetrics.map {
                BootstrapDesign.Estimate($0, thresholds: [counting], sources: apSource)
            }
        }
        return BootstrapDesign(
            rule: .allPoint, weighting: .imagesHolding, thresholdCount: thresholds.count,
            categoryIDs: Array(categories), positiveSets: [positives], cells: cells, summary: summary,
            classMetrics: classMetrics)
    }

    /// One run's outcomes for every cell of `design`, from `VisDroneEvaluator.evaluate(_:_:parameters:
    /// recordsBudgetOutcomes: true)` of `detections`.
    public static func run(_ result: VisDroneResult, _ detections: EvalDetections, design: BootstrapDesign)
        -> ResampledRun
    {
        guard let budgetTruePositives = result.budgetTruePositives else {
            preconditionFailure("VisDroneBootstrap.run needs an evaluation that records budget outcomes")
        }
        let n = detections.count
        let categories = VisDroneEvaluator.categories
        let classIndex = detections.category.map { categories.contains($0) ? Int32($0 - categories.lowerBound) : -1 }
        // The toolkit pools images in file order and each image's rows in its matching order (score, then row).
        let order = RankingOrder.descendingScore(detections.score, tieKey: detections.image.map { Int(max($0, 0)) })
        let T = design.thresholdCount
        let last = design.cells.count - 1
        let cells = design.cells.indices.map { b -> RankedOutcomes in
            var truePositive = budgetTruePositives[b]
            var falsePositive = [UInt64](repeating: 0, count: n)
            if b == last {
                for t in 0..<T {
                    for i in 0..<n {
                        switch result.outcome[t * n + i] {
                        case 1: truePositive[i] |= 1 &<< UInt64(t)
                        case 0: falsePositive[i] |= 1 &<< UInt64(t)
                        default: break
                        }
                    }
                }
            }
            return RankedOutcomes(
                classCount: design.classCount, thresholdCount: T, order: order, classIndex: classIndex,
                image: detections.image, truePositive: truePositive, falsePositive: falsePositive,
                keepsFalsePositives: design.cells[b].computesPrecision)
        }
        return ResampledRun(cells: cells)
    }
}
