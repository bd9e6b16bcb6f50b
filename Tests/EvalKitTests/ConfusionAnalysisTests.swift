import EvalKit
import Testing

/// Hand-worked cases of Ultralytics' `ConfusionMatrix.process_batch` (ultralytics/utils/metrics.py): candidates
/// are pairs with IoU > threshold regardless of class; each detection keeps its best, then each ground-truth box
/// its best remaining; rows here are ground truth (Ultralytics' columns).
@Suite struct ConfusionAnalysisTests {
    /// Two classes (1, 2) on `images` images of 100 x 100.
    static func truth(images: Int = 1) -> EvalGroundTruth {
        EvalGroundTruth(
            imageIDs: (1...images).map(Int64.init), imageWidths: Array(repeating: 100, count: images),
            imageHeights: Array(repeating: 100, count: images), categoryIDs: [1, 2])
    }

    static func add(_ gt: inout EvalGroundTruth, image: Int32 = 0, _ category: Int64, _ x: Double, crowd: Bool = false)
    {
        gt.appendBox(image: image, category: category, x: x, y: 0, width: 10, height: 10, area: 100, isCrowd: crowd)
    }

    static func add(_ dets: inout EvalDetections, image: Int32 = 0, _ category: Int64, _ x: Double, score: Double) {
        dets.append(image: image, category: category, score: score, x: x, y: 0, width: 10, height: 10)
    }

    @Test func correctConfusedMissedAndBackground() {
        var gt = Self.truth()
        Self.add(&gt, 1, 0)  // matched by a class-1 detection
        Self.add(&gt, 1, 20)  // matched by a class-2 detection: confusion
        Self.add(&gt, 2, 40)  // nothing near: missed
        var dets = EvalDetections()
        Self.add(&dets, 1, 0, score: 0.9)
        Self.add(&dets, 2, 21, score: 0.8)  // IoU 90/110 = 0.818 with the box at 20
        Self.add(&dets, 2, 70, score: 0.7)  // nothing near: background
        Self.add(&dets, 1, 40, score: 0.2)  // below the score threshold: not counted
        let m = ConfusionAnalysis.compute(gt, dets)
        #expect(m.categoryIDs == [1, 2])
        // rows: gt 1, gt 2, background; columns: predicted 1, 2, background
        #expect(m.counts == [[1, 1, 0], [0, 0, 1], [0, 1, 0]])
    }

    @Test func eachDetectionKeepsItsBestThenEachTruthItsBest() {
        var gt = Self.truth()
        Self.add(&gt, 1, 0)
        Self.add(&gt, 1, 4)  // IoU with a detection at 2: 80/120 = 0.667 for both boxes
        var dets = EvalDetections()
        Self.add(&dets, 1, 1, score: 0.9)  // IoU 90/110 = 0.818 with box 0, 70/130 = 0.538 with box 4
        Self.add(&dets, 1, 0, score: 0.5)  // IoU 1 with box 0, 60/140 = 0.43 with box 4
        // Detection 0's best is box 0 (0.818), detection 1's best is box 0 (1.0): box 0 keeps detection 1; box 4
        // has no candidate left (detection 0 chose box 0), so it is missed and detection 0 is background, although
        // it overlaps box 4 above the threshold (Ultralytics' rule, not a bipartite matching).
        let m = ConfusionAnalysis.compute(gt, dets)
        #expect(m.counts == [[1, 0, 1], [0, 0, 0], [1, 0, 0]])
    }

    @Test func comparisonsAreStrictAndIgnoredTruthIsLeftOut() {
        var gt = Self.truth()
        gt.appendBox(image: 0, category: 1, x: 0, y: 0, width: 30, height: 10, area: 300)
        Self.add(&gt, 2, 50, crowd: true)
        var dets = EvalDetections()
        // IoU exactly 0.5 is not a candidate: x 0..30 against 10..40: 200 / (300 + 300 - 200) = 0.5.
        dets.append(image: 0, category: 1, score: 0.9, x: 10, y: 0, width: 30, height: 10)
        Self.add(&dets, 2, 50, score: 0.25)  // score not above 0.25: left out
        Self.add(&dets, 2, 50, score: 0.3)  // on the crowd box: background, the crowd box is not ground truth here
        let m = ConfusionAnalysis.compute(gt, dets, iouThreshold: 0.5, scoreThreshold: 0.25)
        #expect(m.counts == [[0, 0, 1], [0, 0, 0], [1, 1, 0]])
    }

    @Test func imagesWithoutTruthOrWithoutDetections() {
        var gt = Self.truth(images: 2)
        Self.add(&gt, image: 1, 2, 0)
        var dets = EvalDetections()
        Self.add(&dets, image: 0, 1, 0, score: 0.9)
        let m = ConfusionAnalysis.compute(gt, dets)
        #expect(m.counts == [[0, 0, 0], [0, 0, 1], [1, 0, 0]])
    }

    /// On random data the matrix accounts for every box once: each kept ground-truth box in exactly one cell of
    /// its row (a class or background), each kept detection in exactly one cell of its column.
    @Test(arguments: 0..<20) func everyBoxCountsOnce(seed: Int) {
        var random = AnalysisTestRandom(seed: UInt64(seed))
        var gt = Self.truth(images: 5)
        var dets = EvalDetections()
        var truthPerClass = [0, 0]
        var detectionsPerClass = [0, 0]
        for image in 0..<5 {
            for _ in 0..<random.int(8) {
                let category = Int64(1 + random.int(2))
                let crowd = random.int(10) == 0
                gt.appendBox(
                    image: Int32(image), category: category, x: random.double(80), y: random.double(80), width: 15,
                    height: 15, area: 225, isCrowd: crowd)
                if !crowd { truthPerClass[Int(category - 1)] += 1 }
            }
            for _ in 0..<random.int(10) {
                let category = Int64(1 + random.int(2))
                let score = random.double(1)
                dets.append(
                    image: Int32(image), category: category, score: score, x: random.double(80), y: random.double(80),
                    width: 15, height: 15)
                if score > 0.25 { detectionsPerClass[Int(category - 1)] += 1 }
            }
        }
        let m = ConfusionAnalysis.compute(gt, dets)
        for c in 0..<2 {
            #expect(m.counts[c].reduce(0, +) == truthPerClass[c])
            // Column c: detections of class c matched (rows 0, 1) or background (row 2); matched ones are unique.
            #expect((0...2).map { m.counts[$0][c] }.reduce(0, +) == detectionsPerClass[c])
        }
        #expect(m.counts[2][2] == 0)
    }
}

/// A small deterministic generator for tests.
struct AnalysisTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func double(_ scale: Double) -> Double { Double(next() >> 11) / Double(1 << 53) * scale }
}
