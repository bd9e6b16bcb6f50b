import Dispatch

/// How a protocol turns a ranked list of true and false positives into average precision.
public enum AveragePrecisionRule: Sendable, Equatable {
    /// pycocotools: precision `tp / (tp + fp + 2.22e-16)`, made non-increasing from the right, read at the
    /// first detection whose recall reaches each point (0 where none does), averaged over the points.
    case interpolated(recallPoints: [Double])
    /// VOC2007: the mean over recall 0, 0.1, ..., 1 of the best precision at recall >= that value.
    case elevenPoint
    /// VOC2010+ and VisDrone: the area under the precision envelope, summed where recall changes.
    case allPoint
}

/// How per-class values combine into the summary.
public enum ClassWeighting: Sendable, Equatable {
    /// Every class with ground truth counts once (COCO, VOC).
    case equal
    /// Each class counts once per image holding it (the VisDrone toolkit).
    case imagesHolding
}

/// One run's evaluated detections, ranked per class, with per-threshold outcomes.
public struct RankedOutcomes: Sendable {
    /// `image[classStart[k] ..< classStart[k + 1]]` are class k's detections in ranking order.
    public var classStart: [Int]
    /// The detection's image index.
    public var image: [Int32]
    /// Bit t set: a true positive (a false positive) at threshold t; neither: not counted there.
    public var truePositive: [UInt32]
    public var falsePositive: [UInt32]

    /// Ranks detections of `classCount` classes: `classIndex[i]` (-1 = not evaluated), `order` the ranking
    /// (indexes in the order they are to be ranked within a class), masks per detection.
    public init(
        classCount: Int, classIndex: [Int32], order: [Int], image: [Int32], truePositiveMask: [Int64],
        ignoredMask: [Int64], thresholdCount: Int
    ) {
        let all = thresholdCount >= 32 ? UInt32.max : (UInt32(1) << UInt32(thresholdCount)) - 1
        var start = [Int](repeating: 0, count: classCount + 1)
        for i in order where classIndex[i] >= 0 { start[Int(classIndex[i]) + 1] += 1 }
        for k in 0..<classCount { start[k + 1] += start[k] }
        var next = start
        let total = start[classCount]
        var images = [Int32](repeating: 0, count: total)
        var tp = [UInt32](repeating: 0, count: total)
        var fp = [UInt32](repeating: 0, count: total)
        for i in order where classIndex[i] >= 0 {
            let k = Int(classIndex[i])
            let slot = next[k]
            next[k] += 1
            images[slot] = image[i]
            let truePositive = UInt32(truncatingIfNeeded: truePositiveMask[i]) & all
            tp[slot] = truePositive
            fp[slot] = all & ~truePositive & ~(UInt32(truncatingIfNeeded: ignoredMask[i]) & all)
        }
        classStart = start
        self.image = images
        truePositive = tp
        falsePositive = fp
    }
}

/// Positives (the recall denominator) per image and class, as sparse rows.
public struct ImagePositives: Sendable {
    /// `classIndex[start[i] ..< start[i + 1]]` and `count[...]`: the classes with positives in image i.
    public var start: [Int]
    public var classIndex: [Int32]
    public var count: [Int32]

    /// From one entry per positive box: its image and class (-1 = none).
    public init(imageCount: Int, boxImage: [Int32], boxClass: [Int32]) {
        var rows = [[Int32: Int32]](repeating: [:], count: imageCount)
        for (image, k) in zip(boxImage, boxClass) where k >= 0 && image >= 0 && Int(image) < imageCount {
            rows[Int(image)][k, default: 0] += 1
        }
        var start = [0]
        var classIndex: [Int32] = []
        var count: [Int32] = []
        for row in rows {
            for k in row.keys.sorted() {
                classIndex.append(k)
                count.append(row[k]!)
            }
            start.append(classIndex.count)
        }
        self.start = start
        self.classIndex = classIndex
        self.count = count
    }

    public var imageCount: Int { start.count - 1 }
}

/// What a replicate computes for one run: per class and threshold AP and recall, and counts.
public struct ReplicateValues: Sendable {
    /// Summary: AP (mean over thresholds), AP at the `fifty` / `seventyFive` thresholds, recall (mean over
    /// thresholds); NaN when undefined.
    public var summary: [Double]
    /// Per class: AP, AP50, AP75, recall, TP, FP, FN (counts at the counting threshold); NaN when undefined.
    public var classes: [[Double]]

    public static let summaryNames = ["AP", "AP50", "AP75", "AR"]
    public static let classNames = ["AP", "AP50", "AP75", "AR", "TP", "FP", "FN"]
}

