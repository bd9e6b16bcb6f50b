public import EvalKit

/// Intervals for the change between two runs from a paired bootstrap over images.
public struct BootstrapIntervals: Sendable {
    public struct Interval: Sendable, Equatable {
        public var low: Double
        public var high: Double
    }

    public var resamples: Int
    public var seed: UInt64
    /// The nominal coverage (0.95: the 2.5th to 97.5th percentile of the replicates' changes).
    public var level: Double
    /// The number of images each replicate draws.
    public var imageCount: Int
    /// Summary metric -> interval.
    public var summary: [Metric: Interval]
    /// Category id -> per-class metric -> interval.
    public var classes: [Int64: [Metric: Interval]]
    /// How many values the self-check compared with the evaluations (weights of one must reproduce them).
    public var checkedValues: Int
}

/// Runs the paired bootstrap of `evaldb diff --ci`: both runs are matched once in memory, then each replicate
/// re-accumulates them on the same resampled image multiset.
public struct BootstrapService {
    public let store: any Store

    public init(_ store: any Store) { self.store = store }

    /// Intervals at `level` for every summary and per-class change B - A, from `resamples` replicates drawn from
    /// `seed`. Throws `BootstrapInconsistency` when weights of one do not reproduce both evaluations.
    public func intervals(
        runA: String, runB: String, request: EvaluationRequest, resamples: Int, seed: UInt64, level: Double = 0.95
    ) throws -> BootstrapIntervals {
        let pair = try matched(runA: runA, runB: runB, request: request)
        let design = pair.design
        let bootstrap = PairedBootstrap(design: design)
        let ones = [Int32](repeating: 1, count: design.imageCount)
        // With every image once, the resampling arithmetic must give the evaluation's own numbers.
        var checked = try BootstrapCheck.verify(
            bootstrap.values(pair.resampledA, weights: ones), design: design, against: pair.recordA, run: runA)
        checked += try BootstrapCheck.verify(
            bootstrap.values(pair.resampledB, weights: ones), design: design, against: pair.recordB, run: runB)
        let changes = bootstrap.changes(pair.resampledA, pair.resampledB, replicates: resamples, seed: seed)
        var summary: [Metric: BootstrapIntervals.Interval] = [:]
        for (m, estimate) in design.summary.enumerated() {
            guard let interval = percentileInterval(changes.column(m), level: level) else { continue }
            summary[estimate.metric] = .init(low: interval.low, high: interval.high)
        }
        var classes: [Int64: [Metric: BootstrapIntervals.Interval]] = [:]
        let width = design.classMetrics.count
        for (k, category) in design.categoryIDs.enumerated() {
            for (m, estimate) in design.classMetrics.enumerated() {
                guard
                    let interval = percentileInterval(
                        changes.column(design.summary.count + k * width + m), level: level)
                else { continue }
                classes[category, default: [:]][estimate.metric] = .init(low: interval.low, high: interval.high)
            }
        }
        return BootstrapIntervals(
            resamples: resamples, seed: seed, level: level, imageCount: design.imageCount, summary: summary,
            classes: classes, checkedValues: checked)
    }
}

/// Both runs evaluated in memory on the dataset of the first, with their outcomes for resampling.
struct MatchedPair {
    var groundTruth: EvalGroundTruth
    var imageRowIDs: [Int64]
    var parameters: EvaluationParameters
    var design: BootstrapDesign
    var recordA: EvaluationResult
    var recordB: EvaluationResult
    var resampledA: ResampledRun
    var resampledB: ResampledRun
}

extension BootstrapService {
    /// Loads both runs with `request`'s filters, evaluates them in memory and lays out their outcomes.
    func matched(runA: String, runB: String, request: EvaluationRequest) throws -> MatchedPair {
        let service = EvaluationService(store)
        let a = try store.runs.require(name: runA)
        let b = try store.runs.require(name: runB)
        let dataset = try store.dataset(of: a)
        let categories = try store.datasets.categories(datasetID: dataset.id)
        let parameters = try EvaluationParameters(request: request, categories: categories)
        let inputsA = try service.prepare(run: a, dataset: dataset, parameters: parameters)
        let inputsB = try service.prepare(run: b, dataset: dataset, parameters: parameters)
        let groundTruth = inputsA.groundTruth
        let protocolParameters = parameters.protocolParameters
        let design = Evaluation.bootstrapDesign(groundTruth, parameters: protocolParameters)
        let (recordA, resampledA) = Evaluation.evaluateResampled(
            groundTruth, inputsA.detections, parameters: protocolParameters, design: design)
        let (recordB, resampledB) = Evaluation.evaluateResampled(
            groundTruth, inputsB.detections, parameters: protocolParameters, design: design)
        return MatchedPair(
            groundTruth: groundTruth, imageRowIDs: inputsA.rows.imageRowIDs, parameters: parameters, design: design,
            recordA: recordA, recordB: recordB, resampledA: resampledA, resampledB: resampledB)
    }
}

/// The bootstrap's arithmetic disagrees with the evaluation it resamples (a bug: please report it).
public struct BootstrapInconsistency: Error, CustomStringConvertible {
    public var run: String
    public var metric: String
    public var evaluation: Double?
    public var bootstrap: Double?

    public var description: String {
        "internal check failed: the bootstrap recomputes \(metric) of '\(run)' as \(bootstrap.map { "\($0)" } ?? "undefined"), the evaluation has \(evaluation.map { "\($0)" } ?? "undefined"); no interval is reported (please report this)"
    }
}

