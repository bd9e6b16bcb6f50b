import Dispatch

/// The `coco` protocol: pycocotools `COCOeval` with `iouType="bbox"`, reproduced bit for bit, quirks included.
///
/// What pycocotools does and this reproduces: images are the ground truth's image ids, sorted; only detections
/// of listed categories count; crowd boxes (and boxes outside the area range) are ignored and may absorb any
/// number of detections; detections are stable-sorted by descending score per image and category and cut to
/// the last `maxDetections`; greedy matching in score order where, among equal IoUs, the later ground truth
/// wins; a ground-truth box with annotation id 0 never counts as matched; precision is interpolated from the
/// right and read at the recall points with a left binary search; means use numpy's pairwise summation.
///
/// Fast: boxes are grouped by category and image with counting sorts, each IoU matrix is computed once for all
/// thresholds and area ranges, identical area ranges share one matching, and categories are evaluated in
/// parallel. Results do not depend on the scheduling: every category writes its own slots.
public enum CocoEvaluator {
    /// Evaluates `detections` against `groundTruth`.
    ///
    /// Detections whose image index is out of range or whose category is not in `groundTruth.categoryIDs` are
    /// not evaluated (pycocotools refuses the first and drops the second). Preconditions: `parameters` has at
    /// most 64 IoU thresholds and at least one max-detections value, all non-negative.
    ///
    /// With `recordsAreaOutcomes`, the result also holds every detection's outcome in every area range
    /// (`CocoResult.areaOutcomes`), which resampling needs. Without `buildsOutcomeArrays`, the `T × n` arrays
    /// (`matchedGroundTruth`, `matchedIoU`, `isIgnored`) are left empty and only the compact outcomes the store
    /// keeps are built (`EvaluationResult(coco:)` reads either).
    public static func evaluate(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, parameters: CocoParameters = CocoParameters(),
        recordsAreaOutcomes: Bool = false, buildsOutcomeArrays: Bool = true
    ) -> CocoResult {
        var parameters = parameters
        parameters.maxDetections.sort()
        precondition(parameters.iouThresholds.count <= 64, "COCO evaluation supports at most 64 IoU thresholds")
        precondition(
            !parameters.maxDetections.isEmpty && parameters.maxDetections[0] >= 0,
            "maxDetections must hold at least one non-negative value")
        var categoryIDs = Array(Set(groundTruth.categoryIDs)).sorted()
        let grouping = CocoGrouping(
            groundTruth: groundTruth, detections: detections, categoryIDs: categoryIDs,
            useCategories: parameters.useCategories)
        if !parameters.useCategories { categoryIDs = [-1] }

        let shape = CocoShape(parameters: parameters, categoryCount: categoryIDs.count)
        let workspace = CocoWorkspace(
            detectionCount: detections.count, unitCount: grouping.unitCount, thresholds: shape.thresholds,
            recordingAreas: recordsAreaOutcomes ? parameters.areaRanges.count : nil)
        // Every unit writes its whole block of precision and scores; recall stays -1 where there is no ground truth.
        // Capacities of at least 1 keep the base addresses non-nil when an axis is empty.
        var scores: [Double] = []
        var recall: [Double] = []
        let precision = [Double](unsafeUninitializedCapacity: max(shape.curveCount, 1)) { precision, precisionCount in
            scores = [Double](unsafeUninitializedCapacity: max(shape.curveCount, 1)) { scores, scoresCount in
                recall = [Double](unsafeUninitializedCapacity: max(shape.recallCount, 1)) { recall, recallCount in
                    recall.baseAddress!.initialize(repeating: -1, count: shape.recallCount)
                    LargeBuffer.preferHugePages(precision.baseAddress!, count: shape.curveCount)
                    LargeBuffer.preferHugePages(scores.baseAddress!, count: shape.curveCount)
                    UnwrittenSlots.mark(precision.baseAddress!, count: shape.curveCount)
                    UnwrittenSlots.mark(scores.baseAddress!, count: shape.curveCount)
                    let output = workspace.output(
                        precision: precision.baseAddress!, scores: scores.baseAddress!, recall: recall.baseAddress!)
                    evaluateUnits(
                        detectionCount: detections.count, grouping: grouping, shape: shape, parameters: parameters,
                        output: output)
                    UnwrittenSlots.assertWritten(precision.baseAddress!, count: shape.curveCount, "COCO precision")
                    UnwrittenSlots.assertWritten(scores.baseAddress!, count: shape.curveCount, "COCO scores")
                    recallCount = shape.recallCount
                }
                scoresCount = shape.curveCount
            }
            precisionCount = shape.curveCount
        }
        let outcomes =
            buildsOutcomeArrays
            ? workspace.detectionOutcomes()
            : (matchedGroundTruth: [], matchedIoU: [], isIgnored: [], isEvaluated: workspace.evaluatedFlags())
        let compact =
            buildsOutcomeArrays
            ? nil
            : workspace.compactOutcomes(
                threshold50: parameters.iouThresholds.firstIndex(of: 0.5),
                threshold75: parameters.iouThresholds.firstIndex(of: 0.75))

        let t50 = parameters.iouThresholds.firstIndex(of: 0.5) ?? 0
        let counts = categoryIDs.indices.map { unit in
            workspace.counts(
                unit: unit, categoryID: categoryIDs[unit],
                iouThreshold: parameters.iouThresholds.isEmpty ? 0.5 : parameters.iouThresholds[t50])
        }
        var result = CocoResult(
            parameters: parameters, categoryIDs: categoryIDs, stats: [], precisionValues: precision,
            recallValues: recall, scoreValues: scores, matchedGroundTruth: outcomes.matchedGroundTruth,
            matchedIoU: outcomes.matchedIoU, isIgnored: outcomes.isIgnored, isEvaluated: outcomes.isEvaluated,
            counts: counts)
        result.stats = result.summaryStats()
        result.areaOutcomes = workspace.areaOutcomes()
        result.compactOutcomes = compact
        return result
    }

