extension CocoUnitEvaluation {
    /// pycocotools' `evaluateImg` for every image of the unit and every area range: fills the true-positive and
    /// counted masks, and the per-detection outcome at area range 0.
    mutating func matchImages() {
        var largestDetections = 0
        for image in 0..<imageRank.count {
            largestDetections = max(largestDetections, imageStart[image + 1] - imageStart[image])
        }
        var largestGroundTruth = 0
        var runStart = 0
        while runStart < groundTruthCount {
            var runEnd = runStart + 1
            while runEnd < groundTruthCount && gtImage[runEnd] == gtImage[runStart] { runEnd += 1 }
            largestGroundTruth = max(largestGroundTruth, runEnd - runStart)
            runStart = runEnd
        }
        let scratch = MatchScratch(
            memory: memory, detections: largestDetections, groundTruth: largestGroundTruth, areas: areaRanges.count,
            thresholds: iouThresholds)

        var gtStart = 0
        for image in 0..<imageRank.count {
            let rank = imageRank[image]
            let dtStart = imageStart[image]
            let count = imageStart[image + 1] - dtStart
            while gtStart < groundTruthCount && gtImage[gtStart] < rank { gtStart += 1 }
            var gtEnd = gtStart
            while gtEnd < groundTruthCount && gtImage[gtEnd] == rank { gtEnd += 1 }
            if gtEnd == gtStart
                || !matchImage(
                    detectionStart: dtStart, detectionCount: count, gtStart: gtStart, gtCount: gtEnd - gtStart,
                    scratch: scratch)
            {
                markUnmatched(detectionStart: dtStart, count: count)
            }
            gtStart = gtEnd
        }
    }

    /// Detections that match nothing at any threshold: false positives, or ignored outside the area range.
    private func markUnmatched(detectionStart: Int, count: Int) {
        let areas = areaRanges.count
        let all = allThresholdsMask
        for position in detectionStart..<(detectionStart &+ count) {
            let area = dtArea[position]
            for (a, range) in areaRanges.enumerated() {
                truePositiveMask[position &* areas &+ a] = 0
                countedMask[position &* areas &+ a] = range.excludes(area) ? 0 : all
            }
            if areas > 0 && areaRanges[0].excludes(area) { output.ignoredBits[Int(dtOriginal[position])] = all }
        }
    }