/// A paired bootstrap over images: each replicate draws as many images as the dataset has, with replacement,
/// and evaluates both runs on that same multiset by weighting each image by the number of times it was
/// drawn (copies of an image rank next to each other). Matching does not depend on the other images, so the
/// per-detection outcomes are computed once; a replicate only re-accumulates.
public struct PairedBootstrap: Sendable {
    public var rule: AveragePrecisionRule
    public var weighting: ClassWeighting
    public var thresholdCount: Int
    /// Thresholds of AP50 / AP75 and of the TP / FP / FN counts (nil: not evaluated).
    public var fifty: Int?
    public var seventyFive: Int?
    public var counting: Int
    public var positives: ImagePositives
    public var classCount: Int

    public init(
        rule: AveragePrecisionRule, weighting: ClassWeighting, thresholdCount: Int, fifty: Int?, seventyFive: Int?,
        counting: Int, positives: ImagePositives, classCount: Int
    ) {
        self.rule = rule
        self.weighting = weighting
        self.thresholdCount = thresholdCount
        self.fifty = fifty
        self.seventyFive = seventyFive
        self.counting = counting
        self.positives = positives
        self.classCount = classCount
    }

    /// Values of `run` with every image weighted by `weights` (all ones: the evaluation itself).
    public func values(_ run: RankedOutcomes, weights: [Int32]) -> ReplicateValues {
        var scratch = Scratch(thresholds: thresholdCount)
        return values(run, weights: weights, scratch: &scratch)
    }

