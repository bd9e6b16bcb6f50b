/// One run's detections in one bootstrap cell: per class, in ranking order, each with its image and per-threshold
/// outcome, laid out for the replicate loop.
///
/// Most detections are false positives at every threshold; they only add their image's weight to a running
/// count, so they are kept as a bare image index (`commonImage`). The others ("special": a true positive at some
/// threshold, or ignored at some) carry their masks, and where they sit among the common ones. Detections
/// ignored at every threshold take no part in any count and are left out.
public struct RankedOutcomes: Sendable {
    /// Number of IoU thresholds (bits of the masks).
    public let thresholdCount: Int
    /// The number of classes.
    public let classCount: Int
    let columns: RankedColumns

    /// Builds the cell's layout.
    ///
    /// - Parameters:
    ///   - order: detection indexes in ranking order (score descending with the protocol's ties); detections of
    ///     every class may be interleaved.
    ///   - classIndex: per detection, its class (0..<classCount), or -1 when it is not in the cell.
    ///   - truePositive / falsePositive: per detection, bit t set for a true (false) positive at threshold t; a
    ///     detection with neither bit at t is ignored there.
    ///   - rank: per detection, its rank in its image (needed when the cell has recall limits).
    ///   - keepsFalsePositives: false for a cell that computes recall only: false positives are left out.
    public init(
        classCount: Int, thresholdCount: Int, order: [Int], classIndex: [Int32], image: [Int32],
        truePositive: [UInt64], falsePositive: [UInt64], rank: [Int32]? = nil, keepsFalsePositives: Bool = true
    ) {
        precondition(thresholdCount <= 64, "at most 64 IoU thresholds")
        self.thresholdCount = thresholdCount
        self.classCount = classCount
        let all: UInt64 = thresholdCount == 64 ? ~0 : (1 &<< UInt64(thresholdCount)) &- 1
        let stride = thresholdCount + 1
        var commonStart = [Int](repeating: 0, count: classCount + 1)
        var specialStart = [Int](repeating: 0, count: classCount + 1)
        func kind(_ i: Int) -> Int {  // 0 left out, 1 common false positive, 2 special
            let tp = truePositive[i] & all
            let fp = falsePositive[i] & all & ~tp
            if tp == 0 && (fp == 0 || !keepsFalsePositives) { return 0 }
            return tp == 0 && fp == all ? 1 : 2
        }
        for i in order where classIndex[i] >= 0 {
            switch kind(i) {
            case 1: commonStart[Int(classIndex[i]) + 1] += 1
            case 2: specialStart[Int(classIndex[i]) + 1] += 1
            default: break
            }
        }
        for k in 0..<classCount {
            commonStart[k + 1] += commonStart[k]
            specialStart[k + 1] += specialStart[k]
        }
        let columns = RankedColumns(
            classCount: classCount, thresholdCount: thresholdCount, commons: commonStart[classCount],
            specials: specialStart[classCount])
        var nextCommon = commonStart
        var nextSpecial = specialStart
        for i in order where classIndex[i] >= 0 {
            let k = Int(classIndex[i])
            switch kind(i) {
            case 1:
                columns.commonImage[nextCommon[k]] = image[i]
                nextCommon[k] += 1
            case 2:
                let slot = nextSpecial[k]
                nextSpecial[k] += 1
                let tp = truePositive[i] & all
                columns.specialImage[slot] = image[i]
                columns.specialCommonEnd[slot] = nextCommon[k]
                columns.specialTruePositive[slot] = tp
                columns.specialIgnored[slot] = keepsFalsePositives ? all & ~tp & ~falsePositive[i] : 0
                columns.specialRank[slot] = rank?[i] ?? 0
                var bits = tp
                while bits != 0 {
                    columns.eventOffset[k * stride + bits.trailingZeroBitCount + 1] += 1
                    bits &= bits &- 1
                }
            default:
                break
            }
        }
        for k in 0...classCount {
            columns.commonStart[k] = commonStart[k]
            columns.specialStart[k] = specialStart[k]
        }
        var largest = 0
        for k in 0..<classCount {
            let base = k * stride
            for t in 0..<thresholdCount { columns.eventOffset[base + t + 1] += columns.eventOffset[base + t] }
            largest = max(largest, columns.eventOffset[base + thresholdCount])
        }
        columns.largestClassEvents = largest
        self.columns = columns
    }

    /// Detections kept in the cell (common and special).
    public var count: Int { columns.commonStart[classCount] + columns.specialStart[classCount] }

    /// The most true-positive events one class can produce (all thresholds together).
    var largestClassEvents: Int { columns.largestClassEvents }
}

/// The columns of a `RankedOutcomes`, in memory the replicate loop reads through pointers. Written once while the
/// outcomes are built, read-only afterwards (so sharing across threads is sound).
final class RankedColumns: @unchecked Sendable {
    /// `commonImage[commonStart[k] ..< commonStart[k + 1]]`: class k's common false positives, in ranking order.
    let commonStart: UnsafeMutablePointer<Int>
    let commonImage: UnsafeMutablePointer<Int32>
    /// `specialStart[k] ..< specialStart[k + 1]`: class k's other detections, in ranking order.
    let specialStart: UnsafeMutablePointer<Int>
    let specialImage: UnsafeMutablePointer<Int32>
    /// The end (in `commonImage`) of the class's common false positives ranked before the special detection.
    let specialCommonEnd: UnsafeMutablePointer<Int>
    let specialTruePositive: UnsafeMutablePointer<UInt64>
    /// The thresholds where the special detection is ignored (neither a true nor a false positive); it is a
    /// false positive at the others where it is not a true positive.
    let specialIgnored: UnsafeMutablePointer<UInt64>
    /// The detection's rank in its image (for recall limits); 0 when not given.
    let specialRank: UnsafeMutablePointer<Int32>
    /// `eventOffset[k * (T + 1) + t]`: where threshold t's true-positive events start among class k's
    /// (class-local); `[k * (T + 1) + T]` is the class's total.
    let eventOffset: UnsafeMutablePointer<Int>
    var largestClassEvents = 0
    private let blocks: [UnsafeMutableRawPointer]