    /// One image with detections and ground truth: the IoU matrix once, then the greedy matching per distinct
    /// ignore pattern (area ranges that ignore the same boxes share one matching). Returns false, having done
    /// nothing, when no detection reaches the lowest threshold against any box.
    private mutating func matchImage(
        detectionStart: Int, detectionCount: Int, gtStart: Int, gtCount: Int, scratch: MatchScratch
    ) -> Bool {
        let iou = scratch.iou
        var candidateCount = 0
        for d in 0..<detectionCount {
            let p = detectionStart &+ d
            let (dx, dy, dw, dh) = (dtX[p], dtY[p], dtWidth[p], dtHeight[p])
            let row = iou + d &* gtCount
            // Detections below the lowest threshold against every box never match: most of them, in practice.
            // Most others reach it against one box only, which decides every threshold at once.
            var reaching = 0
            var reached = 0
            for g in 0..<gtCount {
                let q = gtStart &+ g
                let value =
                    gtIsCrowd[q]
                    ? BoxOverlap.fractionInside(dx, dy, dw, dh, gtX[q], gtY[q], gtWidth[q], gtHeight[q])
                    : BoxOverlap.iou(dx, dy, dw, dh, gtX[q], gtY[q], gtWidth[q], gtHeight[q])
                row[g] = value
                let reaches = !(value < scratch.lowestFloor)
                reaching &+= reaches ? 1 : 0
                reached = reaches ? g : reached
            }
            scratch.candidateSlot[d] = reaching > 0 ? Int32(truncatingIfNeeded: candidateCount) : -1
            if reaching > 0 {
                scratch.candidates[candidateCount] = Int32(truncatingIfNeeded: d)
                scratch.onlyReached[candidateCount] = reaching == 1 ? Int32(truncatingIfNeeded: reached) : -1
                if reaching == 1 {
                    scratch.reachedBits[candidateCount] = scratch.thresholdBits(reachedBy: row[reached])
                }
                candidateCount &+= 1
            }
        }
        guard candidateCount > 0 else { return false }

        let areas = areaRanges.count
        let all = allThresholdsMask
        for a in 0..<areas {
            // pycocotools stable-sorts the ground truth so that counted boxes come first.
            let range = areaRanges[a]
            let order = scratch.order + a &* scratch.groundTruthCapacity
            var counted = 0
            for g in 0..<gtCount where !gtIsCrowd[gtStart &+ g] && !range.excludes(gtArea[gtStart &+ g]) {
                order[counted] = Int32(truncatingIfNeeded: g)
                counted &+= 1
            }
            var filled = counted
            for g in 0..<gtCount where gtIsCrowd[gtStart &+ g] || range.excludes(gtArea[gtStart &+ g]) {
                order[filled] = Int32(truncatingIfNeeded: g)
                filled &+= 1
            }
            scratch.countedGroundTruth[a] = counted
            var source = a
            for b in 0..<a where scratch.countedGroundTruth[b] == counted && scratch.source[b] == b {
                let other = scratch.order + b &* scratch.groundTruthCapacity
                var isSame = true
                for g in 0..<gtCount where other[g] != order[g] {
                    isSame = false
                    break
                }
                if isSame {
                    source = b
                    break
                }
            }
            scratch.source[a] = source
            let hits = scratch.hits + source &* scratch.detectionCapacity
            let free = scratch.free + source &* scratch.detectionCapacity
            if source == a {
                greedyMatch(
                    detectionStart: detectionStart, candidateCount: candidateCount, gtStart: gtStart,
                    gtCount: gtCount, order: order, counted: counted, scratch: scratch, hits: hits, free: free,
                    recordsOutcomes: a == 0)
            }
            for d in 0..<detectionCount {
                let p = detectionStart &+ d
                let slot = Int(scratch.candidateSlot[d])
                let hitBits: UInt64 = slot >= 0 ? hits[slot] : 0
                let freeBits: UInt64 = slot >= 0 ? free[slot] : all
                let countedBits = range.excludes(dtArea[p]) ? hitBits : hitBits | freeBits
                truePositiveMask[p &* areas &+ a] = hitBits
                countedMask[p &* areas &+ a] = countedBits
                if a == 0 && countedBits != all { output.ignoredBits[Int(dtOriginal[p])] = all & ~countedBits }
            }
        }
        return true
    }

