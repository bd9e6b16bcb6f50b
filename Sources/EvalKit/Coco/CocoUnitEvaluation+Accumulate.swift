extension CocoUnitEvaluation {
    /// pycocotools' `accumulate` for this unit: for every area range and max-detections setting, the pooled
    /// detections in descending score order (one stable sort shared by all settings), cumulative true and false
    /// positives, precision interpolated from the right and read at the recall points.
    ///
    /// Only true positives need a precision value: the interpolated precision at a recall point is the largest
    /// precision at or after the first true positive that reaches it, and between true positives precision only
    /// falls. Ignored detections still take their place in the pooled order, which matters for the score of
    /// recall point 0 (the first pooled detection, ignored or not).
    mutating func accumulate() {
        let count = detectionCount
        let areas = areaRanges.count
        let order = memory.make(count, Int32(0))
        ScoreOrder.stableOrder(keys: dtKey, count: count, order: order, scratch: memory.make(count, Int32(0)))
        // The unit's detections in pooled order, one column per area range, read sequentially below.
        let sorted = PooledColumns(memory: memory, count: count, areas: areas)
        for index in 0..<count {
            let position = Int(order[index])
            sorted.rank[index] = dtRank[position]
            sorted.score[index] = dtScore[position]
            for a in 0..<areas {
                sorted.hits[a &* count &+ index] = truePositiveMask[position &* areas &+ a]
                sorted.counted[a &* count &+ index] = countedMask[position &* areas &+ a]
            }
        }
        let capacity = min(groundTruthPerArea.max() ?? 0, count)
        let buffers = CurveScratch(memory: memory, shape: shape, capacity: capacity)
        let firstEvents = groundTruthPerArea.map { recallPointEvents(groundTruth: $0) }
        let limit = maxDetections[maxDetections.count - 1]
        let pooled = memory.make(count, Int32(0))
        for (m, maxDetection) in maxDetections.enumerated() {
            // pycocotools pools each image's first maxDet detections; the stable sort of that subset is the
            // subset of the full sort.
            var pooledCount = count
            if maxDetection < limit {
                pooledCount = 0
                for index in 0..<count where Int(sorted.rank[index]) < maxDetection {
                    pooled[pooledCount] = Int32(truncatingIfNeeded: index)
                    pooledCount &+= 1
                }
            }
            for a in 0..<areas where groundTruthPerArea[a] > 0 {
                var counter = CurveCounter(buffers: buffers, all: allThresholdsMask)
                let hits = sorted.hits + a &* count
                let counted = sorted.counted + a &* count
                if maxDetection < limit {
                    for index in 0..<pooledCount {
                        let row = Int(pooled[index])
                        counter.add(hits: hits[row], counted: counted[row], score: sorted.score[row])
                    }
                } else {
                    for row in 0..<count {
                        counter.add(hits: hits[row], counted: counted[row], score: sorted.score[row])
                    }
                }
                finishCurves(area: a, m: m, counter: counter, firstEvents: firstEvents[a], buffers: buffers)
            }
        }
        // Copy the unit's curves out one contiguous (area, maxDets) block per (threshold, recall point).
        let block = shape.areas * shape.maxDetections
        for t in 0..<shape.thresholds {
            for r in 0..<shape.recallPoints {
                let local = (t * shape.recallPoints + r) * block
                let global = shape.curveIndex(t: t, r: r, k: unit, a: 0, m: 0)
                (output.precision + global).update(from: buffers.curvePrecision + local, count: block)
                (output.scores + global).update(from: buffers.curveScores + local, count: block)
            }
        }
    }

    /// For each recall point, the first true positive (0-based) whose recall `(e + 1) / npig` reaches it, found
    /// by binary search on the same division numpy does; `npig` when never reached, -1 for points <= 0 (reached
    /// by the first pooled detection, whatever it is).
    private func recallPointEvents(groundTruth: Int) -> [Int] {
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
    private func finishCurves(area: Int, m: Int, counter: CurveCounter, firstEvents: [Int], buffers: CurveScratch) {
        let groundTruth = Double(groundTruthPerArea[area])
        let block = shape.areas * shape.maxDetections
        for t in 0..<shape.thresholds {
            let events = buffers.truePositives[t]
            let precision = buffers.precision + t * buffers.capacity
            let scores = buffers.score + t * buffers.capacity
            var index = events - 2
            while index >= 0 {
                if precision[index + 1] > precision[index] { precision[index] = precision[index + 1] }
                index -= 1
            }
            output.recall[shape.recallIndex(t: t, k: unit, a: area, m: m)] =
                counter.pooled > 0 ? Double(events) / groundTruth : 0
            var isReached = counter.pooled > 0
            var slot = t * shape.recallPoints * block + area * shape.maxDetections + m
            for event in firstEvents {
                var value = 0.0
                var score = 0.0
                if isReached {
                    if event < 0 {
                        value = events > 0 ? precision[0] : 0
                        score = counter.firstScore
                    } else if event < events {
                        value = precision[event]
                        score = scores[event]
                    } else {
                        isReached = false
                    }
                }
                buffers.curvePrecision[slot] = value
                buffers.curveScores[slot] = score
                slot += block
            }
        }
    }
}

/// Walks one setting's pooled detections: cumulative true and false positives per threshold, and at each true
/// positive its precision `tp / ((fp + tp) + eps)` and score.
struct CurveCounter {
    let buffers: CurveScratch
    let all: UInt64
    /// Pooled detections so far (ignored ones included), and the score of the first.
    var pooled = 0
    var firstScore = 0.0
    /// Detections that are false positives at every threshold: counted once for all.
    var commonFalsePositives = 0

    init(buffers: CurveScratch, all: UInt64) {
        self.buffers = buffers
        self.all = all
        buffers.truePositives.update(repeating: 0, count: buffers.thresholds)
        buffers.falsePositives.update(repeating: 0, count: buffers.thresholds)
    }

    @inline(__always)
    mutating func add(hits: UInt64, counted: UInt64, score: Double) {
        if pooled == 0 { firstScore = score }
        pooled &+= 1
        if hits == 0 && counted == all {
            commonFalsePositives &+= 1
            return
        }
        var misses = counted & ~hits
        while misses != 0 {
            buffers.falsePositives[misses.trailingZeroBitCount] &+= 1
            misses &= misses &- 1
        }
        var remaining = hits
        while remaining != 0 {
            let t = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let tpCount = buffers.truePositives[t] &+ 1
            buffers.truePositives[t] = tpCount
            let tp = Double(tpCount)
            let fp = Double(commonFalsePositives &+ buffers.falsePositives[t])
            let event = t &* buffers.capacity &+ tpCount &- 1
            buffers.precision[event] = tp / ((fp + tp) + Double.ulpOfOne)
            buffers.score[event] = score
        }
    }
}

/// A unit's detections in pooled (descending score) order: rank in their image, score, and per area range the
/// true-positive and counted threshold bits.
struct PooledColumns {
    let rank: UnsafeMutablePointer<Int32>
    let score: UnsafeMutablePointer<Double>
    let hits: UnsafeMutablePointer<UInt64>
    let counted: UnsafeMutablePointer<UInt64>

    init(memory: CocoArena, count: Int, areas: Int) {
        rank = memory.make(count, Int32(0))
        score = memory.make(count, 0.0)
        hits = memory.make(areas * count, UInt64(0))
        counted = memory.make(areas * count, UInt64(0))
    }
}

/// Per-threshold counters and true-positive events of one accumulation, and the unit's curves in
/// `[t][r][a][m]` order (-1 where nothing is written, like pycocotools' arrays).
struct CurveScratch {
    let thresholds: Int
    let capacity: Int
    let truePositives: UnsafeMutablePointer<Int>
    let falsePositives: UnsafeMutablePointer<Int>
    /// Per threshold, `capacity` slots: precision at each true positive, then its interpolation.
    let precision: UnsafeMutablePointer<Double>
    let score: UnsafeMutablePointer<Double>
    let curvePrecision: UnsafeMutablePointer<Double>
    let curveScores: UnsafeMutablePointer<Double>

    init(memory: CocoArena, shape: CocoShape, capacity: Int) {
        thresholds = shape.thresholds
        self.capacity = capacity
        truePositives = memory.make(thresholds, 0)
        falsePositives = memory.make(thresholds, 0)
        precision = memory.make(thresholds * capacity, 0.0)
        score = memory.make(thresholds * capacity, 0.0)
        let curveSize = shape.thresholds * shape.recallPoints * shape.areas * shape.maxDetections
        curvePrecision = memory.make(curveSize, -1.0)
        curveScores = memory.make(curveSize, -1.0)
    }
}