/// The self-check of every `--ci` run: weights of one must give the evaluation's own numbers.
enum BootstrapCheck {
    /// Compares `values` (every image weighted once) with `result`: every summary metric of the design and every
    /// per-class value, to 1e-9. Returns the number of values compared; throws `BootstrapInconsistency` on the
    /// first difference, or when a value has no counterpart in the result.
    static func verify(_ values: [Double], design: BootstrapDesign, against result: EvaluationResult, run: String)
        throws -> Int
    {
        var compared = 0
        func check(_ metric: String, _ expected: Double?, _ got: Double) throws {
            let bootstrap: Double? = got.isNaN ? nil : got
            switch (expected, bootstrap) {
            case (nil, nil): break
            case (let e?, let b?) where abs(e - b) <= 1e-9: break
            default:
                throw BootstrapInconsistency(run: run, metric: metric, evaluation: expected, bootstrap: bootstrap)
            }
            compared += 1
        }
        var summary: [Metric: Double?] = [:]
        for item in result.summary where summary[item.metric] == nil { summary[item.metric] = item.value }
        for (m, estimate) in design.summary.enumerated() {
            guard let expected = summary[estimate.metric] else {
                throw BootstrapInconsistency(
                    run: run, metric: estimate.metric.summaryName, evaluation: nil, bootstrap: values[m])
            }
            try check(estimate.metric.summaryName, expected, values[m])
        }
        var classValues: [Int64: [Metric: Double?]] = [:]
        for item in result.classValues where classValues[item.categoryID]?[item.metric] == nil {
            classValues[item.categoryID, default: [:]][item.metric] = item.value
        }
        let counts = Dictionary(result.classCounts.map { ($0.categoryID, $0) }, uniquingKeysWith: { first, _ in first })
        let width = design.classMetrics.count
        for (k, category) in design.categoryIDs.enumerated() {
            for (m, estimate) in design.classMetrics.enumerated() {
                let got = values[design.summary.count + k * width + m]
                let name = "\(estimate.metric)[\(category)]"
                let expected: Double??
                switch estimate.statistic {
                case .truePositives: expected = counts[category].map { Double($0.truePositives) }
                case .falsePositives: expected = counts[category].map { Double($0.falsePositives) }
                case .falseNegatives: expected = counts[category].map { Double($0.falseNegatives) }
                case .averagePrecision, .averageRecall: expected = classValues[category]?[estimate.metric]
                }
                guard let expected else {
                    throw BootstrapInconsistency(run: run, metric: name, evaluation: nil, bootstrap: got)
                }
                try check(name, expected, got)
            }
        }
        return compared
    }
}

/// True positives, false positives and misses of one image in two runs.
public struct ImageCountsChange: Sendable, Equatable {
    public var imageRowID: Int64
    public var fileName: String
    public var a: (tp: Int, fp: Int, fn: Int)
    public var b: (tp: Int, fp: Int, fn: Int)

    public static func == (x: Self, y: Self) -> Bool {
        x.imageRowID == y.imageRowID && x.fileName == y.fileName && x.a == y.a && x.b == y.b
    }

    /// |ΔTP| + |ΔFP| + |ΔFN|.
    public var size: Int { abs(b.tp - a.tp) + abs(b.fp - a.fp) + abs(b.fn - a.fn) }
}

extension BootstrapService {
    /// Per-image TP/FP/FN of both runs at IoU 0.5 (the first threshold when 0.5 is not evaluated), for one
    /// category or all, the images that changed most first (ties by image order); at most `limit`.
    public func imageChanges(
        runA: String, runB: String, request: EvaluationRequest, category: Int64?, limit: Int
    ) throws -> (threshold: Double, images: [ImageCountsChange]) {
        let pair = try matched(runA: runA, runB: runB, request: request)
        let design = pair.design
        let thresholds = pair.parameters.iouThresholds
        // The cell and threshold the evaluation counts TP / FP / FN at.
        let counting = design.classMetrics.first { $0.statistic == .truePositives }
        let t = counting?.thresholds.first ?? 0
        let cell = counting?.sources.first?.cell ?? 0
        let threshold = thresholds.isEmpty ? 0.5 : thresholds[t]
        let imageCount = design.imageCount
        let classFilter = category.flatMap { design.categoryIDs.firstIndex(of: $0) }
        if category != nil && classFilter == nil { return (threshold, []) }
        let positives = design.positiveSets[design.cells[cell].positiveSet]
        func counts(_ run: ResampledRun) -> [(tp: Int, fp: Int, fn: Int)] {
            let found = run.cells[cell].imageCounts(threshold: t, classIndex: classFilter, imageCount: imageCount)
            return (0..<imageCount).map { image in
                var total = 0
                for e in positives.start[image]..<positives.start[image + 1]
                where classFilter == nil || Int(positives.classIndex[e]) == classFilter {
                    total += Int(positives.count[e])
                }
                return (found[image].tp, found[image].fp, total - found[image].tp)
            }
        }
        let countsA = counts(pair.resampledA)
        let countsB = counts(pair.resampledB)
        var changed: [(image: Int, change: ImageCountsChange)] = []
        for image in 0..<imageCount {
            let change = ImageCountsChange(
                imageRowID: pair.imageRowIDs[image], fileName: "", a: countsA[image], b: countsB[image])
            if change.size > 0 { changed.append((image, change)) }
        }
        changed.sort { $0.change.size != $1.change.size ? $0.change.size > $1.change.size : $0.image < $1.image }
        var result = Array(changed.prefix(limit).map(\.change))
        let names = try store.datasets.fileNames(imageRowIDs: result.map(\.imageRowID))
        for index in result.indices { result[index].fileName = names[result[index].imageRowID] ?? "" }
        return (threshold, result)
    }
}
