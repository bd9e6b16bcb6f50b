import Dispatch

/// A paired bootstrap over images: each replicate draws as many images as the dataset has, with replacement, and
/// evaluates both runs on that same multiset by weighting each image by the number of times it was drawn (copies
/// of an image rank next to each other). Matching does not depend on the other images, so the per-detection
/// outcomes are computed once; a replicate only re-accumulates.
///
/// A replicate's true-positive events are collapsed per detection (its w copies at once): the envelope at the
/// copies equals the envelope at the last copy, where precision is highest, so every protocol's AP is unchanged.
public struct PairedBootstrap: Sendable {
    public let design: BootstrapDesign
    /// The recall points of the interpolated rules (COCO's 101, VOC2007's 11); empty for all-point AP.
    let recallPoints: [Double]

    public init(design: BootstrapDesign) {
        self.design = design
        switch design.rule {
        case .interpolated(let points): recallPoints = points
        case .elevenPoint: recallPoints = (0...10).map { Double($0) * 0.1 }
        case .allPoint: recallPoints = []
        }
    }

    /// The values of `run` (`design.summary`, then `design.classMetrics` class by class; NaN where undefined) with
    /// every image weighted by `weights` (all ones: the evaluation itself).
    public func values(_ run: ResampledRun, weights: [Int32]) -> [Double] {
        precondition(weights.count == design.imageCount, "one weight per image")
        let workspace = Workspace(design: design, runs: [run])
        for (image, weight) in weights.enumerated() { workspace.weights[image] = weight }
        var row = [Double](repeating: .nan, count: design.width)
        workspace.countPositives(design)
        row.withUnsafeMutableBufferPointer { evaluate(run, workspace: workspace, into: $0.baseAddress!) }
        return row
    }

    /// The changes B - A of every value over `replicates` resamples drawn from `seed` (replicate r's weights are
    /// `ReplicateWeights.weights(seed:replicate:imageCount:)`). Deterministic for a seed, whatever `workers`.
    public func changes(
        _ a: ResampledRun, _ b: ResampledRun, replicates: Int, seed: UInt64, workers: Int? = nil
    ) -> ReplicateChanges {
        let width = design.width
        let output = ReplicateChanges(replicates: replicates, width: width)
        let workerCount = max(1, min(replicates, workers ?? 64))
        let storage = output.storage
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            let workspace = Workspace(design: design, runs: [a, b])
            let rowA = UnsafeMutablePointer<Double>.allocate(capacity: max(width, 1))
            let rowB = UnsafeMutablePointer<Double>.allocate(capacity: max(width, 1))
            defer {
                rowA.deallocate()
                rowB.deallocate()
            }
            var r = worker
            while r < replicates {
                ReplicateWeights.fill(
                    UnsafeMutableBufferPointer(start: workspace.weights, count: design.imageCount), seed: seed,
                    replicate: r)
                workspace.countPositives(design)
                evaluate(a, workspace: workspace, into: rowA)
                evaluate(b, workspace: workspace, into: rowB)
                let target = storage.values + r * width
                for m in 0..<width { target[m] = rowB[m] - rowA[m] }
                r += workerCount
            }
        }
        return output
    }

    /// All cells of one run under the workspace's weights, then the metrics into `row`.
    func evaluate(_ run: ResampledRun, workspace: Workspace, into row: UnsafeMutablePointer<Double>) {
        precondition(run.cells.count == design.cells.count, "one set of outcomes per cell of the design")
        for (c, cell) in design.cells.enumerated() {
            let outcomes = run.cells[c]
            precondition(outcomes.classCount == design.classCount && outcomes.thresholdCount == design.thresholdCount)
            for k in 0..<design.classCount {
                accumulate(cell: c, spec: cell, outcomes.columns, k: k, workspace: workspace)
            }
        }
        fillMetrics(workspace: workspace, into: row)
    }
}

/// The per-replicate changes: `replicates` rows of `BootstrapDesign.width` values.
public final class ReplicateChanges: @unchecked Sendable {
    public let replicates: Int
    public let width: Int
    let storage: Storage

    final class Storage: @unchecked Sendable {
        let values: UnsafeMutablePointer<Double>
        init(count: Int) {
            values = .allocate(capacity: max(count, 1))
            values.initialize(repeating: .nan, count: max(count, 1))
        }
        deinit { values.deallocate() }
    }

    init(replicates: Int, width: Int) {
        self.replicates = replicates
        self.width = width
        storage = Storage(count: replicates * width)
    }

    /// Replicate r's changes.
    public func row(_ r: Int) -> [Double] {
        Array(UnsafeBufferPointer(start: storage.values + r * width, count: width))
    }

    /// Value m across the replicates.
    public func column(_ m: Int) -> [Double] { (0..<replicates).map { storage.values[$0 * width + m] } }
}