    /// The change B - A of every value in `replicates` resamples drawn from `seed`: the replicates' changes,
    /// summary first, then class by class (`ReplicateValues.classNames` order). Deterministic for a seed,
    /// whatever the number of cores.
    public func changes(_ a: RankedOutcomes, _ b: RankedOutcomes, replicates: Int, seed: UInt64) -> [[Double]] {
        let width = ReplicateValues.summaryNames.count + classCount * ReplicateValues.classNames.count
        let results = ReplicateSlots(count: replicates, width: width)
        let workers = min(replicates, 64)
        DispatchQueue.concurrentPerform(iterations: max(1, workers)) { worker in
            var scratch = Scratch(thresholds: thresholdCount)
            let n = positives.imageCount
            var weights = [Int32](repeating: 0, count: n)
            var r = worker
            while r < replicates {
                for i in 0..<n { weights[i] = 0 }
                var generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(r + 1))
                for _ in 0..<n { weights[Int(generator.next(below: UInt64(n)))] += 1 }
                let va = values(a, weights: weights, scratch: &scratch)
                let vb = values(b, weights: weights, scratch: &scratch)
                var row = [Double](repeating: .nan, count: width)
                for (m, (x, y)) in zip(va.summary, vb.summary).enumerated() { row[m] = y - x }
                var column = ReplicateValues.summaryNames.count
                for k in 0..<classCount {
                    for (x, y) in zip(va.classes[k], vb.classes[k]) {
                        row[column] = y - x
                        column += 1
                    }
                }
                results.store(r, row)
                r += workers
            }
        }
        return results.rows
    }

    struct Scratch {
        var eventTP: [[Int]]
        var eventFP: [[Int]]
        var tp: [Int]
        var fp: [Int]

        init(thresholds: Int) {
            eventTP = Array(repeating: [], count: thresholds)
            eventFP = Array(repeating: [], count: thresholds)
            tp = Array(repeating: 0, count: thresholds)
            fp = Array(repeating: 0, count: thresholds)
        }
    }

    func values(_ run: RankedOutcomes, weights: [Int32], scratch: inout Scratch) -> ReplicateValues {
        let T = thresholdCount
        // Positives and holding images per class under these weights.
        var npos = [Int](repeating: 0, count: classCount)
        var holding = [Int](repeating: 0, count: classCount)
        for image in 0..<positives.imageCount where weights[image] > 0 {
            let w = Int(weights[image])
            for e in positives.start[image]..<positives.start[image + 1] {
                let k = Int(positives.classIndex[e])
                npos[k] += w * Int(positives.count[e])
                holding[k] += w
            }
        }
        var classes = [[Double]](repeating: [], count: classCount)
        var ap = [Double](repeating: 0, count: T)
        var recall = [Double](repeating: 0, count: T)
        for k in 0..<classCount {
            for t in 0..<T {
                scratch.eventTP[t].removeAll(keepingCapacity: true)
                scratch.eventFP[t].removeAll(keepingCapacity: true)
                scratch.tp[t] = 0
                scratch.fp[t] = 0
            }
            var fpEverywhere = 0
            let all = T >= 32 ? UInt32.max : (UInt32(1) << UInt32(T)) - 1
            run.image.withUnsafeBufferPointer { image in
                run.truePositive.withUnsafeBufferPointer { truePositive in
                    run.falsePositive.withUnsafeBufferPointer { falsePositive in
                        for d in run.classStart[k]..<run.classStart[k + 1] {
                            let w = Int(weights[Int(image[d])])
                            if w == 0 { continue }
                            let tpBits = truePositive[d]
                            let fpBits = falsePositive[d]
                            if tpBits == 0 && fpBits == all {
                                fpEverywhere += w
                                continue
                            }
                            var bits = fpBits
                            while bits != 0 {
                                let t = bits.trailingZeroBitCount
                                scratch.fp[t] += w
                                bits &= bits - 1
                            }
                            bits = tpBits
                            while bits != 0 {
                                let t = bits.trailingZeroBitCount
                                scratch.tp[t] += w
                                scratch.eventTP[t].append(scratch.tp[t])
                                scratch.eventFP[t].append(scratch.fp[t] + fpEverywhere)
                                bits &= bits - 1
                            }
                        }
                    }
                }
            }
            let positivesK = npos[k]
            let defined = weighting == .equal ? positivesK > 0 : holding[k] > 0
            for t in 0..<T {
                ap[t] = averagePrecision(tp: scratch.eventTP[t], fp: scratch.eventFP[t], positives: positivesK)
                recall[t] = recallOf(truePositives: scratch.tp[t], positives: positivesK)
            }
            let c = counting
            let meanAP = ap.reduce(0, +) / Double(T)
            let meanRecall = recall.reduce(0, +) / Double(T)
            classes[k] = [
                defined ? meanAP : .nan,
                defined ? fifty.map { ap[$0] } ?? .nan : .nan,
                defined ? seventyFive.map { ap[$0] } ?? .nan : .nan,
                defined ? meanRecall : .nan,
                Double(scratch.tp[c]),
                Double(scratch.fp[c] + fpEverywhere),
                Double(positivesK - scratch.tp[c]),
            ]
        }
        // Summary: class means (weighted by holding images for VisDrone).
        var summary = [Double](repeating: .nan, count: ReplicateValues.summaryNames.count)
        for m in 0..<4 {
            var sum = 0.0
            var total = 0.0
            for k in 0..<classCount {
                let value = classes[k][m]
                guard !value.isNaN else { continue }
                let weight = weighting == .equal ? 1.0 : Double(holding[k])
                sum += weight * value
                total += weight
            }
            if total > 0 { summary[m] = sum / total }
        }
        return ReplicateValues(summary: summary, classes: classes)
    }

    func recallOf(truePositives: Int, positives: Int) -> Double {
        switch rule {
        case .allPoint where weighting == .imagesHolding:
            return Double(truePositives) / Double(max(1, positives))
        default:
            return positives > 0 ? Double(truePositives) / Double(positives) : 0
        }
    }

    /// AP from the true-positive events of one class at one threshold: cumulative TP and FP there.
    func averagePrecision(tp: [Int], fp: [Int], positives: Int) -> Double {
        guard !tp.isEmpty, positives > 0 || weighting == .imagesHolding else { return 0 }
        let denominator = Double(weighting == .imagesHolding ? max(1, positives) : positives)
        let count = tp.count
        var precision = [Double](repeating: 0, count: count)
        var recall = [Double](repeating: 0, count: count)
        for j in 0..<count {
            let t = Double(tp[j])
            let f = Double(fp[j])
            switch rule {
            case .interpolated: precision[j] = t / (t + f + Double.ulpOfOne)
            case .elevenPoint, .allPoint: precision[j] = t / max(t + f, 1)
            }
            recall[j] = t / denominator
        }
        for j in stride(from: count - 1, to: 0, by: -1) where precision[j - 1] < precision[j] {
            precision[j - 1] = precision[j]
        }
        switch rule {
        case .interpolated(let points):
            var sum = 0.0
            var j = 0
            for point in points {
                while j < count && recall[j] < point { j += 1 }
                if j == count { break }
                sum += precision[j]
            }
            return sum / Double(points.count)
        case .elevenPoint:
            var sum = 0.0
            var j = 0
            for step in 0...10 {
                let point = Double(step) * 0.1
                while j < count && recall[j] < point { j += 1 }
                if j < count { sum += precision[j] / 11 }
            }
            return sum
        case .allPoint:
            var sum = 0.0
            var previous = 0.0
            for j in 0..<count where recall[j] != previous {
                sum += (recall[j] - previous) * precision[j]
                previous = recall[j]
            }
            return sum
        }
    }
}

/// The 95% percentile interval of a sample (linear interpolation between order statistics, as
/// numpy.percentile); NaN values are left out; nil when none is left.
public func percentileInterval(_ values: [Double], level: Double = 0.95) -> (low: Double, high: Double)? {
    let sorted = values.filter { !$0.isNaN }.sorted()
    guard !sorted.isEmpty else { return nil }
    func percentile(_ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
    return (percentile((1 - level) / 2), percentile(1 - (1 - level) / 2))
}

/// SplitMix64: a small, fast, seedable generator; the same seed gives the same stream on every platform.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (Lemire's multiply-and-reject).
    public mutating func next(below bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}

/// Replicate rows written by concurrent workers, each to its own slot.
private final class ReplicateSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<[Double]>

    init(count: Int, width: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: [])
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ index: Int, _ row: [Double]) { slots[index] = row }

    var rows: [[Double]] { Array(slots) }
}
