/// The evaluation of one unit: one category (all of them when class-agnostic), from its grouped boxes to its
/// slots of the precision, recall and score arrays.
///
/// pycocotools' `evaluateImg` for every image of the unit (`+Matching`), then `accumulate` (`+Accumulate`).
/// Everything the hot loops touch lives in unit-local buffers in grouped order: ground truth per image in file
/// order, detections per image sorted by descending score and cut to the last `maxDetections`.
struct CocoUnitEvaluation {
    let unit: Int
    let shape: CocoShape
    let output: CocoOutput
    let iouThresholds: [Double]
    let recallThresholds: [Double]
    let maxDetections: [Int]
    let areaRanges: [AreaRange]
    /// Number of detections in the input (the stride of the per-detection outcome arrays).
    let detectionTotal: Int
    let memory = CocoArena()

    // Ground truth of the unit, grouped order.
    var groundTruthCount = 0
    var gtX: UnsafeMutablePointer<Double>
    var gtY: UnsafeMutablePointer<Double>
    var gtWidth: UnsafeMutablePointer<Double>
    var gtHeight: UnsafeMutablePointer<Double>
    var gtArea: UnsafeMutablePointer<Double>
    var gtIsCrowd: UnsafeMutablePointer<Bool>
    /// Annotation id is not 0: only such boxes can be true positives (pycocotools stores 0 as "no match").
    var gtHasID: UnsafeMutablePointer<Bool>
    var gtOriginal: UnsafeMutablePointer<Int32>
    var gtImage: UnsafeMutablePointer<Int32>
    /// Counting ground truth (not ignored) per area range: pycocotools' `npig`.
    var groundTruthPerArea: [Int]

    // Evaluated detections of the unit, grouped order, each image's sorted by score and cut.
    var detectionCount = 0
    var dtX: UnsafeMutablePointer<Double>
    var dtY: UnsafeMutablePointer<Double>
    var dtWidth: UnsafeMutablePointer<Double>
    var dtHeight: UnsafeMutablePointer<Double>
    var dtArea: UnsafeMutablePointer<Double>
    var dtScore: UnsafeMutablePointer<Double>
    var dtKey: UnsafeMutablePointer<UInt64>
    var dtOriginal: UnsafeMutablePointer<Int32>
    /// Position of the detection in its image's sorted list (for the smaller `maxDetections`).
    var dtRank: UnsafeMutablePointer<Int32>
    /// Per detection and area range: bit `t` set when it is a true positive at threshold `t`.
    var truePositiveMask: UnsafeMutablePointer<UInt64>
    /// Per detection and area range: bit `t` set when it is not ignored at threshold `t`.
    var countedMask: UnsafeMutablePointer<UInt64>
    /// Start of each image's detections, and its image rank.
    var imageStart: [Int] = []
    var imageRank: [Int32] = []
    /// Matches at area range 0 of the detections that have any, handed to `output.records` at the end.
    var records = CocoMatchRecords()

