import Dispatch

/// What one unit recorded about its detections that matched a box at area range 0: per recorded detection,
/// `T` matched ground-truth indexes (-1 where unmatched at that threshold) and `T` IoUs.
struct CocoMatchRecords {
    var groundTruth: [Int32] = []
    var iou: [Double] = []
}

/// Where units write their results. Each unit writes only its own slots (its category's block of the curves,
/// its own detections, its own counts and records), which is what makes sharing these pointers across threads
/// sound and the result independent of the scheduling.
struct CocoOutput: @unchecked Sendable {
    let precision: UnsafeMutablePointer<Double>
    let scores: UnsafeMutablePointer<Double>
    let recall: UnsafeMutablePointer<Double>
    let isEvaluated: UnsafeMutablePointer<Bool>
    /// Per detection: threshold bits where it is ignored at area range 0.
    let ignoredBits: UnsafeMutablePointer<UInt64>
    /// Per detection: its record in `records[recordUnit]`, or -1 when it matched nothing at area range 0.
    let recordIndex: UnsafeMutablePointer<Int32>
    let recordUnit: UnsafeMutablePointer<Int32>
    let records: UnsafeMutablePointer<CocoMatchRecords>
    /// `CocoWorkspace.countsWidth` integers per unit: ground truth, detections, true and false positives.
    let counts: UnsafeMutablePointer<Int>
    /// When recorded (for resampling): per detection and area range (`[i * A + a]`), the thresholds where it is a
    /// true positive and where it is counted; per detection, its rank in its image (and category).
    let areaTruePositive: UnsafeMutablePointer<UInt64>?
    let areaCounted: UnsafeMutablePointer<UInt64>?
    let rank: UnsafeMutablePointer<Int32>?
}

/// The per-detection and per-unit results of an evaluation while units run, and their conversion to the result's
/// arrays afterwards.
///
/// Units write compact per-detection facts (a few bytes each); the `T × n` outcome arrays are then written once,
/// in order, which costs far less than scattering every match into them from every unit.
final class CocoWorkspace: @unchecked Sendable {
    static let countsWidth = 4
    let detectionCount: Int
    let unitCount: Int
    let thresholds: Int
    private let isEvaluated: UnsafeMutablePointer<Bool>
    private let ignoredBits: UnsafeMutablePointer<UInt64>
    private let recordIndex: UnsafeMutablePointer<Int32>
    private let recordUnit: UnsafeMutablePointer<Int32>
    private let records: UnsafeMutablePointer<CocoMatchRecords>
    private let countColumns: UnsafeMutablePointer<Int>
    /// Per-area outcomes and ranks, when recorded.
    private let areaTruePositive: UnsafeMutablePointer<UInt64>?
    private let areaCounted: UnsafeMutablePointer<UInt64>?
    private let rank: UnsafeMutablePointer<Int32>?
    private let areaCount: Int

    init(detectionCount: Int, unitCount: Int, thresholds: Int, recordingAreas areaCount: Int? = nil) {
        self.detectionCount = detectionCount
        self.unitCount = unitCount
        self.thresholds = thresholds
        isEvaluated = .allocate(capacity: max(detectionCount, 1))
        isEvaluated.initialize(repeating: false, count: detectionCount)
        ignoredBits = .allocate(capacity: max(detectionCount, 1))
        ignoredBits.initialize(repeating: 0, count: detectionCount)
        recordIndex = .allocate(capacity: max(detectionCount, 1))
        recordIndex.initialize(repeating: -1, count: detectionCount)
        recordUnit = .allocate(capacity: max(detectionCount, 1))
        recordUnit.initialize(repeating: 0, count: detectionCount)
        records = .allocate(capacity: max(unitCount, 1))
        records.initialize(repeating: CocoMatchRecords(), count: unitCount)
        countColumns = .allocate(capacity: max(unitCount * Self.countsWidth, 1))
        countColumns.initialize(repeating: 0, count: unitCount * Self.countsWidth)
        self.areaCount = areaCount ?? 0
        if let areaCount {
            let size = max(detectionCount * areaCount, 1)
            let truePositive = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
            truePositive.initialize(repeating: 0, count: size)
            let counted = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
            counted.initialize(repeating: 0, count: size)
            let rank = UnsafeMutablePointer<Int32>.allocate(capacity: max(detectionCount, 1))
            rank.initialize(repeating: -1, count: max(detectionCount, 1))
            areaTruePositive = truePositive
            areaCounted = counted
            self.rank = rank
        } else {
            areaTruePositive = nil
            areaCounted = nil
            rank = nil
        }
    }

