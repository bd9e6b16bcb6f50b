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

    static func context(_ c: Case, _ settings: ProtocolSettings) -> ProtocolContext {
        ProtocolContext(
            imageRowIDs: (0..<Int64(c.groundTruth.imageCount)).map { $0 + 1 },
            boxRowIDs: (0..<Int64(c.groundTruth.count)).map { $0 + 1 },
            seq: (0..<Int64(c.detections.count)).map { $0 }, settings: settings)
    }

    @Test(arguments: [EvaluationProtocol.coco, .voc07, .voc12, .visdrone], [UInt64(1), 2, 3])
    func weightsEqualRepeatedImages(protocolName: EvaluationProtocol, seed: UInt64) throws {
        let original = Self.randomCase(seed: seed, images: 14)
        let categories = [1, 2, 3].map { CategoryRecord(id: Int64($0), name: "c\($0)") }
        let settings = try ProtocolSettings(
            request: EvaluationRequest(evaluationProtocol: protocolName), categories: categories)
        let plan = BootstrapPlan(settings: settings, groundTruth: original.groundTruth)
        let record = ProtocolRunner.run(
            original.groundTruth, original.detections, context: Self.context(original, settings))
        let ranked = plan.ranked(original.detections, groundTruth: original.groundTruth, matches: record.matches)
        var random = SplitMix64(seed: seed * 1000)
        for _ in 0..<4 {
            var weights = [Int32](repeating: 0, count: original.groundTruth.imageCount)
            for _ in weights.indices { weights[Int(random.next(below: UInt64(weights.count)))] += 1 }
            let weighted = plan.bootstrap.values(ranked, weights: weights)
            let copy = Self.repeated(original, weights: weights)
            let copyRecord = ProtocolRunner.run(
                copy.groundTruth, copy.detections, context: Self.context(copy, settings))
            // The repeated dataset evaluated from scratch is what the weights must reproduce.
            let copyPlan = BootstrapPlan(settings: settings, groundTruth: copy.groundTruth)
            try copyPlan.verify(weighted, against: copyRecord, run: "repeated")
        }
    }

    @Test func identicalRunsGiveZeroIntervalsAndSeedsRepeat() throws {
        let c = Self.randomCase(seed: 9, images: 20)
        let categories = [1, 2, 3].map { CategoryRecord(id: Int64($0), name: "c\($0)") }
        let settings = try ProtocolSettings(
            request: EvaluationRequest(evaluationProtocol: .coco), categories: categories)
        let plan = BootstrapPlan(settings: settings, groundTruth: c.groundTruth)
        let record = ProtocolRunner.run(c.groundTruth, c.detections, context: Self.context(c, settings))
        let ranked = plan.ranked(c.detections, groundTruth: c.groundTruth, matches: record.matches)
        let changes = plan.bootstrap.changes(ranked, ranked, replicates: 50, seed: 4)
        #expect(changes.count == 50)
        #expect(changes.allSatisfy { row in row.allSatisfy { $0 == 0 || $0.isNaN } })
        #expect(changes.contains { row in row.contains { $0 == 0 } })
        let again = plan.bootstrap.changes(ranked, ranked, replicates: 50, seed: 4)
        #expect(again.map { $0.map(\.bitPattern) } == changes.map { $0.map(\.bitPattern) })
    }

    @Test func percentilesInterpolateLikeNumpy() throws {
        // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925]
        let interval = try #require(percentileInterval([4, 1, 3, 2, .nan]))
        #expect(abs(interval.low - 1.075) < 1e-12 && abs(interval.high - 3.925) < 1e-12)
    }
}