    init(
        unit: Int, detectionTotal: Int, grouping: CocoGrouping, shape: CocoShape, parameters: CocoParameters,
        output: CocoOutput
    ) {
        self.unit = unit
        self.shape = shape
        self.output = output
        iouThresholds = parameters.iouThresholds
        recallThresholds = parameters.recallThresholds
        maxDetections = parameters.maxDetections
        areaRanges = parameters.areaRanges
        self.detectionTotal = detectionTotal

        let gtStart = grouping.groundTruthStart[unit]
        let gtCount = grouping.groundTruthStart[unit + 1] - gtStart
        let groundTruth = grouping.groundTruth
        groundTruthCount = gtCount
        gtX = memory.make(gtCount, 0.0)
        gtY = memory.make(gtCount, 0.0)
        gtWidth = memory.make(gtCount, 0.0)
        gtHeight = memory.make(gtCount, 0.0)
        gtArea = memory.make(gtCount, 0.0)
        gtIsCrowd = memory.make(gtCount, false)
        gtHasID = memory.make(gtCount, false)
        gtOriginal = memory.make(gtCount, Int32(0))
        gtImage = memory.make(gtCount, Int32(0))
        groundTruthPerArea = [Int](repeating: 0, count: areaRanges.count)
        for index in 0..<gtCount {
            let box = groundTruth[gtStart + index]
            gtOriginal[index] = box.original
            gtImage[index] = box.image
            gtX[index] = box.x
            gtY[index] = box.y
            gtWidth[index] = box.width
            gtHeight[index] = box.height
            gtArea[index] = box.area
            gtIsCrowd[index] = box.isCrowd
            gtHasID[index] = box.hasID
            if !box.isCrowd {
                for (a, range) in areaRanges.enumerated() where !range.excludes(box.area) {
                    groundTruthPerArea[a] += 1
                }
            }
        }

        let dtStart = grouping.detectionStart[unit]
        let rawCount = grouping.detectionStart[unit + 1] - dtStart
        let detections = grouping.detections
        dtX = memory.makeUninitialized(rawCount, of: Double.self)
        dtY = memory.makeUninitialized(rawCount, of: Double.self)
        dtWidth = memory.makeUninitialized(rawCount, of: Double.self)
        dtHeight = memory.makeUninitialized(rawCount, of: Double.self)
        dtArea = memory.makeUninitialized(rawCount, of: Double.self)
        dtScore = memory.makeUninitialized(rawCount, of: Double.self)
        dtKey = memory.makeUninitialized(rawCount, of: UInt64.self)
        dtOriginal = memory.makeUninitialized(rawCount, of: Int32.self)
        dtRank = memory.makeUninitialized(rawCount, of: Int32.self)
        truePositiveMask = memory.makeUninitialized(rawCount * areaRanges.count, of: UInt64.self)
        countedMask = memory.makeUninitialized(rawCount * areaRanges.count, of: UInt64.self)

        // pycocotools sorts each image's detections by descending score (stable) and keeps maxDets[-1].
        let keys = memory.makeUninitialized(rawCount, of: UInt64.self)
        let rows = memory.makeUninitialized(rawCount, of: Int32.self)
        for index in 0..<rawCount {
            rows[index] = Int32(truncatingIfNeeded: index)
            keys[index] = ScoreOrder.key(detections[dtStart + index].score)
        }
        let limit = maxDetections[maxDetections.count - 1]
        var runEnds: [Int] = []
        var longestRun = 0
        var runStart = 0
        while runStart < rawCount {
            let rank = detections[dtStart + runStart].image
            var runEnd = runStart + 1
            while runEnd < rawCount && detections[dtStart + runEnd].image == rank { runEnd += 1 }
            runEnds.append(runEnd)
            longestRun = max(longestRun, runEnd - runStart)
            runStart = runEnd
        }
        let sortScratch = SortScratch(memory: memory, capacity: longestRun)
        runStart = 0
        for runEnd in runEnds {
            let rank = detections[dtStart + runStart].image
            ScoreOrder.stableSort(
                keys: keys + runStart, payload: rows + runStart, count: runEnd - runStart, scratch: sortScratch)
            imageStart.append(detectionCount)
            imageRank.append(rank)
            for position in 0..<min(runEnd - runStart, limit) {
                let detection = detections[dtStart + Int(rows[runStart + position])]
                let slot = detectionCount
                let original = detection.original
                dtOriginal[slot] = original
                dtKey[slot] = keys[runStart + position]
                dtRank[slot] = Int32(truncatingIfNeeded: position)
                dtX[slot] = detection.x
                dtY[slot] = detection.y
                dtWidth[slot] = detection.width
                dtHeight[slot] = detection.height
                dtArea[slot] = detection.width * detection.height
                dtScore[slot] = detection.score
                output.isEvaluated[Int(original)] = true
                detectionCount += 1
            }
            runStart = runEnd
        }
        imageStart.append(detectionCount)
    }

    /// Matches every image, accumulates, and writes the unit's counts.
    mutating func run() {
        matchImages()
        recordAreaOutcomes()
        accumulate()
        writeCounts()
        output.records[unit] = records
    }

    /// Copies every evaluated detection's per-area masks and rank to the output, when it records them.
    private func recordAreaOutcomes() {
        guard let truePositive = output.areaTruePositive, let counted = output.areaCounted, let rank = output.rank
        else { return }
        let areas = areaRanges.count
        for position in 0..<detectionCount {
            let original = Int(dtOriginal[position])
            rank[original] = dtRank[position]
            for a in 0..<areas {
                truePositive[original &* areas &+ a] = truePositiveMask[position &* areas &+ a]
                counted[original &* areas &+ a] = countedMask[position &* areas &+ a]
            }
        }
    }

    /// Counts at area range 0, all evaluated detections and the 0.5 threshold (the first when 0.5 is absent).
    private func writeCounts() {
        let t50 = iouThresholds.firstIndex(of: 0.5) ?? 0
        var truePositives = 0
        var falsePositives = 0
        if !iouThresholds.isEmpty {
            let bit: UInt64 = 1 &<< UInt64(t50)
            let areas = areaRanges.count
            for index in 0..<detectionCount where areas > 0 {
                let isTruePositive = truePositiveMask[index * areas] & bit != 0
                let isCounted = countedMask[index * areas] & bit != 0
                if isTruePositive { truePositives += 1 } else if isCounted { falsePositives += 1 }
            }
        }
        let columns = output.counts + unit * CocoWorkspace.countsWidth
        columns[0] = groundTruthPerArea.first ?? 0
        columns[1] = detectionCount
        columns[2] = truePositives
        columns[3] = falsePositives
    }
}

/// Unit-local buffers of trivial values, freed together when the unit is done.
final class CocoArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A buffer of `count` copies of `value` (at least one element, so that it is never a null pointer).
    func make<Element>(_ count: Int, _ value: Element) -> UnsafeMutablePointer<Element> {
        let buffer = makeUninitialized(count, of: Element.self)
        buffer.initialize(repeating: value, count: max(count, 1))
        return buffer
    }

    /// A buffer for `count` values that the caller writes before reading (trivial types only).
    func makeUninitialized<Element>(_ count: Int, of type: Element.Type) -> UnsafeMutablePointer<Element> {
        let buffer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        blocks.append(UnsafeMutableRawPointer(buffer))
        return buffer
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}
