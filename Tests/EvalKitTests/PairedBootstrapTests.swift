import EvalKit
import Testing

/// The paired bootstrap on cases whose bootstrap distribution is known exactly.
@Suite struct PairedBootstrapTests {
    /// `images` images of 100x100 with one box of category 1 each; run A finds every box exactly (scores
    /// distinct), run B is run A without its detection in image 0.
    static func oneLostDetection(images: Int) -> (EvalGroundTruth, EvalDetections, EvalDetections) {
        var gt = EvalGroundTruth(
            imageIDs: (1...Int64(images)).map { $0 }, imageWidths: Array(repeating: 100, count: images),
            imageHeights: Array(repeating: 100, count: images), categoryIDs: [1])
        var a = EvalDetections()
        var b = EvalDetections()
        for image in 0..<Int32(images) {
            gt.appendBox(
                image: image, category: 1, x: 10, y: 10, width: 40, height: 40, area: 1600, isCrowd: false,
                isIgnored: false, isDifficult: false, annotationID: Int64(image) + 1)
            let score = 0.9 - 0.01 * Double(image)
            a.append(image: image, category: 1, score: score, x: 10, y: 10, width: 40, height: 40)
            if image > 0 { b.append(image: image, category: 1, score: score, x: 10, y: 10, width: 40, height: 40) }
        }
        return (gt, a, b)
    }

    static func cocoRuns(_ gt: EvalGroundTruth, _ a: EvalDetections, _ b: EvalDetections) -> (
        PairedBootstrap, ResampledRun, ResampledRun
    ) {
        let parameters = CocoParameters()
        let design = CocoBootstrap.design(gt, parameters: parameters)
        let resultA = CocoEvaluator.evaluate(gt, a, parameters: parameters, recordsAreaOutcomes: true)
        let resultB = CocoEvaluator.evaluate(gt, b, parameters: parameters, recordsAreaOutcomes: true)
        return (
            PairedBootstrap(design: design), CocoBootstrap.run(resultA, a, groundTruth: gt, design: design),
            CocoBootstrap.run(resultB, b, groundTruth: gt, design: design)
        )
    }

    /// Column of the per-class metric with key `key` (AP, TP, FN, ...) of class 0.
    static func classColumn(_ design: BootstrapDesign, _ key: String) throws -> Int {
        design.summary.count + (try #require(design.classMetrics.firstIndex { $0.metric.classKey == key }))
    }

    /// B loses one true positive: in every replicate the TP change is minus the weight of image 0, whose
    /// distribution is Binomial(n, 1/n). For n = 10, P(w <= 2) = 0.930 and P(w <= 3) = 0.987, so the 2.5th
    /// percentile of -w is -3 and the 97.5th is 0: with 1000 replicates the interval is [-3, 0] unless 25 or more
    /// of them draw image 0 four times or more (expected 12.8; probability below 0.001 per seed).
    @Test(arguments: [UInt64(0), 1, 2, 3, 4, 5, 6, 7, 8, 9])
    func oneLostTruePositiveGivesMinusTheWeightOfItsImage(seed: UInt64) throws {
        let (gt, a, b) = Self.oneLostDetection(images: 10)
        let (bootstrap, runA, runB) = Self.cocoRuns(gt, a, b)
        let changes = bootstrap.changes(runA, runB, replicates: 1000, seed: seed)
        let tp = try Self.classColumn(bootstrap.design, "TP")
        let fn = try Self.classColumn(bootstrap.design, "FN")
        for r in 0..<1000 {
            let weight = Double(ReplicateWeights.weights(seed: seed, replicate: r, imageCount: 10)[0])
            #expect(changes.row(r)[tp] == -weight)
            #expect(changes.row(r)[fn] == weight)
        }
        let interval = try #require(percentileInterval(changes.column(tp)))
        #expect(interval.low == -3 && interval.high == 0, "seed \(seed): [\(interval.low), \(interval.high)]")
    }

    @Test func changesDoNotDependOnTheNumberOfWorkers() throws {
        let (gt, a, _) = Self.oneLostDetection(images: 30)
        var b = EvalDetections()
        for i in 0..<a.count where i % 4 != 0 {
            b.append(image: a.image[i], category: 1, score: a.score[i], x: 10, y: 10, width: 40, height: 40)
            b.append(image: a.image[i], category: 1, score: 0.95 - a.score[i], x: 60, y: 60, width: 30, height: 30)
        }
        let (bootstrap, runA, runB) = Self.cocoRuns(gt, a, b)
        let one = bootstrap.changes(runA, runB, replicates: 40, seed: 3, workers: 1)
        for workers in [2, 3, 64] {
            let many = bootstrap.changes(runA, runB, replicates: 40, seed: 3, workers: workers)
            for r in 0..<40 { #expect(one.row(r).map(\.bitPattern) == many.row(r).map(\.bitPattern)) }
        }
        #expect((0..<40).contains { r in one.row(r).contains { $0 != 0 && !$0.isNaN } })
    }

    @Test func percentileIntervalsFollowTheLevel() throws {
        let values = (0...100).map(Double.init)
        let wide = try #require(percentileInterval(values, level: 0.95))
        #expect(wide.low == 2.5 && wide.high == 97.5)
        let narrow = try #require(percentileInterval(values, level: 0.9))
        #expect(narrow.low == 5 && narrow.high == 95)
        #expect(percentileInterval([.nan, .nan]) == nil)
    }
}
