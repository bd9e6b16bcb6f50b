public import EvalKit

/// 95% intervals for the change between two runs from a paired bootstrap over images.
public struct BootstrapIntervals: Sendable {
    public struct Interval: Sendable, Equatable {
        public var low: Double
        public var high: Double
    }

    public var resamples: Int
    public var seed: UInt64
    /// Summary metric name (as stored: AP, AP50, AP75, AR100, mAP, ...) -> interval.
    public var summary: [String: Interval]
    /// Category id -> class metric name (AP, AP50, AP75, AR100, TP, FP, FN, ...) -> interval.
    public var classes: [Int64: [String: Interval]]
    /// The same values recomputed with every image once: they equal the stored evaluation (a self-check).
    public var pointA: ReplicateValues
    public var pointB: ReplicateValues
    /// Category ids in the order of `ReplicateValues.classes`.
    public var categoryIDs: [Int64]
    /// Stored names of `ReplicateValues.summaryNames` / `classNames` for this protocol (nil: not reported).
    public var summaryNames: [String?]
    public var classNames: [String?]
}

/// Runs the paired bootstrap of `evaldb diff --ci`: both runs are matched once in memory, then each replicate
/// re-accumulates them on the same resampled image multiset.
public struct BootstrapService {
    public let database: Database

    public init(_ database: Database) { self.database = database }

    public func intervals(
        runA: String, runB: String, request: EvaluationRequest, resamples: Int, seed: UInt64
    ) throws -> BootstrapIntervals {
        let pair = try matched(runA: runA, runB: runB, request: request)
        let (plan, rankedA, rankedB, recordA, recordB) = (
            pair.plan, pair.rankedA, pair.rankedB, pair.recordA, pair.recordB
        )
        let groundTruth = pair.groundTruth
        let bootstrap = plan.bootstrap
        let ones = [Int32](repeating: 1, count: groundTruth.imageCount)
        let pointA = bootstrap.values(rankedA, weights: ones)
        let pointB = bootstrap.values(rankedB, weights: ones)
        // With every image once, the resampling arithmetic must give the evaluation's own numbers.
        try plan.verify(pointA, against: recordA, run: runA)
        try plan.verify(pointB, against: recordB, run: runB)
        let changes = bootstrap.changes(rankedA, rankedB, replicates: resamples, seed: seed)
        var summary: [String: BootstrapIntervals.Interval] = [:]
        for (m, name) in plan.summaryNames.enumerated() {
            guard let name, let interval = percentileInterval(changes.map { $0[m] }) else { continue }
            summary[name] = .init(low: interval.low, high: interval.high)
        }
        var classes: [Int64: [String: BootstrapIntervals.Interval]] = [:]
        let width = ReplicateValues.classNames.count
        for (k, category) in plan.categoryIDs.enumerated() {
            for (m, name) in plan.classNames.enumerated() {
                let column = ReplicateValues.summaryNames.count + k * width + m
                guard let name, let interval = percentileInterval(changes.map { $0[column] }) else { continue }
                classes[category, default: [:]][name] = .init(low: interval.low, high: interval.high)
            }
        }
        return BootstrapIntervals(
            resamples: resamples, seed: seed, summary: summary, classes: classes,
            pointA: pointA, pointB: pointB,
            categoryIDs: plan.categoryIDs, summaryNames: plan.summaryNames, classNames: plan.classNames)
    }
}

/// Both runs evaluated in memory on the dataset of the first, and ranked for resampling.
struct MatchedPair {
    var groundTruth: EvalGroundTruth
    var imageRowIDs: [Int64]
    var plan: BootstrapPlan
    var recordA: EvaluationRecord
    var recordB: EvaluationRecord
    var rankedA: RankedOutcomes
    var rankedB: RankedOutcomes
}

