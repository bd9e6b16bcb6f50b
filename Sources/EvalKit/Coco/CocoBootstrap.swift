/// The paired bootstrap of the `coco` protocol: what is resampled for pycocotools' 12 stats and the per-class
/// values, and each run's outcomes for it.
///
/// One cell per area range at the last max-detections value (pycocotools matches at `maxDets[-1]` and reads the
/// smaller values as prefixes of each image's list, so AR1 and AR10 are recall limits of the same cell); a
/// separate cell only where a stat needs precision at a smaller value. Positives per area range are the boxes
/// that are not crowd and whose `area` falls inside the range (pycocotools' `npig`).
public enum CocoBootstrap {
    /// The design for `parameters` on `groundTruth` (`maxDetections` are sorted, as the evaluator sorts them).
    public static func design(_ groundTruth: EvalGroundTruth, parameters: CocoParameters) -> BootstrapDesign {
        var parameters = parameters
        parameters.maxDetections.sort()
        let categoryIDs = Array(Set(groundTruth.categoryIDs)).sorted()
        let index = Dictionary(uniqueKeysWithValues: categoryIDs.enumerated().map { ($1, Int32($0)) })
        let positiveSets = parameters.areaRanges.map { range in
            var boxClass = [Int32](repeating: -1, count: groundTruth.count)
            for box in 0..<groundTruth.count where !groundTruth.isCrowd[box] && !range.excludes(groundTruth.area[box]) {
                if let k = index[groundTruth.category[box]] { boxClass[box] = parameters.useCategories ? k : 0 }
            }
            return ImagePositives(imageCount: groundTruth.imageCount, boxImage: groundTruth.image, boxClass: boxClass)
        }
        var builder = CellBuilder(maxDetections: parameters.maxDetections)
        let thresholds = parameters.iouThresholds
        let all = Array(thresholds.indices)
        let last = parameters.maxDetections.count - 1

        var summary: [BootstrapDesign.Estimate] = []
        let selections = parameters.summarySelections()
        for (metric, stat) in parameters.summaryStats {
            guard let selection = selections[stat] else { continue }
            let sources = zip(selection.areas, selection.maxDetections).map { a, m in
                selection.isPrecision ? builder.precision(area: a, m: m) : builder.recall(area: a, m: m)
            }
            summary.append(.init(metric, thresholds: selection.thresholds, sources: sources))
        }

        // Per class, the values the evaluation reports under a key (and so `evaldb diff` shows), then the counts.
        let protocolParameters = ProtocolParameters.coco(parameters)
        var classMetrics: [BootstrapDesign.Estimate] = []
        for metric in protocolParameters.classMetrics where metric.classKey != nil {
            let a = parameters.areaRanges.firstIndex { $0.name == metric.area } ?? 0
            switch metric.statistic {
            case .averagePrecision:
                let t = metric.iou.flatMap { thresholds.firstIndex(of: $0) }
                classMetrics.append(
                    .init(metric, thresholds: t.map { [$0] } ?? all, sources: [builder.precision(area: a, m: last)]))
            default:
                let m = metric.maxDetections.flatMap { parameters.maxDetections.firstIndex(of: $0) } ?? last
                classMetrics.append(.init(metric, thresholds: all, sources: [builder.recall(area: a, m: m)]))
            }
        }
        if let counting = protocolParameters.countingThreshold.flatMap({ thresholds.firstIndex(of: $0) }) {
            let source = builder.precision(area: 0, m: last)
            for metric in protocolParameters.countMetrics {
                classMetrics.append(.init(metric, thresholds: [counting], sources: [source]))
            }
        }
        return BootstrapDesign(
            rule: .interpolated(recallPoints: parameters.recallThresholds), weighting: .equal,
            thresholdCount: thresholds.count, categoryIDs: parameters.useCategories ? categoryIDs : [-1],
            positiveSets: positiveSets,
            cells: builder.cells, summary: summary, classMetrics: classMetrics)
    }

