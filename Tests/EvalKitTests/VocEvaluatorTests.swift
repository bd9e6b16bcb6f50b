import EvalKit
import Testing

@Suite struct VocEvaluatorTests {
    static let sample2 = (try? VocVisDroneFixtures.vocExpectations("padilla-odm-sample2")) ?? []
    static let toyExample = (try? VocVisDroneFixtures.vocExpectations("padilla-review-toyexample")) ?? []

    /// Checks every class AP, npos, TP and the mAP of `expectation` on `fixture`.
    func check(_ fixture: VocVisDroneFixtures.VocCase, _ expectation: VocVisDroneFixtures.VocExpectation) throws {
        let result = VocEvaluator.evaluate(
            fixture.gt, fixture.dt,
            parameters: VocParameters(metric: expectation.metric, iouThreshold: expectation.iouThreshold))
        let mAP = try #require(result.mAP)
        #expect(abs(mAP - expectation.mAP) < 1e-9, "\(expectation): mAP \(mAP) != \(expectation.mAP)")
        #expect(result.classes.count == fixture.gt.categoryIDs.count)
        for entry in result.classes {
            let name = try #require(fixture.classNames[entry.categoryID])
            let expected = try #require(expectation.classes[name], "\(expectation): no expected class \(name)")
            let ap = try #require(entry.ap)
            #expect(abs(ap - expected.ap) < 1e-9, "\(expectation) \(name): AP \(ap) != \(expected.ap)")
            #expect(entry.positives == expected.positives && entry.truePositives == expected.truePositives)
            #expect(entry.detections == entry.truePositives + entry.falsePositives)  // no difficult GT here
        }
        #expect(result.outcome.filter { $0 == 1 }.count == result.classes.reduce(0) { $0 + $1.truePositives })
    }

    @Test func expectationsAreLoaded() {
        #expect(Self.sample2.count == 8)  // IoU 0.1, 0.3, 0.5, 0.75 x two metrics
        #expect(Self.toyExample.count == 4)  // IoU 0.5, 0.75 x two metrics
    }

    @Test(arguments: sample2)
    func padillaSample2MatchesPyFasterRCNN(_ expectation: VocVisDroneFixtures.VocExpectation) throws {
        try check(try VocVisDroneFixtures.padillaSample2(), expectation)
    }

    @Test(arguments: toyExample, VocVisDroneFixtures.ToyDetectionFormat.allCases)
    func toyExampleMatchesPyFasterRCNN(
        _ expectation: VocVisDroneFixtures.VocExpectation, format: VocVisDroneFixtures.ToyDetectionFormat
    ) throws {
        try check(try VocVisDroneFixtures.padillaToyExample(format), expectation)
    }

    // MARK: Hand-worked cases. Boxes are stored as the VOC reader stores them: x = xmin, width = xmax - xmin.

    /// One image, one class; `boxes` are (xmin, ymin, xmax, ymax, difficult).
    static func groundTruth(_ boxes: [(Double, Double, Double, Double, Bool)], images: Int = 1) -> EvalGroundTruth {
        var gt = EvalGroundTruth(
            imageIDs: (1...images).map(Int64.init), imageWidths: Array(repeating: 500, count: images),
            imageHeights: Array(repeating: 500, count: images), categoryIDs: [1])
        for (index, box) in boxes.enumerated() {
            gt.appendBox(
                image: Int32(index % images), category: 1, x: box.0, y: box.1, width: box.2 - box.0,
                height: box.3 - box.1, area: 0, isDifficult: box.4)
        }
        return gt
    }

    /// `boxes` are (image, score, xmin, ymin, xmax, ymax), class 1.
    static func detections(_ boxes: [(Int32, Double, Double, Double, Double, Double)]) -> EvalDetections {
        var dt = EvalDetections()
        for box in boxes {
            dt.append(
                image: box.0, category: 1, score: box.1, x: box.2, y: box.3, width: box.4 - box.2, height: box.5 - box.3
            )
        }
        return dt
    }

