/// Counts for one category at area range 0 ("all"), the last `maxDetections` and the IoU threshold 0.5
/// (the first threshold when 0.5 is not among them).
public struct CocoCategoryCounts: Sendable, Equatable {
    /// The category id (`-1` for the class-agnostic pseudo-category).
    public var categoryID: Int64
    /// The IoU threshold the counts are taken at.
    public var iouThreshold: Double
    /// Ground-truth boxes that count (not crowd, area inside the range).
    public var groundTruth: Int
    /// Detections evaluated: those within `maxDetections` per image (and category).
    public var detections: Int
    /// Detections matched to a counting ground-truth box.
    public var truePositives: Int
    /// Detections neither matched nor ignored.
    public var falsePositives: Int
    /// Counting ground-truth boxes left unmatched: `groundTruth - truePositives`.
    public var falseNegatives: Int
    /// Evaluated detections that are ignored (matched to a crowd box, or unmatched outside the area range).
    public var ignoredDetections: Int

    /// Creates the counts of one category.
    public init(
        categoryID: Int64, iouThreshold: Double, groundTruth: Int, detections: Int, truePositives: Int,
        falsePositives: Int, falseNegatives: Int, ignoredDetections: Int
    ) {
        self.categoryID = categoryID
        self.iouThreshold = iouThreshold
        self.groundTruth = groundTruth
        self.detections = detections
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.ignoredDetections = ignoredDetections
    }
}

/// Every detection's outcome in every area range of a COCO evaluation, at the last `maxDetections`.
public struct CocoAreaOutcomes: Sendable {
    /// Number of area ranges (A).
    public var areaCount: Int
    /// `[i * A + a]`: bit t set when detection i (input order) is a true positive at threshold t in area range a.
    public var truePositive: [UInt64]
    /// `[i * A + a]`: bit t set when detection i counts (is not ignored) at threshold t in area range a.
    public var counted: [UInt64]
    /// Detection i's position in its image's (and category's) score order; -1 when it is not evaluated.
    public var rank: [Int32]
}

/// The result of a COCO evaluation: pycocotools' `eval` arrays, its 12 summary `stats`, and what happened to
/// every detection.
///
/// Axes: `t` IoU threshold, `r` recall point, `k` category (`categoryIDs`), `a` area range, `m` max detections,
/// all in `parameters` order (`maxDetections` sorted ascending, as pycocotools sorts it). Entries are `-1`
/// where pycocotools leaves them `-1`: a category without ground truth in that area range.
public struct CocoResult: Sendable {
    /// The parameters used, with `maxDetections` sorted ascending.
    public var parameters: CocoParameters
    /// The K axis: the dataset's category ids ascending, or `[-1]` when class-agnostic.
    public var categoryIDs: [Int64]
    /// pycocotools' 12 stats in order AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl;
    /// `-1` where undefined (no ground truth, or a threshold, area label or max-detections value the summary
    /// asks for is not among the parameters).
    public var stats: [Double]
    /// `precision[t][r][k][a][m]`, flattened in that order (row-major, like numpy).
    public var precisionValues: [Double]
    /// `recall[t][k][a][m]`, flattened in that order.
    public var recallValues: [Double]
    /// `scores[t][r][k][a][m]`: the detection score at which each recall point is reached (0 when it never is).
    public var scoreValues: [Double]

    /// For detection `i` (input order) at IoU threshold index `t`: `matchedGroundTruth[t * n + i]` is the index
    /// of the matched box in `EvalGroundTruth`, or -1. Taken at area range 0 and the last `maxDetections`.
    /// A box whose annotation id is 0 never counts as matched (pycocotools stores matches as annotation ids
    /// with 0 meaning none), so detections that hit it read -1 here and count as false positives.
    public var matchedGroundTruth: [Int32]
    /// The IoU with the matched box (crowd boxes: the fraction of the detection inside them); 0 when unmatched.
    public var matchedIoU: [Double]
    /// Whether the detection is ignored at that threshold: matched to a crowd box, or unmatched with an area
    /// outside area range 0. A true positive is `matchedGroundTruth >= 0 && !isIgnored`.
    public var isIgnored: [Bool]
    /// Whether detection `i` was evaluated at all: false when its category is not in `categoryIDs`, or when it
    /// falls beyond the last `maxDetections` of its image (and category).
    public var isEvaluated: [Bool]
    /// Per category (the K axis): counts at area range 0, the last max detections and IoU 0.5.
    public var counts: [CocoCategoryCounts]
    /// Every detection's outcome in every area range, when the evaluation was asked to record them.
    public var areaOutcomes: CocoAreaOutcomes?
    /// Each detection's outcome as the store keeps it, built instead of the `T × n` arrays when those were not
    /// asked for (`CocoEvaluator.evaluate(buildsOutcomeArrays: false)`).
    var compactOutcomes: EvaluationResult.DetectionOutcomes?