extension BootstrapService {
    /// Loads both runs with `request`'s filters, evaluates them in memory and ranks their outcomes.
    func matched(runA: String, runB: String, request: EvaluationRequest) throws -> MatchedPair {
        let service = EvaluationService(database)
        let runs = RunStore(database)
        let a = try runs.require(name: runA)
        let b = try runs.require(name: runB)
        guard let dataset = try DatasetStore(database).find(id: a.datasetID) else {
            throw StoreError.unknownRun(name: runA, known: [])
        }
        let categories = try DatasetStore(database).categories(datasetID: dataset.id)
        let settings = try ProtocolSettings(request: request, categories: categories)
        let (groundTruth, detectionsA, contextA) = try service.prepare(run: a, dataset: dataset, settings: settings)
        let (_, detectionsB, contextB) = try service.prepare(run: b, dataset: dataset, settings: settings)
        let recordA = ProtocolRunner.run(groundTruth, detectionsA, context: contextA)
        let recordB = ProtocolRunner.run(groundTruth, detectionsB, context: contextB)
        let plan = BootstrapPlan(settings: settings, groundTruth: groundTruth)
        return MatchedPair(
            groundTruth: groundTruth, imageRowIDs: contextA.imageRowIDs, plan: plan, recordA: recordA,
            recordB: recordB, rankedA: plan.ranked(detectionsA, groundTruth: groundTruth, matches: recordA.matches),
            rankedB: plan.ranked(detectionsB, groundTruth: groundTruth, matches: recordB.matches))
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

/// The protocol-specific parts of the bootstrap: classes, positives, ranking order, AP rule, names.
struct BootstrapPlan {
    var bootstrap: PairedBootstrap
    var categoryIDs: [Int64]
    var summaryNames: [String?]
    var classNames: [String?]
    let settings: ProtocolSettings
    /// Ranking key of each image: pycocotools and the VisDrone toolkit pool images in id / file order.
    let imageRank: [Int32]

    init(settings: ProtocolSettings, groundTruth gt: EvalGroundTruth) {
        self.settings = settings
        let thresholds = settings.iouThresholds
        let fifty = thresholds.firstIndex(of: 0.5)
        let seventyFive = thresholds.firstIndex(of: 0.75)
        var boxClass = [Int32](repeating: -1, count: gt.count)
        let rule: AveragePrecisionRule
        var weighting = ClassWeighting.equal
        let lastMaxDets = settings.maxDetections.last.map { "AR\($0)" }
        switch settings.evaluationProtocol {
        case .coco:
            rule = .interpolated(recallPoints: CocoParameters.defaultRecallThresholds)
            categoryIDs = settings.isClassAgnostic ? [-1] : gt.categoryIDs
            let index = Dictionary(uniqueKeysWithValues: gt.categoryIDs.enumerated().map { ($1, Int32($0)) })
            let range = settings.areaRanges.first
            for box in 0..<gt.count where !gt.isCrowd[box] {
                if let range, gt.area[box] < range.lower || gt.area[box] > range.upper { continue }
                boxClass[box] =
                    settings.isClassAgnostic ? (index[gt.category[box]] == nil ? -1 : 0) : index[gt.category[box]] ?? -1
            }
            summaryNames = ["AP", fifty == nil ? nil : "AP50", seventyFive == nil ? nil : "AP75", lastMaxDets]
            classNames = [
                "AP", fifty == nil ? nil : "AP50", seventyFive == nil ? nil : "AP75", lastMaxDets, "TP", "FP", "FN",
            ]
        case .voc07, .voc12:
            rule = settings.evaluationProtocol == .voc07 ? .elevenPoint : .allPoint
            categoryIDs = gt.categoryIDs
            let index = Dictionary(uniqueKeysWithValues: gt.categoryIDs.enumerated().map { ($1, Int32($0)) })
            for box in 0..<gt.count where !gt.isDifficult[box] { boxClass[box] = index[gt.category[box]] ?? -1 }
            summaryNames = ["mAP", nil, nil, nil]
            classNames = ["AP", nil, nil, nil, "TP", "FP", "FN"]
        case .visdrone:
            rule = .allPoint
            weighting = .imagesHolding
            categoryIDs = Array(VisDroneEvaluator.categories)
            let kept = VisDroneEvaluator.survivors(gt, EvalDetections()).groundTruth
            for boxes in kept {
                for box in boxes where VisDroneEvaluator.categories.contains(gt.category[box]) {
                    boxClass[box] = Int32(gt.category[box] - VisDroneEvaluator.categories.lowerBound)
                }
            }
            summaryNames = ["AP", fifty == nil ? nil : "AP50", seventyFive == nil ? nil : "AP75", lastMaxDets]
            classNames = [
                "AP", fifty == nil ? nil : "AP50", seventyFive == nil ? nil : "AP75", lastMaxDets, "TP", "FP", "FN",
            ]
        }
        let counting = fifty ?? 0
        bootstrap = PairedBootstrap(
            rule: rule, weighting: weighting, thresholdCount: thresholds.count, fifty: fifty, seventyFive: seventyFive,
            counting: counting,
            positives: ImagePositives(imageCount: gt.imageCount, boxImage: gt.image, boxClass: boxClass),
            classCount: categoryIDs.count)
        if settings.evaluationProtocol == .coco {
            let byID = (0..<gt.imageCount).sorted { (gt.imageIDs[$0], $0) < (gt.imageIDs[$1], $1) }
            var rank = [Int32](repeating: 0, count: gt.imageCount)
            for (position, image) in byID.enumerated() { rank[image] = Int32(position) }
            imageRank = rank
        } else {
            imageRank = (0..<Int32(gt.imageCount)).map { $0 }
        }
    }

    /// Throws `BootstrapInconsistency` unless `values` (every image weighted once) equal `record`'s summary
    /// metrics, per-class AP / AP50 / AP75 / AR and counts, to 1e-9.
    func verify(_ values: ReplicateValues, against record: EvaluationRecord, run: String) throws {
        func check(_ metric: String, _ expected: Double?, _ got: Double) throws {
            let bootstrap: Double? = got.isNaN ? nil : got
            switch (expected, bootstrap) {
            case (nil, nil): return
            case (let e?, let b?) where abs(e - b) <= 1e-9: return
            default:
                throw BootstrapInconsistency(run: run, metric: metric, evaluation: expected, bootstrap: bootstrap)
            }
        }
        let summary = Dictionary(record.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        for (m, name) in summaryNames.enumerated() {
            guard let name, let expected = summary[name] else { continue }
            try check(name, expected, values.summary[m])
        }
        let thresholds = settings.iouThresholds
        let lastMaxDets = settings.maxDetections.last
        for (k, category) in categoryIDs.enumerated() {
            func classMetric(_ metric: String, iou: Double?, maxDets: Int?) -> Double?? {
                record.classMetrics.first {
                    $0.categoryID == category && $0.metric == metric && $0.iou == iou && $0.area == "all"
                        && (metric == "AP" || $0.maxDetections == maxDets)
                }.map(\.value)
            }
            let row = values.classes[k]
            if let expected = classMetric("AP", iou: nil, maxDets: nil) {
                try check("AP[\(category)]", expected, row[0])
            }
            if settings.evaluationProtocol != .voc07 && settings.evaluationProtocol != .voc12 {
                if let t = bootstrap.fifty, let expected = classMetric("AP", iou: thresholds[t], maxDets: nil) {
                    try check("AP50[\(category)]", expected, row[1])
                }
                if let expected = classMetric("AR", iou: nil, maxDets: lastMaxDets) {
                    try check("AR[\(category)]", expected, row[3])
                }
            }
            if let counts = record.classCounts.first(where: { $0.categoryID == category }) {
                try check("TP[\(category)]", Double(counts.truePositives), row[4])
                try check("FP[\(category)]", Double(counts.falsePositives), row[5])
                try check("FN[\(category)]", Double(counts.falseNegatives), row[6])
            }
        }
    }

    /// A run's detections in ranking order per class: score descending; ties by image (pooled in image
    /// order) for COCO and VisDrone, by input order for VOC; then input order.
    func ranked(_ dt: EvalDetections, groundTruth gt: EvalGroundTruth, matches: EvaluationRecord.Matches)
        -> RankedOutcomes
    {
        let index = Dictionary(uniqueKeysWithValues: categoryIDs.enumerated().map { ($1, Int32($0)) })
        let agnostic = settings.evaluationProtocol == .coco && settings.isClassAgnostic
        let known = Set(gt.categoryIDs)
        let classIndex: [Int32] = (0..<dt.count).map { i in
            agnostic ? (known.contains(dt.category[i]) ? 0 : -1) : index[dt.category[i]] ?? -1
        }
        let poolsByImage = settings.evaluationProtocol != .voc07 && settings.evaluationProtocol != .voc12
        let order = (0..<dt.count).sorted { x, y in
            if dt.score[x] != dt.score[y] { return dt.score[x] > dt.score[y] }
            if poolsByImage {
                let rx = imageRank[Int(dt.image[x])]
                let ry = imageRank[Int(dt.image[y])]
                if rx != ry { return rx < ry }
            }
            return x < y
        }
        return RankedOutcomes(
            classCount: categoryIDs.count, classIndex: classIndex, order: order, image: dt.image,
            truePositiveMask: matches.truePositiveMask, ignoredMask: matches.ignoredMask,
            thresholdCount: settings.iouThresholds.count)
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
        let plan = pair.plan
        let groundTruth = pair.groundTruth
        let threshold = plan.settings.iouThresholds[plan.bootstrap.counting]
        let counting = plan.bootstrap.counting
        let classFilter: Int32? = category.flatMap { id in plan.categoryIDs.firstIndex(of: id).map { Int32($0) } }
        if category != nil && classFilter == nil { return (threshold, []) }
        func counts(_ ranked: RankedOutcomes) -> [(tp: Int, fp: Int, fn: Int)] {
            var perImage = [(tp: Int, fp: Int, fn: Int)](repeating: (0, 0, 0), count: groundTruth.imageCount)
            let bit = UInt32(1) << UInt32(counting)
            for k in 0..<plan.categoryIDs.count where classFilter == nil || classFilter == Int32(k) {
                for d in ranked.classStart[k]..<ranked.classStart[k + 1] {
                    let image = Int(ranked.image[d])
                    if ranked.truePositive[d] & bit != 0 { perImage[image].tp += 1 }
                    if ranked.falsePositive[d] & bit != 0 { perImage[image].fp += 1 }
                }
            }
            let positives = plan.bootstrap.positives
            for image in 0..<groundTruth.imageCount {
                var total = 0
                for e in positives.start[image]..<positives.start[image + 1]
                where classFilter == nil || positives.classIndex[e] == classFilter {
                    total += Int(positives.count[e])
                }
                perImage[image].fn = total - perImage[image].tp
            }
            return perImage
        }
        let countsA = counts(pair.rankedA)
        let countsB = counts(pair.rankedB)
        var changed: [(image: Int, change: ImageCountsChange)] = []
        for image in 0..<groundTruth.imageCount {
            let change = ImageCountsChange(
                imageRowID: pair.imageRowIDs[image], fileName: "", a: countsA[image], b: countsB[image])
            if change.size > 0 { changed.append((image, change)) }
        }
        changed.sort { $0.change.size != $1.change.size ? $0.change.size > $1.change.size : $0.image < $1.image }
        var result = Array(changed.prefix(limit).map(\.change))
        let names = try database.prepare("SELECT file_name FROM images WHERE id = ?")
        for index in result.indices {
            try names.bind([.integer(result[index].imageRowID)])
            if try names.step() { result[index].fileName = names.column(0).string ?? "" }
            names.reset()
        }
        return (threshold, result)
    }
}