    /// One run's outcomes for every cell of `design`, from `CocoEvaluator.evaluate(_:_:parameters:
    /// recordsAreaOutcomes: true)` of `detections` on `groundTruth`.
    public static func run(
        _ result: CocoResult, _ detections: EvalDetections, groundTruth: EvalGroundTruth, design: BootstrapDesign
    ) -> ResampledRun {
        guard let outcomes = result.areaOutcomes else {
            preconditionFailure("CocoBootstrap.run needs an evaluation that records area outcomes")
        }
        let n = detections.count
        let useCategories = result.parameters.useCategories
        let index = Dictionary(uniqueKeysWithValues: result.categoryIDs.enumerated().map { ($1, Int32($0)) })
        let categoryOrder = Dictionary(
            uniqueKeysWithValues: Array(Set(groundTruth.categoryIDs)).sorted().enumerated().map { ($1, $0) })
        // pycocotools pools images in ascending id order (equal ids are one image); class-agnostic, an image's
        // detections are listed category by category before its stable sort by score.
        let imageRank = imageRanks(groundTruth)
        let categoryCount = categoryOrder.count + 1
        var classIndex = [Int32](repeating: -1, count: n)
        var tieKey = [Int](repeating: 0, count: n)
        for i in 0..<n where outcomes.rank[i] >= 0 {
            let image = Int(detections.image[i])
            guard image >= 0 && image < groundTruth.imageCount else { continue }
            classIndex[i] = useCategories ? index[detections.category[i]] ?? -1 : 0
            let rank = imageRank[image]
            tieKey[i] = useCategories ? rank : rank * categoryCount + (categoryOrder[detections.category[i]] ?? 0)
        }
        let order = RankingOrder.descendingScore(detections.score, tieKey: tieKey)
        let areas = outcomes.areaCount
        let cells = design.cells.map { cell -> RankedOutcomes in
            let a = cell.positiveSet
            var truePositive = [UInt64](repeating: 0, count: n)
            var falsePositive = [UInt64](repeating: 0, count: n)
            var member = classIndex
            for i in 0..<n where member[i] >= 0 {
                if let limit = cell.rankLimit, Int(outcomes.rank[i]) >= limit {
                    member[i] = -1
                    continue
                }
                truePositive[i] = outcomes.truePositive[i * areas + a]
                falsePositive[i] = outcomes.counted[i * areas + a] & ~truePositive[i]
            }
            return RankedOutcomes(
                classCount: design.classCount, thresholdCount: design.thresholdCount, order: order,
                classIndex: member, image: detections.image, truePositive: truePositive,
                falsePositive: falsePositive, rank: cell.recallLimits.isEmpty ? nil : outcomes.rank,
                keepsFalsePositives: cell.computesPrecision)
        }
        return ResampledRun(cells: cells)
    }

    /// Each image's position in ascending id order; equal ids share one.
    static func imageRanks(_ groundTruth: EvalGroundTruth) -> [Int] {
        let count = groundTruth.imageCount
        let byID = (0..<count).sorted { (groundTruth.imageIDs[$0], $0) < (groundTruth.imageIDs[$1], $1) }
        var rank = [Int](repeating: 0, count: count)
        var current = -1
        for (position, image) in byID.enumerated() {
            if position == 0 || groundTruth.imageIDs[image] != groundTruth.imageIDs[byID[position - 1]] { current += 1 }
            rank[image] = current
        }
        return rank
    }
}

/// The cells a COCO design needs, created on first use.
private struct CellBuilder {
    let maxDetections: [Int]
    var cells: [BootstrapDesign.Cell] = []
    /// (area, max-detections index) -> cell.
    var index: [[Int]: Int] = [:]

    init(maxDetections: [Int]) { self.maxDetections = maxDetections }

    var last: Int { maxDetections.count - 1 }

    /// The cell ranking area range `area` at max-detections index `m`, computing precision.
    mutating func precision(area: Int, m: Int) -> BootstrapDesign.Source {
        let key = [area, m]
        if let cell = index[key] {
            cells[cell].computesPrecision = true
            return .init(cell: cell)
        }
        cells.append(.init(positiveSet: area, computesPrecision: true, rankLimit: m == last ? nil : maxDetections[m]))
        index[key] = cells.count - 1
        return .init(cell: cells.count - 1)
    }

    /// Recall at area range `area` and max-detections index `m`: a cell's own, or a recall limit of the area's
    /// cell at the last value.
    mutating func recall(area: Int, m: Int) -> BootstrapDesign.Source {
        if let cell = index[[area, m]] { return .init(cell: cell) }
        let base: Int
        if let cell = index[[area, last]] {
            base = cell
        } else {
            cells.append(.init(positiveSet: area, computesPrecision: false))
            base = cells.count - 1
            index[[area, last]] = base
        }
        if m == last { return .init(cell: base) }
        let limit = maxDetections[m]
        if let existing = cells[base].recallLimits.firstIndex(of: limit) {
            return .init(cell: base, recallLimit: existing)
        }
        cells[base].recallLimits.append(limit)
        return .init(cell: base, recallLimit: cells[base].recallLimits.count - 1)
    }
}
