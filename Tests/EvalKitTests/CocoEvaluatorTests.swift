import EvalKit
import Testing

/// Hand-worked cases of pycocotools' semantics. Every expected number was worked out by hand and confirmed with
/// pycocotools 2.0.11 (numpy 2.4); `one` is what pycocotools reports for a perfect curve,
/// `1 / (1 + eps)` = 0.9999999999999998, because precision is `tp / (tp + fp + eps)`.
@Suite struct CocoEvaluatorTests {
    static let one = 1 / (1 + Double.ulpOfOne)
    static let thresholds = 10

    @Test func equalIoUGoesToTheLaterGroundTruth() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(0, 0, 10, 10)
        builder.detection(score: 0.9, 0, 0, 10, 10)
        builder.detection(score: 0.8, 0, 0, 10, 10)
        let result = builder.evaluate()
        for t in 0..<Self.thresholds {
            #expect(result.matchedGroundTruth[t * 2 + 0] == 1, "the first detection takes the later box")
            #expect(result.matchedGroundTruth[t * 2 + 1] == 0, "the second takes what is left")
            #expect(result.matchedIoU[t * 2 + 0] == 1)
        }
        #expect(result.stats[0] == 1.0)
    }

    @Test func crowdAbsorbsSeveralDetections() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 40, 40, crowd: true)
        builder.detection(score: 0.9, 55, 55, 10, 10)
        builder.detection(score: 0.8, 60, 60, 10, 10)
        builder.detection(score: 0.7, 70, 70, 10, 10)
        builder.detection(score: 0.6, 0, 0, 10, 10)
        let result = builder.evaluate()
        let n = 4
        for t in 0..<Self.thresholds {
            for crowdDetection in 0..<3 {
                #expect(result.matchedGroundTruth[t * n + crowdDetection] == 1)
                #expect(result.isIgnored[t * n + crowdDetection])
                // The crowd overlap is the fraction of the detection inside the region.
                #expect(result.matchedIoU[t * n + crowdDetection] == 1)
            }
            #expect(result.matchedGroundTruth[t * n + 3] == 0 && !result.isIgnored[t * n + 3])
        }
        #expect(result.counts[0].groundTruth == 1 && result.counts[0].detections == 4)
        #expect(result.counts[0].truePositives == 1 && result.counts[0].falsePositives == 0)
        #expect(result.counts[0].ignoredDetections == 3 && result.counts[0].falseNegatives == 0)
        #expect(result.stats[0] == Self.one)
        #expect(result.stats[6] == 0, "AR1: the single detection kept per image is the ignored one")
        #expect(result.stats[8] == 1)
    }

    @Test func area1024IsBothSmallAndMedium() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 32, 32)
        builder.detection(score: 0.9, 0, 0, 32, 32)
        let stats = builder.evaluate().stats
        #expect(stats[3] == Self.one && stats[4] == Self.one && stats[5] == -1)
        #expect(stats[9] == 1 && stats[10] == 1 && stats[11] == -1)
    }

    @Test func maxDetectionsCutPerImageAndCategory() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.box(category: 2, 20, 20, 10, 10)
        builder.detection(category: 1, score: 0.9, 50, 50, 10, 10)
        builder.detection(category: 1, score: 0.8, 70, 70, 10, 10)
        builder.detection(category: 1, score: 0.7, 0, 0, 10, 10)
        builder.detection(category: 2, score: 0.95, 20, 20, 10, 10)
        builder.detection(category: 2, score: 0.5, 80, 80, 5, 5)
        let result = builder.evaluate(CocoParameters(maxDetections: [2, 1]))
        #expect(result.parameters.maxDetections == [1, 2], "sorted, as pycocotools does")
        #expect(result.isEvaluated == [true, true, false, true, true])
        #expect(result.matchedGroundTruth[2] == -1)
        for m in 0..<2 {
            #expect(result.recall(t: 0, k: 0, a: 0, m: m) == 0, "the matching detection of category 1 was cut")
            #expect(result.recall(t: 0, k: 1, a: 0, m: m) == 1, "category 2 keeps its own two detections")
        }
        #expect(result.stats[0] == -1, "AP asks for maxDets 100, which is not among the parameters")
        #expect(result.stats[1] == -1, "pycocotools would raise: there is no third max-detections value")
    }

    @Test func scoreTiesKeepFileOrder() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.detection(score: 0.5, 0, 0, 10, 10)
        builder.detection(score: 0.5, 0, 0, 10, 10)
        let result = builder.evaluate()
        #expect(result.matchedGroundTruth[0] == 0 && result.matchedGroundTruth[1] == -1)
        #expect(result.stats[0] == Self.one)
    }

    /// Pooled ties across images follow image id order (not dataset order): image id 1 holds the false positive,
    /// image id 2 the true positive, so precision is 0.5 up to recall 0.5 and AP = 51 × 0.5 / 101.
    @Test func scoreTiesAcrossImagesFollowImageIDs() {
        var builder = CocoCaseBuilder(imageIDs: [2, 1])
        builder.box(image: 0, 0, 0, 10, 10)
        builder.box(image: 1, 0, 0, 10, 10)
        builder.detection(image: 0, score: 0.5, 0, 0, 10, 10)
        builder.detection(image: 1, score: 0.5, 50, 50, 10, 10)
        let result = builder.evaluate()
        #expect(result.precision(t: 0, r: 50, k: 0, a: 0, m: 2) == 0.5)
        #expect(result.precision(t: 0, r: 51, k: 0, a: 0, m: 2) == 0)
        #expect(result.stats[0] == 0.2524752475247525)
    }

    @Test func classAgnosticPoolsCategories() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.box(category: 2, 20, 20, 10, 10)
        builder.detection(category: 2, score: 0.9, 0, 0, 10, 10)
        builder.detection(category: 1, score: 0.8, 20, 20, 10, 10)
        let byCategory = builder.evaluate()
        #expect(byCategory.stats[0] == 0 && byCategory.counts.map(\.truePositives) == [0, 0])
        let agnostic = builder.evaluate(CocoParameters(useCategories: false))
        #expect(agnostic.categoryIDs == [-1])
        // Precision 1/(1+eps) then 2/(2+eps) = 1: the envelope from the right makes the whole curve 1.
        #expect(
            agnostic.stats == [1, 1, 1, 1, -1, -1, 0.5, 1, 1, 1, -1, -1])
        #expect(agnostic.matchedGroundTruth[0] == 0 && agnostic.matchedGroundTruth[1] == 1)
        #expect(agnostic.counts.count == 1 && agnostic.counts[0].truePositives == 2)
    }

    /// Detection 0 overlaps the box with IoU 0.64 (a 8×8 square in a 10×10 one): matched up to threshold 0.6,
    /// which frees the box for the exact detection 1 from 0.65 on. Detection 2 lies in a crowd region; detection
    /// 3 has a category the dataset does not list.
    @Test func perDetectionOutcomes() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(100, 100, 50, 50, crowd: true)
        builder.detection(score: 0.9, 0, 0, 8, 8)
        builder.detection(score: 0.8, 0, 0, 10, 10)
        builder.detection(score: 0.7, 110, 110, 10, 10)
        builder.detection(category: 7, score: 0.95, 0, 0, 10, 10)
        let result = builder.evaluate()
        let n = 4
        #expect(result.isEvaluated == [true, true, true, false])
        for t in 0..<Self.thresholds {
            let low = t < 3
            #expect(result.matchedGroundTruth[t * n + 0] == (low ? 0 : -1))
            #expect(result.matchedIoU[t * n + 0] == (low ? 0.64 : 0))
            #expect(result.matchedGroundTruth[t * n + 1] == (low ? -1 : 0))
            #expect(result.matchedIoU[t * n + 1] == (low ? 0 : 1))
            #expect(result.matchedGroundTruth[t * n + 2] == 1 && result.isIgnored[t * n + 2])
            #expect(result.matchedGroundTruth[t * n + 3] == -1 && !result.isIgnored[t * n + 3])
            #expect(!result.isIgnored[t * n + 0] && !result.isIgnored[t * n + 1])
        }
        let counts = result.counts[0]
        #expect(counts.iouThreshold == 0.5 && counts.groundTruth == 1 && counts.detections == 3)
        #expect(counts.truePositives == 1 && counts.falsePositives == 1 && counts.ignoredDetections == 1)
        #expect(counts.falseNegatives == 0)
    }

    /// Two boxes; detections TP (0.9), FP (0.8), TP (0.7). Precision 1/(1+eps), 1/2, 2/3; recall 0.5, 0.5, 1.
    /// Interpolated: one up to recall 0.5 (51 points, score 0.9), then 2/3 (50 points, score 0.7).
    @Test func workedPrecisionCurve() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 10, 10)
        builder.detection(score: 0.9, 0, 0, 10, 10)
        builder.detection(score: 0.8, 30, 30, 10, 10)
        builder.detection(score: 0.7, 50, 50, 10, 10)
        let result = builder.evaluate()
        for r in 0...100 {
            #expect(result.precision(t: 0, r: r, k: 0, a: 0, m: 2) == (r <= 50 ? Self.one : 2.0 / 3.0))
            #expect(result.score(t: 0, r: r, k: 0, a: 0, m: 2) == (r <= 50 ? 0.9 : 0.7))
        }
        #expect(result.recall(t: 0, k: 0, a: 0, m: 2) == 1)
        #expect(result.recall(t: 0, k: 0, a: 0, m: 0) == 0.5)
        #expect(result.stats[0] == 0.8349834983498348 && result.stats[1] == 0.834983498349835)
        #expect(result.categoryAP(k: 0) == result.stats[0] && result.categoryAR(k: 0, m: 2) == 1)
        #expect(result.precision(t: 0, r: 0, k: 0, a: 3, m: 2) == -1, "no large ground truth")
        #expect(result.score(t: 0, r: 0, k: 0, a: 3, m: 2) == -1 && result.recall(t: 0, k: 0, a: 3, m: 2) == -1)
    }

    @Test func annotationIDZeroNeverMatches() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10, id: 0)
        builder.detection(score: 0.9, 0, 0, 10, 10)
        let result = builder.evaluate()
        #expect(result.matchedGroundTruth[0] == -1 && !result.isIgnored[0])
        #expect(result.counts[0].falsePositives == 1 && result.counts[0].falseNegatives == 1)
        #expect(result.stats[0] == 0 && result.stats[8] == 0)
    }

    @Test func emptyInputsAndUnknownImages() {
        let empty = CocoCaseBuilder(imageIDs: [], categories: []).evaluate()
        #expect(empty.stats == Array(repeating: -1, count: 12) && empty.precisionValues.isEmpty)
        var builder = CocoCaseBuilder(imageIDs: [5, 3], categories: [1, 4])
        builder.detection(image: 0, score: 0.5, 0, 0, 10, 10)
        builder.detection(image: 9, score: 0.5, 0, 0, 10, 10)
        let noGroundTruth = builder.evaluate()
        #expect(noGroundTruth.stats == Array(repeating: -1, count: 12))
        #expect(noGroundTruth.isEvaluated == [true, false])
        #expect(noGroundTruth.precisionValues.allSatisfy { $0 == -1 })
        #expect(noGroundTruth.counts.map(\.detections) == [1, 0])
    }

    /// A listed image without boxes still counts: its detection is a false positive.
    @Test func imagesWithoutBoxesCount() {
        var builder = CocoCaseBuilder(imageIDs: [1, 2])
        builder.box(image: 0, 0, 0, 10, 10)
        builder.detection(image: 0, score: 0.5, 0, 0, 10, 10)
        builder.detection(image: 1, score: 0.9, 0, 0, 10, 10)
        let result = builder.evaluate()
        #expect(result.precision(t: 0, r: 100, k: 0, a: 0, m: 2) == 0.5)
        #expect(result.counts[0].falsePositives == 1)
    }
}
