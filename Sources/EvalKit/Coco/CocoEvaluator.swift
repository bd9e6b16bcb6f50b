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
    public static func evaluate(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, parameters: CocoParameters = CocoParameters()
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
        let detectionCount = detections.count
        var precision = [Double](repeating: -1, count: shape.curveCount)
        var scores = [Double](repeating: -1, count: shape.curveCount)
        var recall = [Double](repeating: -1, count: shape.recallCount)
        var matchedGroundTruth = [Int32](repeating: -1, count: shape.thresholds * detectionCount)
        var matchedIoU = [Double](repeating: 0, count: shape.thresholds * detectionCount)
        var isIgnored = [Bool](repeating: false, count: shape.thresholds * detectionCount)
        var isEvaluated = [Bool](repeating: false, count: detectionCount)
        var countColumns = [Int](repeating: 0, count: CocoUnitCounts.width * grouping.unitCount)

        precision.withUnsafeMutableBufferPointer { precision in
            scores.withUnsafeMutableBufferPointer { scores in
                recall.withUnsafeMutableBufferPointer { recall in
                    matchedGroundTruth.withUnsafeMutableBufferPointer { matchedGroundTruth in
                        matchedIoU.withUnsafeMutableBufferPointer { matchedIoU in
                            isIgnored.withUnsafeMutableBufferPointer { isIgnored in
                                isEvaluated.withUnsafeMutableBufferPointer { isEvaluated in
                                    countColumns.withUnsafeMutableBufferPointer { countColumns in
                                        let output = CocoOutput(
                                            precision: precision.baseAddress!, scores: scores.baseAddress!,
                                            recall: recall.baseAddress!,
                                            matchedGroundTruth: matchedGroundTruth.baseAddress!,
                                            matchedIoU: matchedIoU.baseAddress!, isIgnored: isIgnored.baseAddress!,
                                            isEvaluated: isEvaluated.baseAddress!,
                                            counts: countColumns.baseAddress!)
                                        evaluateUnits(
                                            groundTruth: groundTruth, detections: detections, grouping: grouping,
                                            shape: shape, parameters: parameters, output: output)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        let t50 = parameters.iouThresholds.firstIndex(of: 0.5) ?? 0
        let counts = categoryIDs.indices.map { unit in
            CocoUnitCounts.make(
                categoryID: categoryIDs[unit],
                iouThreshold: parameters.iouThresholds.isEmpty ? 0.5 : parameters.iouThresholds[t50],
                columns: countColumns[(unit * CocoUnitCounts.width)...])
        }
        var result = CocoResult(
            parameters: parameters, categoryIDs: categoryIDs, stats: [], precisionValues: precision,
            recallValues: recall, scoreValues: scores, matchedGroundTruth: matchedGroundTruth,
            matchedIoU: matchedIoU, isIgnored: isIgnored, isEvaluated: isEvaluated, counts: counts)
        result.stats = result.summaryStats()
        return result
    }

    /// Runs every unit (category), in parallel when there are several.
    private static func evaluateUnits(
        groundTruth: EvalGroundTruth, detections: EvalDetections, grouping: CocoGrouping, shape: CocoShape,
        parameters: CocoParameters, output: CocoOutput
    ) {
        let work: @Sendable (Int) -> Void = { unit in
            var evaluation = CocoUnitEvaluation(
                unit: unit, detectionTotal: detections.count, grouping: grouping, shape: shape,
                parameters: parameters, output: output)
            evaluation.run()
        }
        if grouping.unitCount > 1 && detections.count > 2_000 {
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

/// Where units write their results. Units write disjoint slots (their own category, their own detections),
/// which is what makes sharing these pointers across threads sound.
struct CocoOutput: @unchecked Sendable {
    let precision: UnsafeMutablePointer<Double>
    let scores: UnsafeMutablePointer<Double>
    let recall: UnsafeMutablePointer<Double>
    let matchedGroundTruth: UnsafeMutablePointer<Int32>
    let matchedIoU: UnsafeMutablePointer<Double>
    let isIgnored: UnsafeMutablePointer<Bool>
    let isEvaluated: UnsafeMutablePointer<Bool>
    /// `CocoUnitCounts.width` integers per unit.
    let counts: UnsafeMutablePointer<Int>
}

/// The per-unit counts as integer columns (ground truth, detections, true and false positives).
enum CocoUnitCounts {
    static let width = 4

    static func make(categoryID: Int64, iouThreshold: Double, columns: ArraySlice<Int>) -> CocoCategoryCounts {
        let base = columns.startIndex
        let groundTruth = columns[base]
        let detections = columns[base + 1]
        let truePositives = columns[base + 2]
        let falsePositives = columns[base + 3]
        return CocoCategoryCounts(
            categoryID: categoryID, iouThreshold: iouThreshold, groundTruth: groundTruth, detections: detections,
            truePositives: truePositives, falsePositives: falsePositives,
            falseNegatives: groundTruth - truePositives,
            ignoredDetections: detections - truePositives - falsePositives)
    }
}