    /// Number of IoU thresholds (T).
    public var thresholdCount: Int { parameters.iouThresholds.count }
    /// Number of recall points (R).
    public var recallPointCount: Int { parameters.recallThresholds.count }
    /// Number of categories (K).
    public var categoryCount: Int { categoryIDs.count }
    /// Number of area ranges (A).
    public var areaRangeCount: Int { parameters.areaRanges.count }
    /// Number of max-detections settings (M).
    public var maxDetectionsCount: Int { parameters.maxDetections.count }

    /// `precision[t][r][k][a][m]`: interpolated precision at recall point `r`, or -1.
    public func precision(t: Int, r: Int, k: Int, a: Int, m: Int) -> Double {
        precisionValues[curveIndex(t: t, r: r, k: k, a: a, m: m)]
    }

    /// `recall[t][k][a][m]`: the recall reached with all detections, or -1.
    public func recall(t: Int, k: Int, a: Int, m: Int) -> Double {
        recallValues[((t * categoryCount + k) * areaRangeCount + a) * maxDetectionsCount + m]
    }

    /// `scores[t][r][k][a][m]`: the score of the detection where recall point `r` is reached, or -1.
    public func score(t: Int, r: Int, k: Int, a: Int, m: Int) -> Double {
        scoreValues[curveIndex(t: t, r: r, k: k, a: a, m: m)]
    }

    /// Average precision of category `k` the way per-class tables built on pycocotools compute it: the mean of
    /// `precision[t][·][k][a][last m]` over all thresholds (or only threshold index `t`) and recall points,
    /// ignoring -1 entries; -1 when there are none.
    public func categoryAP(k: Int, t: Int? = nil, a: Int = 0) -> Double {
        let thresholds = t.map { [$0] } ?? Array(0..<thresholdCount)
        var values: [Double] = []
        values.reserveCapacity(thresholds.count * recallPointCount)
        for threshold in thresholds {
            for point in 0..<recallPointCount {
                let value = precision(t: threshold, r: point, k: k, a: a, m: maxDetectionsCount - 1)
                if value > -1 { values.append(value) }
            }
        }
        return NumpySummation.mean(values)
    }

    /// Average recall of category `k` at max-detections index `m`: the mean of `recall[·][k][a][m]` over the
    /// thresholds, ignoring -1 entries; -1 when there are none.
    public func categoryAR(k: Int, m: Int, a: Int = 0) -> Double {
        var values: [Double] = []
        for threshold in 0..<thresholdCount {
            let value = recall(t: threshold, k: k, a: a, m: m)
            if value > -1 { values.append(value) }
        }
        return NumpySummation.mean(values)
    }

    /// Flat position of `[t][r][k][a][m]` in `precisionValues` and `scoreValues`.
    func curveIndex(t: Int, r: Int, k: Int, a: Int, m: Int) -> Int {
        (((t * recallPointCount + r) * categoryCount + k) * areaRangeCount + a) * maxDetectionsCount + m
    }
}

/// numpy's float64 summation, so that means match `np.mean` to the last bit.
enum NumpySummation {
    /// `np.mean(values)`, or -1 for no values (pycocotools' convention for an empty selection).
    static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return -1 }
        let sum = values.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, values.count) }
        return sum / Double(values.count)
    }

    /// numpy's `pairwise_sum` for a contiguous float64 array: fewer than 8 values are added in order; up to 128
    /// with eight interleaved accumulators combined as a tree; longer runs split at a multiple of 8 near the
    /// middle. This is what `np.add.reduce` (and so `np.mean`) does over a contiguous 1-D array.
    static func pairwiseSum(_ values: UnsafePointer<Double>, _ count: Int) -> Double {
        if count < 8 {
            var sum = 0.0
            for index in 0..<count { sum += values[index] }
            return sum
        }
        if count <= 128 {
            var r0 = values[0]
            var r1 = values[1]
            var r2 = values[2]
            var r3 = values[3]
            var r4 = values[4]
            var r5 = values[5]
            var r6 = values[6]
            var r7 = values[7]
            var index = 8
            let blocked = count - count % 8
            while index < blocked {
                r0 += values[index]
                r1 += values[index + 1]
                r2 += values[index + 2]
                r3 += values[index + 3]
                r4 += values[index + 4]
                r5 += values[index + 5]
                r6 += values[index + 6]
                r7 += values[index + 7]
                index += 8
            }
            var sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while index < count {
                sum += values[index]
                index += 1
            }
            return sum
        }
        var half = count / 2
        half -= half % 8
        return pairwiseSum(values, half) + pairwiseSum(values + half, count - half)
    }
}
