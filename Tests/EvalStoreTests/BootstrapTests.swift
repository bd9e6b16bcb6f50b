import EvalFormats
import EvalKit
import Testing

@testable import EvalStore

/// The paired bootstrap's weighting trick: evaluating with image weights must give the numbers of the
/// evaluation of the dataset in which every image is physically repeated that many times.
@Suite struct BootstrapTests {
    struct Case {
        var groundTruth: EvalGroundTruth
        var detections: EvalDetections
    }

    /// A random dataset: `images` images of 1000x800, classes 1...3, GT boxes and detections near them
    /// (jittered, some duplicates, some background), scores distinct.
    static func randomCase(seed: UInt64, images: Int) -> Case {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        var gt = EvalGroundTruth(
            imageIDs: (0..<images).map { Int64($0 * 7 + 3) }, imageWidths: Array(repeating: 1000, count: images),
            imageHeights: Array(repeating: 800, count: images), categoryIDs: [1, 2, 3])
        var dt = EvalDetections()
        var score = 1.0
        for image in 0..<Int32(images) {
            let boxes = Int(random.next(below: 6))
            for _ in 0..<boxes {
                let category = Int64(random.next(below: 3)) + 1
                let (x, y) = (uniform() * 800, uniform() * 600)
                let (w, h) = (10 + uniform() * 150, 10 + uniform() * 150)
                gt.appendBox(
                    image: image, category: category, x: x, y: y, width: w, height: h, area: w * h,
                    isCrowd: random.next(below: 12) == 0, isIgnored: false, isDifficult: random.next(below: 10) == 0,
                    annotationID: Int64(gt.count + 1))
                for _ in 0..<Int(random.next(below: 3)) {
                    score -= uniform() * 0.001 + 1e-6
                    let jitter = { (size: Double) in (uniform() - 0.5) * size * 0.6 }
                    dt.append(
                        image: image,
                        category: random.next(below: 6) == 0 ? Int64(random.next(below: 3)) + 1 : category,
                        score: score, x: x + jitter(w), y: y + jitter(h), width: w + jitter(w), height: h + jitter(h))
                }
            }
            for _ in 0..<Int(random.next(below: 3)) {
                score -= uniform() * 0.001 + 1e-6
                dt.append(
                    image: image, category: Int64(random.next(below: 3)) + 1, score: score, x: uniform() * 900,
                    y: uniform() * 700, width: 5 + uniform() * 90, height: 5 + uniform() * 90)
            }
        }
        // Scores in a shuffled order relative to images, so that ranking pools images.
        for i in 0..<dt.count {
            dt.score[i] = Double((i * 7919) % (dt.count + 13)) / Double(dt.count + 13) + 1e-9 * Double(i)
        }
        return Case(groundTruth: gt, detections: dt)
    }

    /// The dataset with image i repeated `weights[i]` times (copies next to each other, new ids in order).
    static func repeated(_ c: Case, weights: [Int32]) -> Case {
        let source = c.groundTruth
        var ids: [Int64] = []
        var copiesOf: [[Int32]] = Array(repeating: [], count: source.imageCount)
        for image in 0..<source.imageCount {
            for _ in 0..<Int(weights[image]) {
                copiesOf[image].append(Int32(ids.count))
                ids.append(Int64(ids.count + 1))
            }
        }
        var gt = EvalGroundTruth(
            imageIDs: ids, imageWidths: Array(repeating: 1000, count: ids.count),
            imageHeights: Array(repeating: 800, count: ids.count), categoryIDs: source.categoryIDs)
        for image in 0..<source.imageCount {
            for copy in copiesOf[image] {
                for box in 0..<source.count where Int(source.image[box]) == image {
                    gt.appendBox(
                        image: copy, category: source.category[box], x: source.x[box], y: source.y[box],
                        width: source.width[box], height: source.height[box], area: source.area[box],
                        isCrowd: source.isCrowd[box], isIgnored: source.isIgnored[box],
                        isDifficult: source.isDifficult[box], annotationID: Int64(gt.count + 1))
                }
            }
        }
        var dt = EvalDetections()
        let d = c.detections
        for image in 0..<source.imageCount {
            for copy in copiesOf[image] {
                for i in 0..<d.count where Int(d.image[i]) == image {
                    dt.append(
                        image: copy, category: d.category[i], score: d.score[i], x: d.x[i], y: d.y[i],
                        width: d.width[i], height: d.height[i])
                }
            }
        }
        return Case(groundTruth: gt, detections: dt)
    }