    deinit {
        records.deinitialize(count: unitCount)
        for buffer in [
            UnsafeMutableRawPointer(isEvaluated), UnsafeMutableRawPointer(ignoredBits),
            UnsafeMutableRawPointer(recordIndex), UnsafeMutableRawPointer(recordUnit),
            UnsafeMutableRawPointer(records), UnsafeMutableRawPointer(countColumns),
        ] {
            buffer.deallocate()
        }
        areaTruePositive?.deallocate()
        areaCounted?.deallocate()
        rank?.deallocate()
    }

    /// The pointers units write through, with the result's curve arrays.
    func output(
        precision: UnsafeMutablePointer<Double>, scores: UnsafeMutablePointer<Double>,
        recall: UnsafeMutablePointer<Double>
    ) -> CocoOutput {
        CocoOutput(
            precision: precision, scores: scores, recall: recall, isEvaluated: isEvaluated,
            ignoredBits: ignoredBits, recordIndex: recordIndex, recordUnit: recordUnit, records: records,
            counts: countColumns, areaTruePositive: areaTruePositive, areaCounted: areaCounted, rank: rank)
    }

    /// Whether each detection was evaluated (within its image's budget, of a listed category).
    func evaluatedFlags() -> [Bool] { Array(UnsafeBufferPointer(start: isEvaluated, count: detectionCount)) }

    /// The per-area outcomes the units recorded, if they were asked to.
    func areaOutcomes() -> CocoAreaOutcomes? {
        guard let areaTruePositive, let areaCounted, let rank else { return nil }
        let size = detectionCount * areaCount
        return CocoAreaOutcomes(
            areaCount: areaCount, truePositive: Array(UnsafeBufferPointer(start: areaTruePositive, count: size)),
            counted: Array(UnsafeBufferPointer(start: areaCounted, count: size)),
            rank: Array(UnsafeBufferPointer(start: rank, count: detectionCount)))
    }

    /// The counts unit `unit` wrote.
    func counts(unit: Int, categoryID: Int64, iouThreshold: Double) -> CocoCategoryCounts {
        let columns = countColumns + unit * Self.countsWidth
        return CocoCategoryCounts(
            categoryID: categoryID, iouThreshold: iouThreshold, groundTruth: columns[0], detections: columns[1],
            truePositives: columns[2], falsePositives: columns[3], falseNegatives: columns[0] - columns[2],
            ignoredDetections: columns[1] - columns[2] - columns[3])
    }

    /// The per-detection outcome arrays (`[t * n + i]`), one threshold per task: each threshold's range is
    /// filled with the "no match" values, then the few recorded matches and ignored detections are patched in
    /// while the range is still in the cache.
    func detectionOutcomes() -> (
        matchedGroundTruth: [Int32], matchedIoU: [Double], isIgnored: [Bool], isEvaluated: [Bool]
    ) {
        let total = thresholds * detectionCount
        var collected = OutcomePatches()
        for index in 0..<detectionCount {
            if recordIndex[index] >= 0 { collected.recorded.append(Int32(truncatingIfNeeded: index)) }
            if ignoredBits[index] != 0 { collected.ignored.append(Int32(truncatingIfNeeded: index)) }
        }
        let patches = collected
        var matchedIoU: [Double] = []
        var isIgnored: [Bool] = []
        let matchedGroundTruth = [Int32](unsafeUninitializedCapacity: max(total, 1)) { matched, matchedCount in
            matchedIoU = [Double](unsafeUninitializedCapacity: max(total, 1)) { iou, iouCount in
                isIgnored = [Bool](unsafeUninitializedCapacity: max(total, 1)) { ignored, ignoredCount in
                    if total > 0 {
                        let target = OutcomeTarget(
                            matched: matched.baseAddress!, iou: iou.baseAddress!, ignored: ignored.baseAddress!)
                        LargeBuffer.preferHugePages(target.matched, count: total)
                        LargeBuffer.preferHugePages(target.iou, count: total)
                        LargeBuffer.preferHugePages(target.ignored, count: total)
                        let fill: @Sendable (Int) -> Void = { t in
                            self.fillOutcomes(threshold: t, into: target, patches: patches)
                        }
                        if total >= 1 << 20 && thresholds > 1 {
                            DispatchQueue.concurrentPerform(iterations: thresholds, execute: fill)
                        } else {
                            for t in 0..<thresholds { fill(t) }
                        }
                    }
                    ignoredCount = total
                }
                iouCount = total
            }
            matchedCount = total
        }
        return (matchedGroundTruth, matchedIoU, isIgnored, evaluatedFlags())
    }

