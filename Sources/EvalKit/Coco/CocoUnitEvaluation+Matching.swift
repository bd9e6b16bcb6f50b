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
            memory: memory, detections: largestDetections, groundTruth: largestGroundTruth, areas: areaRanges.count)

        var gtStart = 0
        for image in 0..<imageRank.count {
            let rank = imageRank[image]
            let dtStart = imageStart[image]
            let count = imageStart[image + 1] - dtStart
            while gtStart < groundTruthCount && gtImage[gtStart] < rank { gtStart += 1 }
            var gtEnd = gtStart
            while gtEnd < groundTruthCount && gtImage[gtEnd] == rank { gtEnd += 1 }
            if gtEnd == gtStart {
                markUnmatched(detectionStart: dtStart, count: count)
            } else {
                matchImage(
                    detectionStart: dtStart, detectionCount: count, gtStart: gtStart, gtCount: gtEnd - gtStart,
                    scratch: scratch)
            }
            gtStart = gtEnd
        }
    }

    /// An image without ground truth: every detection is a false positive, or ignored outside the area range.
    private func markUnmatched(detectionStart: Int, count: Int) {
        let areas = areaRanges.count
        let all = allThresholdsMask
        for position in detectionStart..<(detectionStart + count) {
            let area = dtArea[position]
            for (a, range) in areaRanges.enumerated() {
                countedMask[position * areas + a] = range.excludes(area) ? 0 : all
            }
            if areas > 0 && areaRanges[0].excludes(area) {
                let original = Int(dtOriginal[position])
                for t in 0..<iouThresholds.count { output.isIgnored[t * detectionTotal + original] = true }
            }
        }
    }

    /// One image with detections and ground truth: the IoU matrix once, then the greedy matching per distinct
    /// ignore pattern (area ranges that ignore the same boxes share one matching).
    private func matchImage(
        detectionStart: Int, detectionCount: Int, gtStart: Int, gtCount: Int, scratch: MatchScratch
    ) {
        let iou = scratch.iou
        for d in 0..<detectionCount {
            let p = detectionStart + d
            let (dx, dy, dw, dh) = (dtX[p], dtY[p], dtWidth[p], dtHeight[p])
            let row = iou + d * gtCount
            for g in 0..<gtCount {
                let q = gtStart + g
                row[g] =
                    gtIsCrowd[q]
                    ? BoxOverlap.fractionInside(dx, dy, dw, dh, gtX[q], gtY[q], gtWidth[q], gtHeight[q])
                    : BoxOverlap.iou(dx, dy, dw, dh, gtX[q], gtY[q], gtWidth[q], gtHeight[q])
            }
        }
        let areas = areaRanges.count
        let all = allThresholdsMask
        for a in 0..<areas {
            // pycocotools stable-sorts the ground truth so that counted boxes come first.
            let range = areaRanges[a]
            let order = scratch.order + a * scratch.groundTruthCapacity
            var counted = 0
            for g in 0..<gtCount where !gtIsCrowd[gtStart + g] && !range.excludes(gtArea[gtStart + g]) {
                order[counted] = Int32(truncatingIfNeeded: g)
                counted += 1
            }
            var filled = counted
            for g in 0..<gtCount where gtIsCrowd[gtStart + g] || range.excludes(gtArea[gtStart + g]) {
                order[filled] = Int32(truncatingIfNeeded: g)
                filled += 1
            }
            scratch.countedGroundTruth[a] = counted
            var source = a
            for b in 0..<a where scratch.countedGroundTruth[b] == counted && scratch.source[b] == b {
                let other = scratch.order + b * scratch.groundTruthCapacity
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
            let hits = scratch.hits + source * scratch.detectionCapacity
            let free = scratch.free + source * scratch.detectionCapacity
            if source == a {
                greedyMatch(
                    detectionStart: detectionStart, detectionCount: detectionCount, gtStart: gtStart,
                    gtCount: gtCount, order: order, counted: counted, scratch: scratch, hits: hits, free: free,
                    recordsOutcomes: a == 0)
            }
            for d in 0..<detectionCount {
                let p = detectionStart &+ d
                let countedBits = range.excludes(dtArea[p]) ? hits[d] : hits[d] | free[d]
                truePositiveMask[p &* areas &+ a] = hits[d]
                countedMask[p &* areas &+ a] = countedBits
                if a == 0 && countedBits != all {
                    let original = Int(dtOriginal[p])
                    var ignored = all & ~countedBits
                    while ignored != 0 {
                        output.isIgnored[ignored.trailingZeroBitCount &* detectionTotal &+ original] = true
                        ignored &= ignored &- 1
                    }
                }
            }
        }
    }

    /// pycocotools' matching loop for every threshold: each detection, in score order, takes the ground truth
    /// with the highest IoU at or above `min(t, 1 - 1e-10)` (a later box wins a tie) that is still free (crowd
    /// boxes always are), and looks at ignored boxes only when no counted box matched.
    ///
    /// Per detection, bit `t` of `hits` is set for a match to a counted box with a non-zero annotation id (a
    /// true positive), bit `t` of `free` for no match or a match to a counted box with id 0 (a false positive
    /// unless the detection is outside the area range); a match to an ignored box sets neither. With
    /// `recordsOutcomes` (area range 0) the matches are also written to the per-detection outcome.
    private func greedyMatch(
        detectionStart: Int, detectionCount: Int, gtStart: Int, gtCount: Int, order: UnsafeMutablePointer<Int32>,
        counted: Int, scratch: MatchScratch, hits: UnsafeMutablePointer<UInt64>, free: UnsafeMutablePointer<UInt64>,
        recordsOutcomes: Bool
    ) {
        let sorted = scratch.sortedIoU
        let isCrowd = scratch.sortedIsCrowd
        let hasID = scratch.sortedHasID
        let matched = scratch.matched
        for j in 0..<gtCount {
            let g = gtStart &+ Int(order[j])
            isCrowd[j] = gtIsCrowd[g]
            hasID[j] = gtHasID[g]
        }
        for d in 0..<detectionCount {
            let row = scratch.iou + d &* gtCount
            let sortedRow = sorted + d &* gtCount
            for j in 0..<gtCount { sortedRow[j] = row[Int(order[j])] }
        }
        hits.update(repeating: 0, count: detectionCount)
        free.update(repeating: 0, count: detectionCount)
        for (t, threshold) in iouThresholds.enumerated() {
            matched.update(repeating: false, count: gtCount)
            // Python's min([t, 1 - 1e-10]): the first argument unless the second is smaller.
            let floor = 1 - 1e-10 < threshold ? 1 - 1e-10 : threshold
            let bit: UInt64 = 1 &<< UInt64(t)
            for d in 0..<detectionCount {
                let row = sorted + d &* gtCount
                var best = floor
                var match = -1
                // Selects instead of branches: whether a box is taken is data, not a pattern to predict.
                for j in 0..<counted {
                    let value = row[j]
                    let takes = !matched[j] && !(value < best)
                    best = takes ? value : best
                    match = takes ? j : match
                }
                if match < 0 {
                    for j in counted..<gtCount {
                        let value = row[j]
                        let takes = (!matched[j] || isCrowd[j]) && !(value < best)
                        best = takes ? value : best
                        match = takes ? j : match
                    }
                }
                guard match >= 0 else {
                    free[d] |= bit
                    continue
                }
                matched[match] = true
                if match < counted {
                    if hasID[match] { hits[d] |= bit } else { free[d] |= bit }
                }
                if recordsOutcomes && hasID[match] {
                    let index = t &* detectionTotal &+ Int(dtOriginal[detectionStart &+ d])
                    output.matchedGroundTruth[index] = gtOriginal[gtStart &+ Int(order[match])]
                    output.matchedIoU[index] = row[match]
                }
            }
        }
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
    /// The same with ground truth in matching order (counted first), and that order's crowd and id flags.
    let sortedIoU: UnsafeMutablePointer<Double>
    let sortedIsCrowd: UnsafeMutablePointer<Bool>
    let sortedHasID: UnsafeMutablePointer<Bool>
    let matched: UnsafeMutablePointer<Bool>
    /// Per area range: ground truth in matching order (file positions).
    let order: UnsafeMutablePointer<Int32>
    /// Per area range: the number of counted boxes, and the area range whose matching it reuses.
    let countedGroundTruth: UnsafeMutablePointer<Int>
    let source: UnsafeMutablePointer<Int>
    /// Per area range and detection: the `hits` and `free` threshold bits of `greedyMatch`.
    let hits: UnsafeMutablePointer<UInt64>
    let free: UnsafeMutablePointer<UInt64>

    init(memory: CocoArena, detections: Int, groundTruth: Int, areas: Int) {
        groundTruthCapacity = groundTruth
        detectionCapacity = detections
        iou = memory.make(detections * groundTruth, 0.0)
        sortedIoU = memory.make(detections * groundTruth, 0.0)
        sortedIsCrowd = memory.make(groundTruth, false)
        sortedHasID = memory.make(groundTruth, false)
        matched = memory.make(groundTruth, false)
        order = memory.make(areas * groundTruth, Int32(0))
        countedGroundTruth = memory.make(areas, 0)
        source = memory.make(areas, 0)
        hits = memory.make(areas * detections, UInt64(0))
        free = memory.make(areas * detections, UInt64(0))
    }
}