    /// Requests that exercise every part of the design: the defaults of each protocol, and COCO / VisDrone with
    /// other thresholds, max-detections values (AP at a smaller value than the last), area ranges, class-agnostic.
    static let requests: [EvaluationRequest] = [
        EvaluationRequest(evaluationProtocol: .coco),
        EvaluationRequest(evaluationProtocol: .voc07),
        EvaluationRequest(evaluationProtocol: .voc12),
        EvaluationRequest(evaluationProtocol: .visdrone),
        EvaluationRequest(
            evaluationProtocol: .coco, iouThresholds: [0.5, 0.75, 0.6], maxDetections: [1, 3, 100, 4]),
        EvaluationRequest(
            evaluationProtocol: .coco, maxDetections: [2, 5, 8],
            areaRanges: [
                AreaRange(name: "all", lower: 0, upper: 1e10), AreaRange(name: "small", lower: 0, upper: 3000),
                AreaRange(name: "large", lower: 3000, upper: 1e10),
            ]),
        EvaluationRequest(evaluationProtocol: .coco, isClassAgnostic: true),
        EvaluationRequest(evaluationProtocol: .visdrone, iouThresholds: [0.5, 0.7], maxDetections: [3, 1]),
    ]

    @Test(arguments: requests.indices, [UInt64(1), 2, 3])
    func weightsEqualRepeatedImages(requestIndex: Int, seed: UInt64) throws {
        let original = Self.randomCase(seed: seed, images: 14)
        let categories = [1, 2, 3].map { CategoryRecord(id: Int64($0), name: "c\($0)") }
        let parameters = try EvaluationParameters(request: Self.requests[requestIndex], categories: categories)
            .protocolParameters
        let design = Evaluation.bootstrapDesign(original.groundTruth, parameters: parameters)
        let (_, run) = Evaluation.evaluateResampled(
            original.groundTruth, original.detections, parameters: parameters, design: design)
        let bootstrap = PairedBootstrap(design: design)
        var random = SplitMix64(seed: seed * 1000)
        for _ in 0..<4 {
            var weights = [Int32](repeating: 0, count: original.groundTruth.imageCount)
            for _ in weights.indices { weights[Int(random.next(below: UInt64(weights.count)))] += 1 }
            let weighted = bootstrap.values(run, weights: weights)
            let copy = Self.repeated(original, weights: weights)
            let copyRecord = Evaluation.evaluate(copy.groundTruth, copy.detections, parameters: parameters)
            // The repeated dataset evaluated from scratch is what the weights must reproduce: every summary metric
            // (APs, AR1, ... included) and every per-class value the design has.
            let compared = try BootstrapCheck.verify(weighted, design: design, against: copyRecord, run: "repeated")
            #expect(compared == design.width)
            #expect(compared >= design.summary.count + 3 * 4)
        }
    }

    @Test func identicalRunsGiveZeroIntervalsAndSeedsRepeat() throws {
        let c = Self.randomCase(seed: 9, images: 20)
        let categories = [1, 2, 3].map { CategoryRecord(id: Int64($0), name: "c\($0)") }
        let parameters = try EvaluationParameters(
            request: EvaluationRequest(evaluationProtocol: .coco), categories: categories
        ).protocolParameters
        let design = Evaluation.bootstrapDesign(c.groundTruth, parameters: parameters)
        let (_, run) = Evaluation.evaluateResampled(c.groundTruth, c.detections, parameters: parameters, design: design)
        let bootstrap = PairedBootstrap(design: design)
        let changes = bootstrap.changes(run, run, replicates: 50, seed: 4)
        let rows = (0..<50).map(changes.row)
        #expect(rows.count == 50)
        #expect(rows.allSatisfy { row in row.allSatisfy { $0 == 0 || $0.isNaN } })
        #expect(rows.contains { row in row.contains { $0 == 0 } })
        let again = bootstrap.changes(run, run, replicates: 50, seed: 4)
        #expect((0..<50).map { again.row($0).map(\.bitPattern) } == rows.map { $0.map(\.bitPattern) })
    }

    @Test func percentilesInterpolateLikeNumpy() throws {
        // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925]
        let interval = try #require(percentileInterval([4, 1, 3, 2, .nan]))
        #expect(abs(interval.low - 1.075) < 1e-12 && abs(interval.high - 3.925) < 1e-12)
    }
}