    init(classCount: Int, thresholdCount: Int, commons: Int, specials: Int) {
        func make<Element>(_ count: Int, _ value: Element) -> UnsafeMutablePointer<Element> {
            let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: value, count: max(count, 1))
            return pointer
        }
        commonStart = make(classCount + 1, 0)
        commonImage = make(commons, Int32(0))
        specialStart = make(classCount + 1, 0)
        specialImage = make(specials, Int32(0))
        specialCommonEnd = make(specials, 0)
        specialTruePositive = make(specials, UInt64(0))
        specialIgnored = make(specials, UInt64(0))
        specialRank = make(specials, Int32(0))
        eventOffset = make(classCount * (thresholdCount + 1), 0)
        blocks = [
            UnsafeMutableRawPointer(commonStart), UnsafeMutableRawPointer(commonImage),
            UnsafeMutableRawPointer(specialStart), UnsafeMutableRawPointer(specialImage),
            UnsafeMutableRawPointer(specialCommonEnd), UnsafeMutableRawPointer(specialTruePositive),
            UnsafeMutableRawPointer(specialIgnored), UnsafeMutableRawPointer(specialRank),
            UnsafeMutableRawPointer(eventOffset),
        ]
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}

/// One run's outcomes for every cell of a `BootstrapDesign`, in the design's cell order.
public struct ResampledRun: Sendable {
    public var cells: [RankedOutcomes]

    public init(cells: [RankedOutcomes]) { self.cells = cells }
}

/// The order in which a protocol ranks a class's detections: by score descending (NaN last, `-0.0 == 0.0`) and
/// then by `tieKey` ascending: a stable radix sort, O(n).
public enum RankingOrder {
    /// Detection indexes sorted by (score descending, `tieKey`, index).
    public static func descendingScore(_ score: [Double], tieKey: [Int]? = nil) -> [Int] {
        let count = score.count
        guard count > 0 else { return [] }
        var positions = [Int32](repeating: 0, count: count)
        if let tieKey {
            // A stable counting sort by the tie key first; the score sort keeps that order among equal scores.
            let largest = tieKey.max() ?? 0
            if largest < 4 * count + 1024 {
                var starts = [Int](repeating: 0, count: largest + 2)
                for key in tieKey { starts[key + 1] += 1 }
                for k in 0..<(largest + 1) { starts[k + 1] += starts[k] }
                for i in 0..<count {
                    positions[starts[tieKey[i]]] = Int32(truncatingIfNeeded: i)
                    starts[tieKey[i]] += 1
                }
            } else {
                let sorted = (0..<count).sorted { (tieKey[$0], $0) < (tieKey[$1], $1) }
                for (position, i) in sorted.enumerated() { positions[position] = Int32(truncatingIfNeeded: i) }
            }
        } else {
            for i in 0..<count { positions[i] = Int32(truncatingIfNeeded: i) }
        }
        var keys = [UInt64](repeating: 0, count: count)
        for position in 0..<count { keys[position] = ScoreOrder.key(score[Int(positions[position])]) }
        var order = [Int32](repeating: 0, count: count)
        var scratch = [Int32](repeating: 0, count: count)
        var histogram = [Int](repeating: 0, count: ScoreOrder.histogramSize)
        keys.withUnsafeMutableBufferPointer { keys in
            order.withUnsafeMutableBufferPointer { order in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    histogram.withUnsafeMutableBufferPointer { histogram in
                        ScoreOrder.stableOrder(
                            keys: keys.baseAddress!, count: count, order: order.baseAddress!,
                            scratch: scratch.baseAddress!, histogram: histogram.baseAddress!)
                    }
                }
            }
        }
        return order.map { Int(positions[Int($0)]) }
    }
}

extension RankedOutcomes {
    /// True and false positives per image at threshold `t`, for class `k` or all classes.
    public func imageCounts(threshold t: Int, classIndex k: Int?, imageCount: Int) -> [(tp: Int, fp: Int)] {
        var counts = [(tp: Int, fp: Int)](repeating: (0, 0), count: imageCount)
        let bit: UInt64 = 1 &<< UInt64(t)
        for c in 0..<classCount where k == nil || k == c {
            for d in columns.commonStart[c]..<columns.commonStart[c + 1] {
                counts[Int(columns.commonImage[d])].fp += 1
            }
            for s in columns.specialStart[c]..<columns.specialStart[c + 1] {
                let image = Int(columns.specialImage[s])
                if columns.specialTruePositive[s] & bit != 0 { counts[image].tp += 1 }
                if (columns.specialTruePositive[s] | columns.specialIgnored[s]) & bit == 0 { counts[image].fp += 1 }
            }
        }
        return counts
    }
}
