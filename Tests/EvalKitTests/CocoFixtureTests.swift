import EvalKit
import Testing

/// Every COCO fixture against pycocotools 2.0.11 (`expected-pycocotools*.json`): the 12 stats and each
/// category's AP, AP50, AP75 and AR100, to 1e-12. The evaluator agrees to the last bit (checked against the
/// files with Python's exact parser); the tolerance is for Foundation's `JSONSerialization`, which on Linux can
/// round a 17-digit number one unit in the last place off. Bit-for-bit checks use Swift literals instead.
@Suite struct CocoFixtureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var groundTruth: String
        var detections: String
        var expected: String
        var testDescription: String { expected }
    }

    static let cases = [
        Case(
            groundTruth: "coco-val2014-fake100/gt/instances_val2014_100.json",
            detections: "coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json",
            expected: "coco-val2014-fake100/expected-pycocotools.json"),
        Case(
            groundTruth: "padilla-review-coco-sampled/gt/sampled_gts_bbox_area.json",
            detections: "padilla-review-coco-sampled/dt/sampled_bbox_results.json",
            expected: "padilla-review-coco-sampled/expected-pycocotools.json"),
        Case(
            groundTruth: "detectron2-coco-2img/gt.json", detections: "detectron2-coco-2img/dt_bbox.json",
            expected: "detectron2-coco-2img/expected-pycocotools.json"),
        Case(
            groundTruth: "torchmetrics-map-4img/gt_coco.json", detections: "torchmetrics-map-4img/dt_coco.json",
            expected: "torchmetrics-map-4img/expected-pycocotools.json"),
        Case(
            groundTruth: "padilla-odm-sample2/coco/gt_coco.json", detections: "padilla-odm-sample2/coco/dt_coco.json",
            expected: "padilla-odm-sample2/expected-pycocotools.json"),
        // Annotation ids start at 0: pycocotools can never match the box with id 0.
        Case(
            groundTruth: "padilla-review-toyexample/gts_coco_format/toy_example_coco.JSON",
            detections: "padilla-review-toyexample/dets_coco_format/coco_dets.json",
            expected: "padilla-review-toyexample/expected-pycocotools.json"),
        Case(
            groundTruth: "padilla-review-toyexample/coco_renumbered/gt_coco_ann_ids_plus1.json",
            detections: "padilla-review-toyexample/dets_coco_format/coco_dets.json",
            expected: "padilla-review-toyexample/expected-pycocotools-ann-ids-plus1.json"),
    ]

    @Test(arguments: cases)
    func matchesPycocotools(_ fixture: Case) throws {
        let groundTruth = try CocoFixture.groundTruth(fixture.groundTruth)
        let detections = try CocoFixture.detections(fixture.detections, for: groundTruth)
        let expected = try CocoFixture.expected(fixture.expected)
        let result = CocoEvaluator.evaluate(groundTruth, detections)

        try #require(result.stats.count == 12 && expected.stats.count == 12)
        for (index, (actual, reference)) in zip(result.stats, expected.stats).enumerated() {
            #expect(abs(actual - reference) <= 1e-12, "stat \(index): \(actual) vs pycocotools \(reference)")
        }
        #expect(Set(result.categoryIDs) == Set(expected.perCategory.keys))
        let t50 = try #require(result.parameters.iouThresholds.firstIndex(of: 0.5))
        let t75 = try #require(result.parameters.iouThresholds.firstIndex(of: 0.75))
        let m100 = try #require(result.parameters.maxDetections.firstIndex(of: 100))
        for (k, category) in result.categoryIDs.enumerated() {
            let reference = try #require(expected.perCategory[category])
            let actual = [
                "AP": result.categoryAP(k: k), "AP50": result.categoryAP(k: k, t: t50),
                "AP75": result.categoryAP(k: k, t: t75), "AR100": result.categoryAR(k: k, m: m100),
            ]
            for (name, value) in actual {
                let expectedValue = try #require(reference[name])
                #expect(
                    abs(value - expectedValue) <= 1e-12, "category \(category) \(name): \(value) vs \(expectedValue)")
            }
        }
    }

    /// pycocotools' own float noise, to the last bit: 0.6999999999999998 where faster-coco-eval prints 0.7.
    @Test func detectron2StatsBitForBit() throws {
        let groundTruth = try CocoFixture.groundTruth("detectron2-coco-2img/gt.json")
        let detections = try CocoFixture.detections("detectron2-coco-2img/dt_bbox.json", for: groundTruth)
        let result = CocoEvaluator.evaluate(groundTruth, detections)
        #expect(
            result.stats == [
                0.7504950495049505, 1.0, 1.0, 0.6999999999999998, 0.7999999999999999, -1.0, 0.4, 0.75, 0.75, 0.7, 0.8,
                -1.0,
            ])
    }

    /// The id-0 quirk is what separates the two toy-example variants: same boxes, different numbers.
    @Test func annotationIDZeroIsNeverMatched() throws {
        let shipped = try CocoFixture.groundTruth("padilla-review-toyexample/gts_coco_format/toy_example_coco.JSON")
        let renumbered = try CocoFixture.groundTruth(
            "padilla-review-toyexample/coco_renumbered/gt_coco_ann_ids_plus1.json")
        let detections = try CocoFixture.detections(
            "padilla-review-toyexample/dets_coco_format/coco_dets.json", for: shipped)
        let quirk = CocoEvaluator.evaluate(shipped, detections)
        let intended = CocoEvaluator.evaluate(renumbered, detections)
        #expect(quirk.stats[0] == 0.4952168788307403)
        #expect(intended.stats[0] == 0.5979231494578029)
        let zero = try #require(shipped.annotationID.firstIndex(of: 0))
        let t50 = 0
        let n = detections.count
        #expect(!(0..<n).contains { quirk.matchedGroundTruth[t50 * n + $0] == Int32(zero) })
        #expect((0..<n).contains { intended.matchedGroundTruth[t50 * n + $0] == Int32(zero) })
        #expect(quirk.counts[0].truePositives + 1 == intended.counts[0].truePositives)
    }

    /// VOC boxes have no annotation ids; converted as the store converts them they match under COCO like any box:
    /// the toy example's VOC ground truth with its corner detections gives pycocotools' numbers on the COCO copy
    /// whose annotation ids are renumbered from 1 (with id 0 for a missing id, every detection would be a false
    /// positive and AP 0).
    @Test func boxesWithoutAnnotationIDsMatchUnderCoco() throws {
        let voc = try VocVisDroneFixtures.padillaToyExample(.classNameXYXY)
        #expect(voc.gt.annotationID.allSatisfy { $0 > 0 })
        let expected = try CocoFixture.expected("padilla-review-toyexample/expected-pycocotools-ann-ids-plus1.json")
        let result = CocoEvaluator.evaluate(voc.gt, voc.dt)
        #expect(result.stats.count == expected.stats.count)
        for (got, want) in zip(result.stats, expected.stats) {
            #expect(abs(got - want) <= 1e-12, "\(result.stats) against \(expected.stats)")
        }
    }
}
