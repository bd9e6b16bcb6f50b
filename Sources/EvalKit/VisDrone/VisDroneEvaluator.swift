/// VisDrone-DET evaluation, number for number the official toolkit (`evalDET.m` -> `calcAccuracy.m`,
/// `dropObjectsInIgr.m`, `evalRes.m`, `compOas.m`, `VOCap.m`).
///
/// 1. Per image, when it has ignored regions, ground truths and detections mostly inside them are dropped
///    (`VisDroneRegionMask`); detections keep their file order, which is what the budgets count in.
/// 2. Ground truths with `isIgnored` (VisDrone score 0) stay as "ignore" ground truths: they count in the
///    recall denominator and absorb, without limit, detections whose intersection over detection area
///    reaches the threshold.
/// 3. For class c in 1...10, each threshold and each budget N: per image the first N surviving rows (all
///    categories), those of class c matched greedily (`VisDroneClassCandidates.match`), pooled over images and
///    stably sorted by score; `recall = cumsum(TP) / max(1, ground truths of c)`; AR = the largest recall.
///    AP comes from the last budget's pass: `precision = TP / max(1, TP + FP)`, then the all-point area.
/// 4. The means weight each class by the number of images holding it; category 11 (and any other) is never
///    scored.
public enum VisDroneEvaluator {
    /// The scored categories.
    public static let categories: ClosedRange<Int64> = 1...10

    /// Evaluates `dt` against `gt`, images in `gt`'s order (the dataset's sorted file-name order) and each
    /// image's detections in input order (its result file's row order).
    ///
    /// Image sizes come from `gt.imageWidths` / `imageHeights`; an image of unknown size (0) drops nothing.
    /// Detections whose image is outside `0..<gt.imageCount` are left out (outcome -1).
    ///
    /// With `recordsBudgetOutcomes`, the result also holds, for every budget, the thresholds at which each detection
    /// is a true positive in that budget's pass (`VisDroneResult.budgetTruePositives`), which resampling needs.
    public static func evaluate(
        _ gt: EvalGroundTruth, _ dt: EvalDetections, parameters: VisDroneParameters = VisDroneParameters(),
        recordsBudgetOutcomes: Bool = false
    ) -> VisDroneResult {
        let (keptGroundTruth, keptDetections) = survivors(gt, dt)
        var outcome = [Int8](repeating: -1, count: parameters.iouThresholds.count * dt.count)
        var matched = MatchedBoxes(thresholds: parameters.iouThresholds, detectionCount: dt.count)
        var budgetTruePositives: [[UInt64]]? =
            recordsBudgetOutcomes
            ? Array(repeating: [UInt64](repeating: 0, count: dt.count), count: parameters.maxDetections.count) : nil
        let classes = categories.map { category in
            let weight = keptGroundTruth.indices.count { image in
                keptGroundTruth[image].contains { gt.category[$0] == category }
            }
            let candidates = VisDroneClassCandidates(
                category: category, gt: gt, dt: dt, keptGroundTruth: keptGroundTruth,
                keptDetections: keptDetections, budget: parameters.maxDetections.max() ?? 0)
            return evaluateClass(
                category, weight: weight, candidates, parameters: parameters, detectionCount: dt.count,
                outcome: &outcome, matched: &matched, budgetTruePositives: &budgetTruePositives)
        }
        var result = summarize(classes, parameters: parameters, outcome: outcome)
        result.budgetTruePositives = budgetTruePositives
        result.matched50 = matched.box50
        result.iou50 = matched.overlap50
        result.matched75 = matched.box75
        result.iou75 = matched.overlap75
        return result
    }

    /// The threshold x budget passes of `calcAccuracy.m` for one class; writes the last budget's flags into
    /// `outcome`.
    static func evaluateClass(
        _ category: Int64, weight: Int, _ candidates: VisDroneClassCandidates, parameters: VisDroneParameters,
        detectionCount: Int, outcome: inout [Int8], matched: inout MatchedBoxes,
        budgetTruePositives: inout [[UInt64]]?
    ) -> VisDroneClassResult {
        let thresholds = parameters.iouThresholds
        let budgets = parameters.maxDetections
        let denominator = Double(max(1, candidates.groundTruthCount))
        var flags = [Int8](repeating: 0, count: candidates.inputIndex.count)
        var groundTruthState = [Int8](repeating: 0, count: candidates.groundTruthCount)
        var matchedBox = [Int32](repeating: -1, count: candidates.inputIndex.count)
        var matchedOverlap = [Double](repeating: 0, count: candidates.inputIndex.count)
        var ap = [Double](repeating: 0, count: thresholds.count)
        var ar = [[Double]](repeating: [Double](repeating: 0, count: budgets.count), count: thresholds.count)

        for (thresholdIndex, threshold) in thresholds.enumerated() {
            for (budgetIndex, budget) in budgets.enumerated() {
                candidates.match(
                    threshold: threshold, budget: budget, flags: &flags, groundTruthState: &groundTruthState,
                    matchedBox: &matchedBox, matchedOverlap: &matchedOverlap)
                // AP and the per-detection outcome come from the last budget, as the toolkit's loop leaves them.
                let isLastPass = budgetIndex == budgets.count - 1
                var truePositives = 0
                var falsePositives = 0
                var pooled = 0
                var recall: [Double] = []
                var precision: [Double] = []
                for candidate in candidates.pooledOrder where candidates.rank[candidate] < budget {
                    pooled += 1
                    switch flags[candidate] {
                    case 1:
                        truePositives += 1
                        budgetTruePositives?[budgetIndex][candidates.inputIndex[candidate]] |=
                            1 &<< UInt64(thresholdIndex)
                    case 0: falsePositives += 1
                    default: break
                    }
                    guard isLastPass else { continue }
                    recall.append(Double(truePositives) / denominator)
                    precision.append(Double(truePositives) / Double(max(1, falsePositives + truePositives)))
                    outcome[thresholdIndex * detectionCount + candidates.inputIndex[candidate]] = flags[candidate]
                    let box = matchedBox[candidate]
                    if box >= 0 {
                        matched.record(
                            threshold: threshold, detection: candidates.inputIndex[candidate],
                            box: candidates.groundTruthIndex[Int(box)], overlap: matchedOverlap[candidate])
                    }
                }
                // Recall never decreases: its maximum is the last value; none without detections.
                if pooled > 0 { ar[thresholdIndex][budgetIndex] = Double(truePositives) / denominator }
                if isLastPass {
                    ap[thresholdIndex] = VocAveragePrecision.allPoint(recall: recall, precision: precision)
                }
            }
        }
        return VisDroneClassResult(
            categoryID: category, weight: weight, groundTruthCount: candidates.groundTruthCount, ap: ap, ar: ar)
    }

