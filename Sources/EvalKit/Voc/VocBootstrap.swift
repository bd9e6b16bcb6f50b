/// The paired bootstrap of the `voc07` and `voc12` protocols: one cell at the one threshold, positives the
/// non-difficult ground truths, detections ranked by score with ties in input order (the devkit's stable sort).
public enum VocBootstrap {
    /// The design for `parameters` on `groundTruth`.
    public static func design(_ groundTruth: EvalGroundTruth, parameters: VocParameters) -> BootstrapDesign {
        let index = Dictionary(
            groundTruth.categoryIDs.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        var boxClass = [Int32](repeating: -1, count: groundTruth.count)
        for box in 0..<groundTruth.count where !groundTruth.isDifficult[box] {
            boxClass[box] = index[groundTruth.category[box]] ?? -1
        }
        let source = [BootstrapDesign.Source(cell: 0)]
        let protocolParameters = ProtocolParameters.voc(parameters)
        let classMetrics = (protocolParameters.classMetrics + protocolParameters.countMetrics).map {
            BootstrapDesign.Estimate($0, thresholds: [0], sources: source)
        }
        return BootstrapDesign(
            rule: parameters.metric == .elevenPoint ? .elevenPoint : .allPoint, weighting: .equal, thresholdCount: 1,
            categoryIDs: groundTruth.categoryIDs,
            positiveSets: [
                ImagePositives(imageCount: groundTruth.imageCount, boxImage: groundTruth.image, boxClass: boxClass)
            ],
            cells: [.init(positiveSet: 0, computesPrecision: true)],
            summary: [.init(parameters.summaryMetric, thresholds: [0], sources: source)],
            classMetrics: classMetrics)
    }

    /// One run's outcomes from `VocEvaluator.evaluate` of `detections`.
    public static func run(
        _ result: VocResult, _ detections: EvalDetections, groundTruth: EvalGroundTruth,
        design: BootstrapDesign
    ) -> ResampledRun {
        let index = Dictionary(
            groundTruth.categoryIDs.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        let classIndex = detections.category.map { index[$0] ?? -1 }
        let order = RankingOrder.descendingScore(detections.score)
        let truePositive = result.outcome.map { UInt64($0 == 1 ? 1 : 0) }
        let falsePositive = result.outcome.map { UInt64($0 == 0 ? 1 : 0) }
        return ResampledRun(cells: [
            RankedOutcomes(
                classCount: design.classCount, thresholdCount: 1, order: order, classIndex: classIndex,
                image: detections.image, truePositive: truePositive, falsePositive: falsePositive)
        ])
    }
}