    @Test(arguments: [VocMetric.elevenPoint, .allPoint])
    func difficultMatchIsNeitherTruePositiveNorFalsePositive(_ metric: VocMetric) {
        // A (0,0)-(9,9) normal, B (20,0)-(29,9) difficult; the best detection sits exactly on B.
        let gt = Self.groundTruth([(0, 0, 9, 9, false), (20, 0, 29, 9, true)])
        let dt = Self.detections([(0, 0.9, 20, 0, 29, 9), (0, 0.8, 0, 0, 9, 9)])
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: metric))
        #expect(result.outcome == [-1, 1])
        #expect(result.matchedGroundTruth == [1, 0])
        #expect(result.classes[0].positives == 1)
        #expect(result.classes[0].truePositives == 1 && result.classes[0].falsePositives == 0)
        // Counted as a FP the first detection would halve the precision at full recall: AP 0.5. (The 11-point
        // sum of eleven 1/11 terms is 1.0000000000000002, as in the references.)
        #expect(abs((result.classes[0].ap ?? 0) - 1) < 1e-15)
        #expect(result.mAP == result.classes[0].ap)
    }

    @Test func secondDetectionOnMatchedGroundTruthIsFalsePositiveWithoutFallback() {
        // A (0,0)-(9,9) and B (2,0)-(11,9) overlap: a copy of A has IoU 1 with A and 80/120 with B.
        let gt = Self.groundTruth([(0, 0, 9, 9, false), (2, 0, 11, 9, false)])
        let dt = Self.detections([(0, 0.9, 0, 0, 9, 9), (0, 0.8, 0, 0, 9, 9)])
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint))
        #expect(result.outcome == [1, 0])
        #expect(result.matchedGroundTruth == [0, 0])
        #expect(result.iou == [1, 1])
        // recall [0.5, 0.5], precision [1, 0.5]; a fallback to B would give 1.
        #expect(result.classes[0].ap == 0.5)
    }

    @Test func iouOfExactlyOneHalfWithInclusivePixelsMatches() {
        // GT (0,0)-(9,9) is 10x10 pixels; the detection (0,0)-(19,9) 20x10: 100 / 200 with +1 (81/171 without).
        let gt = Self.groundTruth([(0, 0, 9, 9, false)])
        let dt = Self.detections([(0, 0.9, 0, 0, 19, 9)])
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint, iouThreshold: 0.5))
        #expect(result.iou == [0.5])
        #expect(result.outcome == [1])
        #expect(result.classes[0].ap == 1)
        let stricter = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint, iouThreshold: 0.51))
        #expect(stricter.outcome == [0] && stricter.classes[0].ap == 0)
    }

    @Test func recallOfExactlySixTenthsMissesTheLevelSixTenths() throws {
        // Five GTs in five images, three found: recall 0.2, 0.4, 0.6 at precision 1. The 11-point levels are
        // i * 0.1 and 6 * 0.1 = 0.6000000000000001 > 0.6, so only the levels 0...0.5 count: 6/11 (7/11 with i/10).
        let gt = Self.groundTruth(Array(repeating: (10, 10, 29, 29, false), count: 5), images: 5)
        let dt = Self.detections((0..<3).map { (Int32($0), 0.9 - Double($0) * 0.1, 10, 10, 29, 29) })
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .elevenPoint))
        let ap = try #require(result.classes[0].ap)
        #expect(abs(ap - 6.0 / 11.0) < 1e-15)
        let allPoint = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint))
        #expect(abs((allPoint.classes[0].ap ?? 0) - 0.6) < 1e-15)
    }

    @Test func classesWithoutNonDifficultGroundTruthAreLeftOutOfTheMean() {
        var gt = EvalGroundTruth(imageIDs: [1], imageWidths: [100], imageHeights: [100], categoryIDs: [1, 2, 3])
        gt.appendBox(image: 0, category: 1, x: 0, y: 0, width: 9, height: 9, area: 0)
        gt.appendBox(image: 0, category: 2, x: 50, y: 50, width: 9, height: 9, area: 0, isDifficult: true)
        var dt = EvalDetections()
        dt.append(image: 0, category: 1, score: 0.5, x: 0, y: 0, width: 9, height: 9)
        dt.append(image: 0, category: 2, score: 0.5, x: 50, y: 50, width: 9, height: 9)
        dt.append(image: 0, category: 7, score: 0.5, x: 0, y: 0, width: 9, height: 9)
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint))
        #expect(result.classes.map(\.categoryID) == [1, 2, 3])
        #expect(result.classes.map(\.ap) == [1, nil, nil])
        #expect(result.mAP == 1)
        #expect(result.outcome == [1, -1, -1])
        #expect(result.classes[2].detections == 0)
    }

    @Test func tiesKeepInputOrder() {
        // Two detections of equal score on one GT: the first in input order takes it.
        let gt = Self.groundTruth([(0, 0, 9, 9, false)])
        let dt = Self.detections([(0, 0.5, 0, 0, 9, 9), (0, 0.5, 0, 0, 9, 9), (0, 0.9, 100, 100, 109, 109)])
        let result = VocEvaluator.evaluate(gt, dt, parameters: VocParameters(metric: .allPoint))
        #expect(result.outcome == [1, 0, 0])
        // Ranked: FP, TP, FP -> the envelope gives precision 1/2 over recall 0...1.
        #expect(result.classes[0].ap == 0.5)
    }
}