    /// Runs every unit (category), in parallel when there are several.
    private static func evaluateUnits(
        detectionCount: Int, grouping: CocoGrouping, shape: CocoShape, parameters: CocoParameters,
        output: CocoOutput
    ) {
        let work: @Sendable (Int) -> Void = { unit in
            var evaluation = CocoUnitEvaluation(
                unit: unit, detectionTotal: detectionCount, grouping: grouping, shape: shape,
                parameters: parameters, output: output)
            evaluation.run()
        }
        if grouping.unitCount > 1 && detectionCount > 2_000 {
            DispatchQueue.concurrentPerform(iterations: grouping.unitCount, execute: work)
        } else {
            for unit in 0..<grouping.unitCount { work(unit) }
        }
    }
}

/// The sizes of the result axes and the flat positions in its arrays.
struct CocoShape: Sendable {
    let thresholds: Int
    let recallPoints: Int
    let categories: Int
    let areas: Int
    let maxDetections: Int

    init(parameters: CocoParameters, categoryCount: Int) {
        thresholds = parameters.iouThresholds.count
        recallPoints = parameters.recallThresholds.count
        categories = categoryCount
        areas = parameters.areaRanges.count
        maxDetections = parameters.maxDetections.count
    }

    var curveCount: Int { thresholds * recallPoints * categories * areas * maxDetections }
    var recallCount: Int { thresholds * categories * areas * maxDetections }

    /// Position of `[t][r][k][a][m]` in the precision and score arrays.
    @inline(__always)
    func curveIndex(t: Int, r: Int, k: Int, a: Int, m: Int) -> Int {
        (((t * recallPoints + r) * categories + k) * areas + a) * maxDetections + m
    }

    /// Position of `[t][k][a][m]` in the recall array.
    @inline(__always)
    func recallIndex(t: Int, k: Int, a: Int, m: Int) -> Int {
        ((t * categories + k) * areas + a) * maxDetections + m
    }
}