    /// pycocotools' matching loop: each detection, in score order, takes at each threshold `t` the ground truth
    /// with the highest IoU at or above `min(t, 1 - 1e-10)` (a later box wins a tie) that is still free at `t`
    /// (crowd boxes always are), and looks at ignored boxes only when no counted box matched.
    ///
    /// Thresholds only interact through which boxes are taken, kept as one bit per threshold per box, so each
    /// detection settles all thresholds before the next one. A detection that reaches only one box needs no
    /// search: it takes that box wherever it reaches it and the box is free. Non-candidates match nothing.
    ///
    /// Per candidate, bit `t` of `hits` is set for a match to a counted box with a non-zero annotation id (a
    /// true positive), bit `t` of `free` for no match or a match to a counted box with id 0 (a false positive
    /// unless the detection is outside the area range); a match to an ignored box sets neither. With
    /// `recordsOutcomes` (area range 0) the matches are also recorded for the per-detection outcome.
    private mutating func greedyMatch(
        detectionStart: Int, candidateCount: Int, gtStart: Int, gtCount: Int, order: UnsafeMutablePointer<Int32>,
        counted: Int, scratch: MatchScratch, hits: UnsafeMutablePointer<UInt64>, free: UnsafeMutablePointer<UInt64>,
        recordsOutcomes: Bool
    ) {
        let all = allThresholdsMask
        let taken = scratch.taken
        let isCounted = scratch.isCounted
        for j in 0..<gtCount {
            let g = Int(order[j])
            taken[g] = 0
            isCounted[g] = j < counted
        }
        for c in 0..<candidateCount {
            let d = Int(scratch.candidates[c])
            let row = scratch.iou + d &* gtCount
            scratch.recordSlot[c] = -1
            let only = Int(scratch.onlyReached[c])
            if only >= 0 {
                let isCrowd = gtIsCrowd[gtStart &+ only]
                let matches = scratch.reachedBits[c] & (isCrowd ? all : ~taken[only])
                taken[only] |= matches
                let hasID = gtHasID[gtStart &+ only]
                if isCounted[only] {
                    hits[c] = hasID ? matches : 0
                    free[c] = hasID ? all & ~matches : all
                } else {
                    hits[c] = 0
                    free[c] = all & ~matches
                }
                if recordsOutcomes && hasID {
                    var remaining = matches
                    while remaining != 0 {
                        record(
                            t: remaining.trailingZeroBitCount, candidate: c, gt: only, iou: row[only],
                            detectionStart: detectionStart, gtStart: gtStart, scratch: scratch)
                        remaining &= remaining &- 1
                    }
                }
                continue
            }
            var hitBits: UInt64 = 0
            var freeBits: UInt64 = 0
            for t in 0..<iouThresholds.count {
                let bit: UInt64 = 1 &<< UInt64(t)
                var best = scratch.floors[t]
                var match = -1
                // Selects instead of branches: whether a box is taken is data, not a pattern to predict.
                for j in 0..<counted {
                    let g = Int(order[j])
                    let value = row[g]
                    let takes = taken[g] & bit == 0 && !(value < best)
                    best = takes ? value : best
                    match = takes ? j : match
                }
                if match < 0 {
                    for j in counted..<gtCount {
                        let g = Int(order[j])
                        let value = row[g]
                        let takes = (taken[g] & bit == 0 || gtIsCrowd[gtStart &+ g]) && !(value < best)
                        best = takes ? value : best
                        match = takes ? j : match
                    }
                }
                guard match >= 0 else {
                    freeBits |= bit
                    continue
                }
                let g = Int(order[match])
                taken[g] |= bit
                let hasID = gtHasID[gtStart &+ g]
                if match < counted {
                    if hasID { hitBits |= bit } else { freeBits |= bit }
                }
                if recordsOutcomes && hasID {
                    record(
                        t: t, candidate: c, gt: g, iou: row[g], detectionStart: detectionStart, gtStart: gtStart,
                        scratch: scratch)
                }
            }
            hits[c] = hitBits
            free[c] = freeBits
        }
    }

    /// Records that candidate `candidate` matched box `gt` (file position in the image) at threshold `t`.
    private mutating func record(
        t: Int, candidate: Int, gt: Int, iou: Double, detectionStart: Int, gtStart: Int, scratch: MatchScratch
    ) {
        let thresholds = iouThresholds.count
        var slot = Int(scratch.recordSlot[candidate])
        if slot < 0 {
            slot = records.groundTruth.count / thresholds
            for _ in 0..<thresholds {
                records.groundTruth.append(-1)
                records.iou.append(0)
            }
            scratch.recordSlot[candidate] = Int32(truncatingIfNeeded: slot)
            let original = Int(dtOriginal[detectionStart &+ Int(scratch.candidates[candidate])])
            output.recordIndex[original] = Int32(truncatingIfNeeded: slot)
            output.recordUnit[original] = Int32(truncatingIfNeeded: unit)
        }
        records.groundTruth[slot &* thresholds &+ t] = gtOriginal[gtStart &+ gt]
        records.iou[slot &* thresholds &+ t] = iou
    }

