import EvalKit
import Testing

@Suite struct VisDroneEvaluatorTests {
    @Test(arguments: ["A", "B"])
    func syntheticRunsMatchTheOfficialToolkit(_ run: String) throws {
        let (gt, dt) = try VocVisDroneFixtures.visDrone(run: run)
        let expected = try VocVisDroneFixtures.visDroneExpected(run: run)
        try #require(expected.count == 7)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        let actual: [(String, Double)] = [
            ("AP", result.ap), ("AP50", result.ap50), ("AP75", result.ap75), ("AR1", result.ar1),
            ("AR10", result.ar10), ("AR100", result.ar100), ("AR500", result.ar500),
        ]
        for (name, value) in actual {
            let percent = try #require(expected[name])
            #expect(abs(value - percent / 100) < 1e-9, "run \(run) \(name): \(value) != \(percent / 100)")
        }
        #expect(result.classes.map(\.categoryID) == Array(1...10))
        #expect(result.outcome.count == 10 * dt.count)
    }

    // MARK: Hand-worked cases

    /// A ground truth of `images` images of 100x100 pixels.
    static func groundTruth(images: Int = 1) -> EvalGroundTruth {
        EvalGroundTruth(
            imageIDs: (1...images).map(Int64.init), imageWidths: Array(repeating: 100, count: images),
            imageHeights: Array(repeating: 100, count: images), categoryIDs: Array(1...11))
    }

    @Test func regionCoveringExactlyHalfDropsTheDetection() {
        // The region covers columns 49...100 of every row. A 10x10 box at column x is counted over columns
        // x+1...x+10 (the toolkit's integral-image corners), so x = 43 is 5/10 inside (dropped), x = 42 is 4/10
        // (kept), and x = 42.5 rounds half away from zero to 43 (dropped; round-half-even would keep it).
        var gt = Self.groundTruth()
        gt.appendRegion(image: 0, x: 49, y: 1, width: 60, height: 99)
        gt.appendBox(image: 0, category: 1, x: 42, y: 10, width: 10, height: 10, area: 100)
        gt.appendBox(image: 0, category: 1, x: 43, y: 40, width: 10, height: 10, area: 100)  // dropped
        var dt = EvalDetections()
        dt.append(image: 0, category: 1, score: 0.9, x: 43, y: 10, width: 10, height: 10)
        dt.append(image: 0, category: 1, score: 0.8, x: 42.5, y: 10, width: 10, height: 10)
        dt.append(image: 0, category: 1, score: 0.7, x: 42, y: 10, width: 10, height: 10)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        let pedestrian = result.classes[0]
        #expect(pedestrian.groundTruthCount == 1)
        #expect(pedestrian.ap == Array(repeating: 1, count: 10))
        #expect(Array(result.outcome[0..<3]) == [-1, -1, 1])
        #expect(result.ap == 1 && result.ar500 == 1)
    }

    @Test func budgetsTakeTheFirstRowsInFileOrder() {
        // Row 0 is a low-score van far away (no van GT: weight 0), row 1 the perfect pedestrian. With one row
        // per image only the van counts, though the pedestrian has the higher score.
        var gt = Self.groundTruth()
        gt.appendBox(image: 0, category: 1, x: 10, y: 10, width: 20, height: 20, area: 400)
        var dt = EvalDetections()
        dt.append(image: 0, category: 5, score: 0.1, x: 60, y: 60, width: 20, height: 20)
        dt.append(image: 0, category: 1, score: 0.99, x: 10, y: 10, width: 20, height: 20)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        #expect(result.classes[0].ar.allSatisfy { $0 == [0, 1, 1, 1] })
        #expect(result.ar1 == 0 && result.ar10 == 1 && result.ap == 1)
        let oneRow = VisDroneEvaluator.evaluate(gt, dt, parameters: VisDroneParameters(maxDetections: [1]))
        #expect(oneRow.ap == 0)
        #expect(oneRow.outcome[0..<2] == [0, -1])  // the van is a false positive; the pedestrian is beyond the budget
    }

    @Test func ignoreGroundTruthAbsorbsDetectionsAndCountsInRecall() {
        // An ignore GT (score 0) over (0,0)-(50,50) takes both detections inside it (intersection over detection
        // area = 1), and still counts in the recall denominator: 1 TP of 2 GTs.
        var gt = Self.groundTruth()
        gt.appendBox(image: 0, category: 1, x: 0, y: 0, width: 50, height: 50, area: 2500, isIgnored: true)
        gt.appendBox(image: 0, category: 1, x: 60, y: 60, width: 10, height: 10, area: 100)
        var dt = EvalDetections()
        dt.append(image: 0, category: 1, score: 0.9, x: 5, y: 5, width: 10, height: 10)
        dt.append(image: 0, category: 1, score: 0.8, x: 20, y: 20, width: 10, height: 10)
        dt.append(image: 0, category: 1, score: 0.7, x: 60, y: 60, width: 10, height: 10)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        #expect(Array(result.outcome[0..<3]) == [-1, -1, 1])
        #expect(result.classes[0].groundTruthCount == 2)
        #expect(result.ar500 == 0.5)
        // Ranked: ignored, ignored (precision 0/max(1, 0) = 0 at recall 0), then TP at recall 0.5.
        #expect(result.ap == 0.5)
    }

    @Test func classesAreWeightedByTheImagesHoldingThem() {
        // Pedestrians in both images, found (AP 1); a car in image 0 only, missed (AP 0); a category 11 box and
        // detection, never scored. Weighted list [1, 1, 4]: AP 2/3 (an unweighted mean would give 1/2).
        var gt = Self.groundTruth(images: 2)
        gt.appendBox(image: 0, category: 1, x: 10, y: 10, width: 20, height: 20, area: 400)
        gt.appendBox(image: 1, category: 1, x: 10, y: 10, width: 20, height: 20, area: 400)
        gt.appendBox(image: 0, category: 4, x: 50, y: 50, width: 20, height: 20, area: 400)
        gt.appendBox(image: 1, category: 11, x: 50, y: 50, width: 20, height: 20, area: 400)
        var dt = EvalDetections()
        dt.append(image: 0, category: 1, score: 0.9, x: 10, y: 10, width: 20, height: 20)
        dt.append(image: 1, category: 1, score: 0.9, x: 10, y: 10, width: 20, height: 20)
        dt.append(image: 1, category: 11, score: 0.9, x: 50, y: 50, width: 20, height: 20)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        #expect(result.classes.map(\.weight) == [2, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(abs(result.ap - 2.0 / 3.0) < 1e-15)
        #expect(abs(result.ar100 - 2.0 / 3.0) < 1e-15)
        #expect(result.outcome[2] == -1)
    }

    @Test func overlapOfExactlyPointEightyFiveMatchesAtThatThreshold() {
        // 170 / 200 is the Double nearest 0.85, the default threshold (Octave's 0.8500000000000001 would miss).
        var gt = Self.groundTruth()
        gt.appendBox(image: 0, category: 1, x: 10, y: 10, width: 20, height: 10, area: 200)
        var dt = EvalDetections()
        dt.append(image: 0, category: 1, score: 0.9, x: 10, y: 10, width: 17, height: 10)
        let result = VisDroneEvaluator.evaluate(gt, dt)
        #expect(VisDroneParameters().iouThresholds[7] == 0.85)
        #expect(result.classes[0].ap == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        // Outcome layout: threshold-major.
        #expect(result.outcome == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    }

    @Test func noScoredClassGivesNaN() {
        var gt = Self.groundTruth()
        gt.appendBox(image: 0, category: 11, x: 10, y: 10, width: 20, height: 20, area: 400)
        let result = VisDroneEvaluator.evaluate(gt, EvalDetections())
        #expect(result.ap.isNaN && result.ar500.isNaN)
    }
}