    /// Each detection's outcome as the store keeps it (threshold bitmasks, the boxes matched at the thresholds
    /// `threshold50` and `threshold75`), read straight from what the units recorded: the same values
    /// `EvaluationResult(coco:)` derives from the `T × n` arrays of `detectionOutcomes()`, without building them
    /// (at 5M detections and 10 thresholds those arrays take 650 MB).
    func compactOutcomes(threshold50: Int?, threshold75: Int?) -> EvaluationResult.DetectionOutcomes {
        var outcomes = EvaluationResult.DetectionOutcomes(count: detectionCount)
        let allBits: UInt64 = thresholds >= 64 ? ~0 : (1 << UInt64(thresholds)) - 1
        let thresholds = thresholds
        for index in 0..<detectionCount {
            let ignored = isEvaluated[index] ? ignoredBits[index] & allBits : allBits
            outcomes.ignoredMask[index] = Int64(bitPattern: ignored)
            let record = Int(recordIndex[index])
            guard record >= 0 else { continue }
            let unitRecords = records + Int(recordUnit[index])
            unitRecords.pointee.groundTruth.withUnsafeBufferPointer { matched in
                let base = record &* thresholds
                var truePositive: UInt64 = 0
                for t in 0..<thresholds where matched[base &+ t] >= 0 { truePositive |= 1 &<< UInt64(t) }
                outcomes.truePositiveMask[index] = Int64(bitPattern: truePositive & ~ignored)
                if let t = threshold50 { outcomes.matched50[index] = matched[base &+ t] }
                if let t = threshold75 { outcomes.matched75[index] = matched[base &+ t] }
            }
            unitRecords.pointee.iou.withUnsafeBufferPointer { iou in
                if let t = threshold50 { outcomes.iou50[index] = iou[record &* thresholds &+ t] }
                if let t = threshold75 { outcomes.iou75[index] = iou[record &* thresholds &+ t] }
            }
        }
        return outcomes
    }

    /// Writes `[t * n ..< (t + 1) * n]` of the three outcome arrays.
    private func fillOutcomes(threshold t: Int, into target: OutcomeTarget, patches: OutcomePatches) {
        let base = t * detectionCount
        (target.matched + base).initialize(repeating: -1, count: detectionCount)
        (target.iou + base).initialize(repeating: 0, count: detectionCount)
        (target.ignored + base).initialize(repeating: false, count: detectionCount)
        for index in patches.recorded {
            let detection = Int(index)
            let record = Int(recordIndex[detection]) &* thresholds &+ t
            let unitRecords = records + Int(recordUnit[detection])
            target.matched[base &+ detection] = unitRecords.pointee.groundTruth[record]
            target.iou[base &+ detection] = unitRecords.pointee.iou[record]
        }
        let bit: UInt64 = 1 &<< UInt64(t)
        for index in patches.ignored where ignoredBits[Int(index)] & bit != 0 {
            target.ignored[base &+ Int(index)] = true
        }
    }
}

/// The detections whose outcome differs from "no match, not ignored" at some threshold, in input order.
private struct OutcomePatches: Sendable {
    var recorded: [Int32] = []
    var ignored: [Int32] = []
}

/// The outcome arrays being written, shared by the threshold tasks (each writes its own range).
private struct OutcomeTarget: @unchecked Sendable {
    let matched: UnsafeMutablePointer<Int32>
    let iou: UnsafeMutablePointer<Double>
    let ignored: UnsafeMutablePointer<Bool>
}
