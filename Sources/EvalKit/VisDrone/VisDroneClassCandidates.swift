/// Everything one class needs across the toolkit's threshold x budget passes, computed once: per image, the
/// class's ground truths in `evalRes.m` order and its candidate detections in matching order, with their
/// overlaps.
///
/// Each pass of `calcAccuracy.m` re-runs `evalRes` on the first N rows of every image; since a stable sort
/// commutes with dropping rows, the budget-N pass is the full candidate list with rows of rank >= N skipped.
struct VisDroneClassCandidates {
    /// One image holding ground truths or candidates of the class.
    struct ImageCase {
        /// Candidate range in the flat detection columns.
        var detections: Range<Int>
        /// Ground-truth range in `isIgnoreGroundTruth`.
        var groundTruths: Range<Int>
        /// Start of the `detections.count x groundTruths.count` row-major overlap block.
        var overlapStart: Int
    }

    var cases: [ImageCase] = []
    /// Candidate columns, case by case, each case in matching order (score descending, NaN first as MATLAB's
    /// `sort(..., 'descend')`, ties by file row).
    var inputIndex: [Int] = []
    /// The row's position among its image's rows that survived the ignored regions (the maxDets rank).
    var rank: [Int] = []
    var score: [Double] = []
    /// Ground truths, case by case: non-ignored first, then ignore ones, file order within each.
    var isIgnoreGroundTruth: [Bool] = []
    /// The index in `EvalGroundTruth` of each of those ground truths.
    var groundTruthIndex: [Int32] = []
    /// `compOas.m`: IoU for normal ground truths, intersection over detection area for ignore ones.
    var overlap: [Double] = []
    /// Candidates in the pooled order of `calcAccuracy.m` (`sort(-score)`: score descending, NaN last, ties by
    /// image, then matching order).
    var pooledOrder: [Int] = []

    /// Collects class `category` from the surviving ground truths and detections of every image.
    ///
    /// - Parameters:
    ///   - keptGroundTruth: per image, the boxes left after ignored-region dropping, in file order.
    ///   - keptDetections: per image, the detection rows left after dropping, in file order (position = rank).
    ///   - budget: the largest maxDets: rows of rank >= budget are never candidates.
    init(
        category: Int64, gt: EvalGroundTruth, dt: EvalDetections, keptGroundTruth: [[Int]],
        keptDetections: [[Int]], budget: Int
    ) {
        for image in keptGroundTruth.indices {
            let boxes = keptGroundTruth[image].filter { gt.category[$0] == category }
            let ordered = boxes.filter { !gt.isIgnored[$0] } + boxes.filter { gt.isIgnored[$0] }
            var rows: [(rank: Int, detection: Int)] = []
            for (rank, detection) in keptDetections[image].prefix(budget).enumerated()
            where dt.category[detection] == category {
                rows.append((rank, detection))
            }
            guard !ordered.isEmpty || !rows.isEmpty else { continue }
            rows.sort { left, right in
                let a = dt.score[left.detection]
                let b = dt.score[right.detection]
                if a.isNaN != b.isNaN { return a.isNaN }
                if a != b && !a.isNaN { return a > b }
                return left.rank < right.rank
            }
            let imageCase = ImageCase(
                detections: inputIndex.count..<(inputIndex.count + rows.count),
                groundTruths: isIgnoreGroundTruth.count..<(isIgnoreGroundTruth.count + ordered.count),
                overlapStart: overlap.count)
            cases.append(imageCase)
            for row in rows {
                inputIndex.append(row.detection)
                rank.append(row.rank)
                score.append(dt.score[row.detection])
                for box in ordered { overlap.append(Self.overlap(row.detection, dt, box, gt)) }
            }
            isIgnoreGroundTruth += ordered.map { gt.isIgnored[$0] }
            groundTruthIndex += ordered.map { Int32(truncatingIfNeeded: $0) }
        }
        pooledOrder = score.indices.sorted { left, right in
            let a = score[left]
            let b = score[right]
            if a.isNaN != b.isNaN { return b.isNaN }
            if a != b && !a.isNaN { return a > b }
            return left < right
        }
    }

    /// The total ground truths of the class, ignore ones included (`numel(gtMatch)`).
    var groundTruthCount: Int { isIgnoreGroundTruth.count }

    /// `compOas.m` for one pair: no +1; intersection over union, or over the detection's area for an ignore
    /// ground truth; 0 without overlap.
    static func overlap(_ detection: Int, _ dt: EvalDetections, _ box: Int, _ gt: EvalGroundTruth) -> Double {
        let dx = dt.x[detection]
        let dy = dt.y[detection]
        let dw = dt.width[detection]
        let dh = dt.height[detection]
        let gx = gt.x[box]
        let gy = gt.y[box]
        let gw = gt.width[box]
        let gh = gt.height[box]
        let w = min(dx + dw, gx + gw) - max(dx, gx)
        if w <= 0 { return 0 }
        let h = min(dy + dh, gy + gh) - max(dy, gy)
        if h <= 0 { return 0 }
        let intersection = w * h
        let detectionArea = dw * dh
        let union = gt.isIgnored[box] ? detectionArea : detectionArea + gw * gh - intersection
        return intersection / union
    }

    /// `evalRes.m` at `threshold` for the candidates of rank < `budget`: writes each one's flag (1 TP, 0 FP,
    /// -1 matched an ignore ground truth) into `flags` (indexed like the candidate columns; others untouched).
    ///
    /// Detections in matching order; each scans the ground truths in order, skipping matched ones, stopping at
    /// the first ignore one once it holds any match, and takes every overlap `>= best` (so among equal overlaps
    /// the later ground truth wins), `best` starting at the threshold. Ignore ground truths absorb any number.
    /// `matchedBox` and `matchedOverlap` receive, per candidate, the ground truth it matched (an index into
    /// `isIgnoreGroundTruth`, -1 none) and the overlap with it.
    func match(
        threshold: Double, budget: Int, flags: inout [Int8], groundTruthState: inout [Int8],
        matchedBox: inout [Int32], matchedOverlap: inout [Double]
    ) {
        for imageCase in cases {
            let groundTruths = imageCase.groundTruths
            for box in groundTruths { groundTruthState[box] = isIgnoreGroundTruth[box] ? -1 : 0 }
            var row = imageCase.overlapStart
            for detection in imageCase.detections {
                defer { row += groundTruths.count }
                guard rank[detection] < budget else { continue }
                var best = threshold
                var bestBox = -1
                var bestMatch: Int8 = 0
                for (column, box) in groundTruths.enumerated() {
                    let state = groundTruthState[box]
                    if state == 1 { continue }
                    if bestMatch != 0 && state == -1 { break }
                    let value = overlap[row + column]
                    if value < best { continue }
                    best = value
                    bestBox = box
                    bestMatch = state == 0 ? 1 : -1
                }
                if bestMatch == 1 { groundTruthState[bestBox] = 1 }
                flags[detection] = bestMatch
                matchedBox[detection] = Int32(truncatingIfNeeded: bestBox)
                matchedOverlap[detection] = bestBox >= 0 ? best : 0
            }
        }
    }
}