    /// Bits `0..<T` set.
    var allThresholdsMask: UInt64 {
        iouThresholds.count == 64 ? ~0 : (1 &<< UInt64(iouThresholds.count)) &- 1
    }
}

/// Scratch space for matching one image, sized for the unit's largest image.
struct MatchScratch {
    let groundTruthCapacity: Int
    let detectionCapacity: Int
    /// IoU matrix, detections × ground truth in file order.
    let iou: UnsafeMutablePointer<Double>
    /// Per box (file position): the thresholds at which it is taken, and whether it counts in this area range.
    let taken: UnsafeMutablePointer<UInt64>
    let isCounted: UnsafeMutablePointer<Bool>
    /// Per area range: ground truth in matching order (file positions).
    let order: UnsafeMutablePointer<Int32>
    /// Per area range: the number of counted boxes, and the area range whose matching it reuses.
    let countedGroundTruth: UnsafeMutablePointer<Int>
    let source: UnsafeMutablePointer<Int>
    /// Per area range and candidate: the `hits` and `free` threshold bits of `greedyMatch`.
    let hits: UnsafeMutablePointer<UInt64>
    let free: UnsafeMutablePointer<UInt64>
    /// The candidates (positions in the image) and, per detection, its candidate slot or -1.
    let candidates: UnsafeMutablePointer<Int32>
    let candidateSlot: UnsafeMutablePointer<Int32>
    /// Per candidate: the only box it reaches (file position) or -1 when several, and the thresholds at which
    /// it reaches that one.
    let onlyReached: UnsafeMutablePointer<Int32>
    let reachedBits: UnsafeMutablePointer<UInt64>
    /// Per candidate: its record of matches at area range 0, or -1.
    let recordSlot: UnsafeMutablePointer<Int32>
    /// `min(t, 1 - 1e-10)` per threshold (Python's `min([t, 1 - 1e-10])`: `t` unless `1 - 1e-10` is smaller).
    let floors: UnsafeMutablePointer<Double>
    let thresholdCount: Int
    /// The lowest floor (NaN when one is NaN: then every detection is a candidate).
    let lowestFloor: Double

    init(memory: CocoArena, detections: Int, groundTruth: Int, areas: Int, thresholds: [Double]) {
        groundTruthCapacity = groundTruth
        detectionCapacity = detections
        iou = memory.make(detections * groundTruth, 0.0)
        taken = memory.make(groundTruth, UInt64(0))
        isCounted = memory.make(groundTruth, false)
        order = memory.make(areas * groundTruth, Int32(0))
        countedGroundTruth = memory.make(areas, 0)
        source = memory.make(areas, 0)
        hits = memory.make(areas * detections, UInt64(0))
        free = memory.make(areas * detections, UInt64(0))
        candidates = memory.make(detections, Int32(0))
        candidateSlot = memory.make(detections, Int32(0))
        onlyReached = memory.make(detections, Int32(0))
        reachedBits = memory.make(detections, UInt64(0))
        recordSlot = memory.make(detections, Int32(0))
        thresholdCount = thresholds.count
        floors = memory.make(thresholds.count, 0.0)
        var lowest = Double.infinity
        for (t, threshold) in thresholds.enumerated() {
            let floor = 1 - 1e-10 < threshold ? 1 - 1e-10 : threshold
            floors[t] = floor
            if floor < lowest || floor.isNaN { lowest = floor }
        }
        lowestFloor = lowest
    }

    /// The thresholds whose floor `value` reaches (`!(value < floor)`, so NaN reaches every one).
    @inline(__always)
    func thresholdBits(reachedBy value: Double) -> UInt64 {
        var bits: UInt64 = 0
        for t in 0..<thresholdCount { bits |= (value < floors[t] ? 0 : 1) &<< UInt64(t) }
        return bits
    }
}