    /// Per image, the ground-truth boxes and the detection rows (both in order) that ignored regions leave.
    public static func survivors(_ gt: EvalGroundTruth, _ dt: EvalDetections) -> (
        groundTruth: [[Int]], detections: [[Int]]
    ) {
        let imageCount = gt.imageCount
        var groundTruth = [[Int]](repeating: [], count: imageCount)
        var detections = [[Int]](repeating: [], count: imageCount)
        var regions = [[(x: Double, y: Double, width: Double, height: Double)]](repeating: [], count: imageCount)
        for box in 0..<gt.count where (0..<imageCount).contains(Int(gt.image[box])) {
            groundTruth[Int(gt.image[box])].append(box)
        }
        for detection in 0..<dt.count where (0..<imageCount).contains(Int(dt.image[detection])) {
            detections[Int(dt.image[detection])].append(detection)
        }
        for region in gt.regionImage.indices where (0..<imageCount).contains(Int(gt.regionImage[region])) {
            regions[Int(gt.regionImage[region])].append(
                (gt.regionX[region], gt.regionY[region], gt.regionWidth[region], gt.regionHeight[region]))
        }
        for image in 0..<imageCount {
            guard
                let mask = VisDroneRegionMask(
                    width: gt.imageWidths[image], height: gt.imageHeights[image], regions: regions[image])
            else { continue }
            groundTruth[image].removeAll {
                mask.drops(x: gt.x[$0], y: gt.y[$0], width: gt.width[$0], height: gt.height[$0])
            }
            detections[image].removeAll {
                mask.drops(x: dt.x[$0], y: dt.y[$0], width: dt.width[$0], height: dt.height[$0])
            }
        }
        return (groundTruth, detections)
    }

    /// The toolkit's `mean2` over the weighted class list: each class repeated `weight` times, its values in
    /// percent as the toolkit holds them (`* 100`), summed column by column (thresholds outer, classes inner) in
    /// that order and divided by the number of entries; then back to a fraction. The toolkit's printed percent
    /// divided by 100, to the last bit where its summation is sequential.
    static func summarize(_ classes: [VisDroneClassResult], parameters: VisDroneParameters, outcome: [Int8])
        -> VisDroneResult
    {
        let weighted = classes.flatMap { Array(repeating: $0, count: $0.weight) }
        func mean(columns: [Int], _ value: (VisDroneClassResult, Int) -> Double) -> Double {
            guard !columns.isEmpty else { return .nan }
            var sum = 0.0
            for column in columns {
                for entry in weighted { sum += value(entry, column) * 100 }
            }
            return sum / Double(weighted.count * columns.count) / 100
        }
        let allThresholds = Array(parameters.iouThresholds.indices)
        func ap(at threshold: Double) -> Double {
            let columns = parameters.iouThresholds.firstIndex(of: threshold).map { [$0] } ?? []
            return mean(columns: columns) { $0.ap[$1] }
        }
        func ar(budget: Int) -> Double {
            guard let budgetIndex = parameters.maxDetections.firstIndex(of: budget) else { return .nan }
            return mean(columns: allThresholds) { $0.ar[$1][budgetIndex] }
        }
        var result = VisDroneResult(
            ap: mean(columns: allThresholds) { $0.ap[$1] }, ap50: ap(at: 0.5), ap75: ap(at: 0.75),
            ar1: ar(budget: 1), ar10: ar(budget: 10), ar100: ar(budget: 100), ar500: ar(budget: 500),
            classes: classes, outcome: outcome)
        result.arByMaxDetections = parameters.maxDetections.indices.map { budgetIndex in
            mean(columns: allThresholds) { $0.ar[$1][budgetIndex] }
        }
        return result
    }
}

/// The ground truth each detection matched in the last budget's pass at IoU 0.5 and 0.75, where evaluated.
struct MatchedBoxes {
    var box50: [Int32] = []
    var overlap50: [Double] = []
    var box75: [Int32] = []
    var overlap75: [Double] = []

    init(thresholds: [Double], detectionCount: Int) {
        if thresholds.contains(0.5) {
            box50 = [Int32](repeating: -1, count: detectionCount)
            overlap50 = [Double](repeating: 0, count: detectionCount)
        }
        if thresholds.contains(0.75) {
            box75 = [Int32](repeating: -1, count: detectionCount)
            overlap75 = [Double](repeating: 0, count: detectionCount)
        }
    }

    mutating func record(threshold: Double, detection: Int, box: Int32, overlap: Double) {
        if threshold == 0.5 && !box50.isEmpty {
            box50[detection] = box
            overlap50[detection] = overlap
        } else if threshold == 0.75 && !box75.isEmpty {
            box75[detection] = box
            overlap75[detection] = overlap
        }
    }
}