/// Working memory of one thread: weights, positives, events and per-cell results.
final class Workspace {
    let classCount: Int
    let thresholdCount: Int
    let weights: UnsafeMutablePointer<Int32>
    /// Per positive set and class: weighted positives and weighted images holding the class.
    let positives: UnsafeMutablePointer<Int>
    let holding: UnsafeMutablePointer<Int>
    /// Per positive set and class: the true-positive count at which each recall point is reached.
    let needed: UnsafeMutablePointer<Int>
    let recallPointCount: Int
    /// All-point rule: true-positive events of one class, (cumulative TP, cumulative TP + FP) pairs.
    let events: UnsafeMutablePointer<Int>
    /// Running state of one class pass, per threshold.
    let state: UnsafeMutablePointer<ThresholdState>
    /// Interpolated rules: per threshold and recall point, the largest precision (numerator, denominator) among
    /// the events that reach that point and not the next.
    let segmentBest: UnsafeMutablePointer<Int>
    let limitTruePositives: UnsafeMutablePointer<Int>
    /// Per cell, class and threshold: AP, recall (per recall slot), counts.
    let averagePrecision: UnsafeMutablePointer<Double>
    let recall: UnsafeMutablePointer<Double>
    let truePositiveCounts: UnsafeMutablePointer<Int>
    let falsePositiveCounts: UnsafeMutablePointer<Int>
    /// First recall slot of each cell: slot `recallSlot[c]` is the cell itself, then one per recall limit.
    let recallSlot: [Int]
    private var blocks: [UnsafeMutableRawPointer] = []

    init(design: BootstrapDesign, runs: [ResampledRun]) {
        classCount = design.classCount
        thresholdCount = design.thresholdCount
        let sets = design.positiveSets.count
        let cells = design.cells.count
        var slots: [Int] = []
        var slotCount = 0
        var limits = 0
        for cell in design.cells {
            slots.append(slotCount)
            slotCount += 1 + cell.recallLimits.count
            limits = max(limits, cell.recallLimits.count)
        }
        recallSlot = slots
        switch design.rule {
        case .interpolated(let points): recallPointCount = points.count
        case .elevenPoint: recallPointCount = 11
        case .allPoint: recallPointCount = 0
        }
        let largest = runs.flatMap(\.cells).map(\.largestClassEvents).max() ?? 0
        let classSlots = classCount * thresholdCount
        func make<Element>(_ count: Int, _ value: Element) -> UnsafeMutablePointer<Element> {
            let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: value, count: max(count, 1))
            return pointer
        }
        weights = make(design.imageCount, Int32(0))
        positives = make(sets * classCount, 0)
        holding = make(sets * classCount, 0)
        needed = make(sets * classCount * recallPointCount, 0)
        events = make(recallPointCount == 0 ? 2 * largest : 0, 0)
        state = make(thresholdCount, ThresholdState())
        segmentBest = make(2 * thresholdCount * recallPointCount, 0)
        limitTruePositives = make(limits * thresholdCount, 0)
        averagePrecision = make(cells * classSlots, Double.nan)
        recall = make(slotCount * classSlots, Double.nan)
        truePositiveCounts = make(cells * classSlots, 0)
        falsePositiveCounts = make(cells * classSlots, 0)
        blocks = [
            UnsafeMutableRawPointer(weights), UnsafeMutableRawPointer(positives), UnsafeMutableRawPointer(holding),
            UnsafeMutableRawPointer(needed), UnsafeMutableRawPointer(events), UnsafeMutableRawPointer(state),
            UnsafeMutableRawPointer(segmentBest), UnsafeMutableRawPointer(limitTruePositives),
            UnsafeMutableRawPointer(averagePrecision),
            UnsafeMutableRawPointer(recall), UnsafeMutableRawPointer(truePositiveCounts),
            UnsafeMutableRawPointer(falsePositiveCounts),
        ]
    }

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// Weighted positives and holding images of every set and class under the current weights, and where each
    /// recall point is reached.
    func countPositives(_ design: BootstrapDesign) {
        let sets = design.positiveSets.count
        positives.update(repeating: 0, count: sets * classCount)
        holding.update(repeating: 0, count: sets * classCount)
        for (s, set) in design.positiveSets.enumerated() {
            let base = s * classCount
            set.start.withUnsafeBufferPointer { start in
                set.classIndex.withUnsafeBufferPointer { classIndex in
                    set.count.withUnsafeBufferPointer { count in
                        for image in 0..<set.imageCount {
                            let w = Int(weights[image])
                            if w == 0 { continue }
                            for entry in start[image]..<start[image + 1] {
                                let k = base &+ Int(classIndex[entry])
                                positives[k] &+= w &* Int(count[entry])
                                holding[k] &+= w
                            }
                        }
                    }
                }
            }
        }
        guard recallPointCount > 0 else { return }
        let points: [Double]
        switch design.rule {
        case .interpolated(let values): points = values
        default: points = (0...10).map { Double($0) * 0.1 }
        }
        for entry in 0..<(sets * classCount) {
            let total = positives[entry]
            guard total > 0 else { continue }
            let denominator = Double(total)
            let row = needed + entry * recallPointCount
            for (r, point) in points.enumerated() {
                // The smallest count c with Double(c) / npos >= point, as the references compare (recall is a
                // Double division there).
                guard point > 0 else {
                    row[r] = point.isNaN ? Int.max : 0
                    continue
                }
                var c = Int(min((point * denominator).rounded(.up), Double(Int.max / 4)))
                while c > 0 && Double(c - 1) / denominator >= point { c -= 1 }
                while Double(c) / denominator < point { c += 1 }
                row[r] = c
            }
        }
    }
}

/// The running counts of one threshold during a class pass.
struct ThresholdState {
    /// Weighted true positives so far.
    var truePositives = 0
    /// Weighted detections so far that are ignored at this threshold.
    var ignored = 0
    /// Interpolated rules: the last recall point reached (-1: none), and the largest precision among the events
    /// since it was reached, as a fraction.
    var segment = -1
    var bestNumerator = 0
    var bestDenominator = 1
    /// All-point rule: events recorded.
    var events = 0
}
