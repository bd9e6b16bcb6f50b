extension CocoUnitEvaluation {
    /// pycocotools' `accumulate` for this unit: for every max-detections setting, the pooled detections in
    /// descending score order (one stable sort shared by all settings), cumulative true and false positives per
    /// area range and threshold, precision interpolated from the right and read at the recall points.
    ///
    /// Only true positives need a precision value: the interpolated precision at a recall point is the largest
    /// precision at or after the first true positive that reaches it, and between true positives precision only
    /// falls. Most detections are, in a given area range, a false positive at every threshold or ignored at
    /// every one; those are tallied for all area ranges at once in 16-bit lanes, and only the others are looked
    /// at one area range at a time. Ignored detections still take their place in the pooled order, which matters
    /// for the score of recall point 0 (the first pooled detection, ignored or not).
    mutating func accumulate() {
        let count = detectionCount
        let order = memory.make(count, Int32(0))
        ScoreOrder.stableOrder(
            keys: dtKey, count: count, order: order, scratch: memory.makeUninitialized(count, of: Int32.self),
            histogram: memory.makeUninitialized(ScoreOrder.histogramSize, of: Int.self))
        let pooled = PooledColumns(evaluation: self, order: order)
        let tally = CurveTally(evaluation: self)
        let limit = maxDetections[maxDetections.count - 1]
        let included = memory.make(count, Int32(0))
        for (m, maxDetection) in maxDetections.enumerated() {
            // pycocotools pools each image's first maxDet detections; the stable sort of that subset is the
            // subset of the full sort.
            var includedCount = count
            if maxDetection < limit {
                includedCount = 0
                for index in 0..<count where Int(pooled.rank[index]) < maxDetection {
                    included[includedCount] = Int32(truncatingIfNeeded: index)
                    includedCount &+= 1
                }
            }
            tally.reset()
            if maxDetection < limit {
                for index in 0..<includedCount { tally.add(Int(included[index]), pooled) }
            } else {
                for index in 0..<count { tally.add(index, pooled) }
            }
            let first = maxDetection < limit ? Int(included[0]) : 0
            let firstScore = includedCount > 0 ? pooled.score[first] : 0
            for a in 0..<areaRanges.count where groundTruthPerArea[a] > 0 {
                finishCurves(area: a, m: m, pooledCount: includedCount, firstScore: firstScore, tally: tally)
            }
        }
        // Out in one contiguous (area, maxDets) block per (threshold, recall point): the lines of the result
        // arrays are written in a tight loop rather than one scattered store at a time.
        let block = shape.areas * shape.maxDetections
        for t in 0..<shape.thresholds {
            for r in 0..<shape.recallPoints {
                let local = (t * shape.recallPoints + r) * block
                let global = shape.curveIndex(t: t, r: r, k: unit, a: 0, m: 0)
                for index in 0..<block {
                    output.precision[global &+ index] = tally.curvePrecision[local &+ index]
                    output.scores[global &+ index] = tally.curveScores[local &+ index]
                }
            }
        }
    }

    /// For each recall point, the first true positive (0-based) whose recall `(e + 1) / npig` reaches it, found
    /// by binary search on the same division numpy does; `npig` when never reached, -1 for points <= 0 (reached
    /// by the first pooled detection, whatever it is).
    func recallPointEvents(groundTruth: Int) -> [Int] {
        guard groundTruth > 0 else { return [] }
        let total = Double(groundTruth)
        return recallThresholds.map { point in
            if point.isNaN { return groundTruth }
            if point <= 0 { return -1 }
            var low = 0
            var high = groundTruth
            while low < high {
                let middle = (low + high) / 2
                if Double(middle + 1) / total < point { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// Envelope, recall and the reading at the recall points for every threshold of one setting. From the first
    /// point never reached on, precision and score are 0 (pycocotools stops at the `IndexError`).
    private func finishCurves(area: Int, m: Int, pooledCount: Int, firstScore: Double, tally: CurveTally) {
        let groundTruth = Double(groundTruthPerArea[area])
        // The unit's curves are `[t][r][a][m]`: consecutive recall points are an (a, m) block apart.
        let stride = shape.areas * shape.maxDetections
        let firstEvents = tally.firstEvents[area]
        for t in 0..<shape.thresholds {
            let events = tally.truePositives[area &* shape.thresholds &+ t]
            let base = tally.eventStart[area] &+ t &* tally.eventCapacity[area]
            let precision = tally.precision + base
            let scores = tally.score + base
            // The envelope from the right: `p[i] = p[i + 1]` where that is greater, as a running maximum.
            if events > 1 {
                var running = precision[events - 1]
                var index = events - 2
                while index >= 0 {
                    running = running > precision[index] ? running : precision[index]
                    precision[index] = running
                    index -= 1
                }
            }
            output.recall[shape.recallIndex(t: t, k: unit, a: area, m: m)] =
                pooledCount > 0 ? Double(events) / groundTruth : 0
            var isReached = pooledCount > 0
            var slot = t * shape.recallPoints * stride + area * shape.maxDetections + m
            for event in firstEvents {
                var value = 0.0
                var score = 0.0
                if isReached {
                    if event < 0 {
                        value = events > 0 ? precision[0] : 0
                        score = firstScore
                    } else if event < events {
                        value = precision[event]
                        score = scores[event]
                    } else {
                        isReached = false
                    }
                }
                tally.curvePrecision[slot] = value
                tally.curveScores[slot] = score
                slot &+= stride
            }
        }
    }
}

/// A unit's detections in pooled (descending score) order: rank in their image, score, and the tallies that let
/// most detections skip the per-area work.
struct PooledColumns {
    let count: Int
    let areas: Int
    let rank: UnsafeMutablePointer<Int32>
    let score: UnsafeMutablePointer<Double>
    /// 16-bit lanes, four area ranges a word: 1 in the lane of each area range where the detection is a false
    /// positive at every threshold.
    let commonFalsePositive: UnsafeMutablePointer<UInt64>
    let words: Int
    /// For a detection that is, in some area range, neither that nor ignored at every threshold: its position in
    /// the unit's matching order (where its threshold bits are); -1 for all others.
    let attention: UnsafeMutablePointer<Int32>
    /// The unit's threshold bits, `position * areas + a`.
    let hits: UnsafeMutablePointer<UInt64>
    let counted: UnsafeMutablePointer<UInt64>

    init(evaluation unit: CocoUnitEvaluation, order: UnsafeMutablePointer<Int32>) {
        let memory = unit.memory
        count = unit.detectionCount
        areas = unit.areaRanges.count
        hits = unit.truePositiveMask
        counted = unit.countedMask
        let all = unit.allThresholdsMask
        words = (areas + 3) / 4
        rank = memory.makeUninitialized(count, of: Int32.self)
        score = memory.makeUninitialized(count, of: Double.self)
        commonFalsePositive = memory.make(words * count, UInt64(0))
        attention = memory.makeUninitialized(count, of: Int32.self)
        for index in 0..<count {
            let position = Int(order[index])
            rank[index] = unit.dtRank[position]
            score[index] = unit.dtScore[position]
            var needsAttention = false
            for a in 0..<areas {
                let hitBits = hits[position &* areas &+ a]
                let countedBits = counted[position &* areas &+ a]
                if hitBits == 0 && countedBits == all {
                    commonFalsePositive[index &* words &+ a / 4] |= 1 &<< UInt64(16 * (a % 4))
                } else if hitBits != 0 || countedBits != 0 {
                    needsAttention = true
                }
            }
            attention[index] = needsAttention ? Int32(truncatingIfNeeded: position) : -1
        }
    }
}

/// The running counts of one max-detections setting for every area range and threshold, the true-positive
/// events (precision `tp / ((fp + tp) + eps)` and score at each), and the unit's curves in `[t][r][a][m]` order
/// (-1 where nothing is written: area ranges without ground truth, like pycocotools' arrays).
struct CurveTally {
    let areas: Int
    let thresholds: Int
    let all: UInt64
    let groundTruthPerArea: [Int]
    let firstEvents: [[Int]]
    /// Lane sums of `commonFalsePositive` since the last flush, and the flushed totals per area range.
    let lanes: UnsafeMutablePointer<UInt64>
    let flushed: UnsafeMutablePointer<Int>
    let sinceFlush: UnsafeMutablePointer<Int>
    /// Per area range and threshold: true positives, and false positives other than the common ones.
    let truePositives: UnsafeMutablePointer<Int>
    let falsePositives: UnsafeMutablePointer<Int>
    /// Event storage: area range `a`, threshold `t` starts at `eventStart[a] + t * eventCapacity[a]`.
    let eventStart: [Int]
    let eventCapacity: [Int]
    let precision: UnsafeMutablePointer<Double>
    let score: UnsafeMutablePointer<Double>
    let curvePrecision: UnsafeMutablePointer<Double>
    let curveScores: UnsafeMutablePointer<Double>

    init(evaluation unit: CocoUnitEvaluation) {
        let memory = unit.memory
        let shape = unit.shape
        areas = shape.areas
        thresholds = shape.thresholds
        all = unit.allThresholdsMask
        groundTruthPerArea = unit.groundTruthPerArea
        firstEvents = unit.groundTruthPerArea.map { unit.recallPointEvents(groundTruth: $0) }
        lanes = memory.make((areas + 3) / 4, UInt64(0))
        flushed = memory.make(areas, 0)
        sinceFlush = memory.make(1, 0)
        truePositives = memory.make(areas * thresholds, 0)
        falsePositives = memory.make(areas * thresholds, 0)
        var start: [Int] = []
        var total = 0
        eventCapacity = unit.groundTruthPerArea.map { min($0, unit.detectionCount) }
        for capacity in eventCapacity {
            start.append(total)
            total += capacity * thresholds
        }
        eventStart = start
        precision = memory.make(total, 0.0)
        score = memory.make(total, 0.0)
        let curveSize = shape.thresholds * shape.recallPoints * shape.areas * shape.maxDetections
        curvePrecision = memory.make(curveSize, -1.0)
        curveScores = memory.make(curveSize, -1.0)
    }

    func reset() {
        lanes.update(repeating: 0, count: (areas + 3) / 4)
        flushed.update(repeating: 0, count: areas)
        sinceFlush.pointee = 0
        truePositives.update(repeating: 0, count: areas * thresholds)
        falsePositives.update(repeating: 0, count: areas * thresholds)
    }

    /// Adds pooled detection `index`.
    @inline(__always)
    func add(_ index: Int, _ pooled: PooledColumns) {
        let words = pooled.words
        for word in 0..<words { lanes[word] &+= pooled.commonFalsePositive[index &* words &+ word] }
        sinceFlush.pointee &+= 1
        if sinceFlush.pointee == 0xFFFF { flush() }
        let position = Int(pooled.attention[index])
        guard position >= 0 else { return }
        for a in 0..<areas where groundTruthPerArea[a] > 0 {
            let hits = pooled.hits[position &* areas &+ a]
            let counted = pooled.counted[position &* areas &+ a]
            if hits == 0 && (counted == all || counted == 0) { continue }
            let counters = a &* thresholds
            var misses = counted & ~hits
            while misses != 0 {
                falsePositives[counters &+ misses.trailingZeroBitCount] &+= 1
                misses &= misses &- 1
            }
            guard hits != 0 else { continue }
            let common = commonFalsePositives(area: a)
            var remaining = hits
            while remaining != 0 {
                let t = remaining.trailingZeroBitCount
                remaining &= remaining &- 1
                let tpCount = truePositives[counters &+ t] &+ 1
                truePositives[counters &+ t] = tpCount
                let tp = Double(tpCount)
                let fp = Double(common &+ falsePositives[counters &+ t])
                let event = eventStart[a] &+ t &* eventCapacity[a] &+ tpCount &- 1
                precision[event] = tp / ((fp + tp) + Double.ulpOfOne)
                score[event] = pooled.score[index]
            }
        }
    }

    /// Detections so far that are false positives at every threshold in area range `area`.
    @inline(__always)
    private func commonFalsePositives(area: Int) -> Int {
        flushed[area] &+ Int((lanes[area / 4] &>> UInt64(16 * (area % 4))) & 0xFFFF)
    }

    /// Moves the lane sums to the totals before a 16-bit lane can overflow.
    private func flush() {
        for a in 0..<areas { flushed[a] = commonFalsePositives(area: a) }
        lanes.update(repeating: 0, count: (areas + 3) / 4)
        sinceFlush.pointee = 0
    }
}
