@testable import EvalKit
import Foundation
import Testing

/// The TIDE error breakdown: hand-worked cases per error type under COCO, VOC07 and VisDrone, the COCO fixture
/// against tidecv 1.0.1 (`Fixtures/tide`), and properties on random data.
///
/// COCO AP of a class with one threshold: the mean of the interpolated precision at the 101 recall points
/// 0, 0.01, ..., 1. With 2 boxes, a curve that holds precision 1 up to recall 0.5 and nothing beyond scores
/// 51/101 (the points 0...0.5), a curve at precision 1 throughout scores 1.
@Suite struct ErrorAnalysisTests {
    static let coco = ProtocolParameters.coco(CocoParameters())

    /// Asserts `actual` is `expected` to 1e-12.
    static func expectClose(
        _ actual: Double??, _ expected: Double, _ comment: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let value = actual.flatMap { $0 }
        #expect(
            value.map { abs($0 - expected) <= 1e-12 } == true,
            "\(comment): \(String(describing: value)) vs \(expected)",
            sourceLocation: sourceLocation)
    }

    /// The counts of every type, 0 for those not listed.
    static func counts(_ nonZero: [TideError: Int]) -> [TideError: Int] {
        Dictionary(uniqueKeysWithValues: TideError.allCases.map { ($0, nonZero[$0] ?? 0) })
    }

    // MARK: Hand-worked COCO cases

    /// A loc error on an unmatched box: fixing it completes the class.
    @Test func localization() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 10, 10)
        builder.detection(score: 0.9, 0, 0, 10, 10)  // TP on box 0
        builder.detection(score: 0.8, 50, 50, 10, 4)  // IoU 40 / 100 = 0.4 with box 1: loc
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [nil, .loc])
        #expect(breakdown.overall.counts == Self.counts([.loc: 1]))
        #expect(breakdown.missedGroundTruth == [false, false])  // box 1 is the loc error's target
        // Base: TP (recall 0.5, precision 1), FP: 51/101. Fixed: two TPs, AP 1: dAP 50/101.
        Self.expectClose(breakdown.overall.ap, 51.0 / 101)
        Self.expectClose(breakdown.overall.dAP[.loc], 50.0 / 101, "loc")
        Self.expectClose(breakdown.overall.dAP[.dupe], 0, "no dupe")
        // A trailing false positive does not change the interpolated precision: removing it gains nothing.
        Self.expectClose(breakdown.overall.falsePositiveDAP, 0, "FalsePos")
        // Without box 1, one box found at precision 1: AP 1.
        Self.expectClose(breakdown.overall.falseNegativeDAP, 50.0 / 101, "FalseNeg")
    }

    /// A cls error moves to the target's class; the gain shows in that class.
    @Test func classification() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.box(category: 2, 50, 50, 10, 10)
        builder.detection(category: 1, score: 0.9, 0, 0, 10, 10)  // TP
        builder.detection(category: 1, score: 0.8, 50, 50, 10, 10)  // IoU 1 with the class-2 box: cls
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [nil, .cls])
        #expect(breakdown.overall.counts == Self.counts([.cls: 1]))
        // Base: class 1 AP 1 (its FP trails), class 2 AP 0: mean 0.5. Fixed: both 1: dAP 0.5.
        Self.expectClose(breakdown.overall.ap, 0.5)
        Self.expectClose(breakdown.overall.dAP[.cls], 0.5, "cls")
        // The error counts in the detection's class, the gain in the target's.
        #expect(breakdown.classes.map(\.categoryID) == [1, 2])
        #expect(breakdown.classes[0].values.counts[.cls] == 1)
        #expect(breakdown.classes[1].values.counts[.cls] == 0)
        Self.expectClose(breakdown.classes[0].values.dAP[.cls], 0, "class 1")
        Self.expectClose(breakdown.classes[1].values.dAP[.cls], 1, "class 2")
    }

    /// A duplicate between two true positives costs precision on the second one.
    @Test func duplicate() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 10, 10)
        builder.detection(score: 0.9, 0, 0, 10, 10)  // TP on box 0
        builder.detection(score: 0.8, 0, 0, 10, 9)  // IoU 0.9 with the used box 0: dupe
        builder.detection(score: 0.7, 50, 50, 10, 10)  // TP on box 1
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [nil, .dupe, nil])
        #expect(breakdown.overall.counts == Self.counts([.dupe: 1]))
        // Base: TP (0.5, 1), FP (0.5, 1/2), TP (1, 2/3): 51 points at 1 and 50 at 2/3, (51 + 100/3) / 101 =
        // 253/303. Without the duplicate: AP 1, dAP 50/303.
        Self.expectClose(breakdown.overall.ap, 253.0 / 303)
        Self.expectClose(breakdown.overall.dAP[.dupe], 50.0 / 303, "dupe")
        Self.expectClose(breakdown.overall.falsePositiveDAP, 50.0 / 303, "FalsePos")
    }

    /// Background detections: far from every box, and in an image without boxes.
    @Test func background() {
        var builder = CocoCaseBuilder(imageIDs: [1, 2])
        builder.box(0, 0, 10, 10)
        builder.detection(score: 0.9, 80, 80, 5, 5)  // IoU 0: bkg
        builder.detection(score: 0.8, 0, 0, 10, 10)  // TP
        builder.detection(image: 1, score: 0.7, 0, 0, 10, 10)  // an image without boxes: bkg
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [.bkg, nil, .bkg])
        #expect(breakdown.overall.counts == Self.counts([.bkg: 2]))
        // Base: FP (0, 0), TP (1, 1/2), FP: precision 1/2 at every point, AP 0.5. Fixed: AP 1.
        Self.expectClose(breakdown.overall.ap, 0.5)
        Self.expectClose(breakdown.overall.dAP[.bkg], 0.5, "bkg")
    }

    /// `both`: wrong class and poor box; the other class's box is `missed`.
    @Test func bothAndMissed() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.box(category: 2, 50, 50, 10, 10)
        builder.detection(category: 1, score: 0.9, 50, 50, 10, 3)  // IoU 0.3 with the class-2 box only: both
        builder.detection(category: 1, score: 0.8, 0, 0, 10, 10)  // TP
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [.both, nil])
        #expect(breakdown.missedGroundTruth == [false, true])
        #expect(breakdown.overall.counts == Self.counts([.both: 1, .missed: 1]))
        #expect(breakdown.classes[1].values.counts[.missed] == 1)
        // Base: class 1 FP, TP: 0.5; class 2 nothing found: 0; mean 0.25. Without the `both` detection class 1 is
        // 1: mean 0.5. Without the missed box class 2 has no box and leaves the mean: 0.5 (COCO's -1 class).
        Self.expectClose(breakdown.overall.ap, 0.25)
        Self.expectClose(breakdown.overall.dAP[.both], 0.25, "both")
        Self.expectClose(breakdown.overall.dAP[.missed], 0.25, "missed")
        #expect(breakdown.classes[1].values.dAP[.missed] == .some(nil))
    }

    /// Two errors on one box: the higher-scored one (cls) is fixed, the loc error is suppressed (removed).
    @Test func suppression() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.box(category: 1, 50, 50, 10, 10)
        builder.detection(category: 2, score: 0.97, 50, 50, 10, 10)  // cls on box 1, fixable (highest score)
        builder.detection(category: 1, score: 0.95, 50, 50, 10, 4)  // loc on box 1, suppressed
        builder.detection(category: 1, score: 0.9, 0, 0, 10, 10)  // TP on box 0
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [.cls, .loc, nil])
        #expect(breakdown.missedGroundTruth == [false, false])
        #expect(breakdown.overall.counts == Self.counts([.cls: 1, .loc: 1]))
        // Class 2 has no box: its AP is undefined and the mean is class 1's.
        // Base class 1: FP (0, 0), TP (0.5, 1/2): 51 points at 1/2, 25.5/101.
        Self.expectClose(breakdown.overall.ap, 25.5 / 101)
        // Fixing loc removes the suppressed loc error: TP (0.5, 1): 51/101, dAP 25.5/101.
        Self.expectClose(breakdown.overall.dAP[.loc], 25.5 / 101, "loc")
        // Fixing cls puts the class-2 detection on box 1 in class 1: TP (0.5, 1), FP (0.5, 1/2), TP (1, 2/3):
        // 253/303, dAP 253/303 - 76.5/303 = 176.5/303.
        Self.expectClose(breakdown.overall.dAP[.cls], 176.5 / 303, "cls")
        #expect(breakdown.classes[1].values.ap == nil)
        #expect(breakdown.classes[1].values.counts[.cls] == 1)
    }

    /// A cls or loc error on a box a true positive already found is suppressed, and the box is not missed.
    @Test func errorOnUsedBoxIsSuppressed() {
        var builder = CocoCaseBuilder(categories: [1, 2])
        builder.box(category: 1, 0, 0, 10, 10)
        builder.detection(category: 1, score: 0.9, 0, 0, 10, 10)  // TP
        builder.detection(category: 1, score: 0.8, 0, 0, 10, 4)  // IoU 0.4 with the used box: loc
        builder.detection(category: 2, score: 0.7, 0, 0, 10, 10)  // IoU 1 with a class-1 box: cls
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [nil, .loc, .cls])
        #expect(breakdown.missedGroundTruth == [false])
        // Class 1: TP then a trailing FP, AP 1; removing the loc error changes nothing.
        Self.expectClose(breakdown.overall.dAP[.loc], 0, "loc")
        Self.expectClose(breakdown.overall.dAP[.cls], 0, "cls")
    }

    /// Crowd matches are ignored, not errors; a box outside area range 0 is not counted.
    @Test func crowdIsIgnored() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 40, 40, crowd: true)
        builder.detection(score: 0.9, 50, 50, 20, 20)  // inside the crowd box: ignored
        builder.detection(score: 0.8, 0, 0, 10, 10)  // TP
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: Self.coco)
        #expect(breakdown.detectionErrors == [nil, nil])
        #expect(breakdown.missedGroundTruth == [false, false])
        Self.expectClose(breakdown.overall.ap, 1)
    }

    // MARK: VOC and VisDrone

    /// VOC07: IoU with the devkit's + 1 pixel corners, a difficult box's detection is ignored.
    @Test func voc07() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.box(50, 50, 10, 10)
        builder.groundTruth.appendBox(
            image: 0, category: 1, x: 20, y: 20, width: 10, height: 10, area: 100, isDifficult: true)
        builder.detection(score: 0.9, 0, 0, 10, 10)  // TP
        // Corners (50, 50)-(60, 54): 11 x 5 = 55 pixels inside the 11 x 11 box: IoU 55/121 = 0.4545: loc.
        builder.detection(score: 0.8, 50, 50, 10, 4)
        builder.detection(score: 0.7, 20, 20, 10, 10)  // on the difficult box: ignored
        let breakdown = ErrorAnalysis.analyze(
            builder.groundTruth, builder.detections, parameters: .voc(VocParameters(metric: .elevenPoint)))
        #expect(breakdown.detectionErrors == [nil, .loc, nil])
        #expect(breakdown.missedGroundTruth == [false, false, false])
        // 11-point: TP (0.5, 1), FP (0.5, 1/2): the levels 0 ... 0.5 reach precision 1: 6/11. Fixed: 11/11.
        Self.expectClose(breakdown.overall.ap, 6.0 / 11)
        Self.expectClose(breakdown.overall.dAP[.loc], 5.0 / 11, "loc")
        let reported = Evaluation.evaluate(
            builder.groundTruth, builder.detections, parameters: .voc(VocParameters(metric: .elevenPoint)))
        #expect(breakdown.overall.ap == reported.summary[0].value)
    }

    /// VisDrone: an ignore box absorbs its detection; the recall denominator counts it.
    @Test func visDrone() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.groundTruth.appendBox(
            image: 0, category: 1, x: 80, y: 80, width: 10, height: 10, area: 100, isIgnored: true)
        builder.detection(score: 0.9, 30, 30, 5, 5)  // bkg
        builder.detection(score: 0.8, 0, 0, 10, 10)  // TP
        builder.detection(score: 0.7, 80, 80, 10, 10)  // ignore match
        let parameters = ProtocolParameters.visdrone(VisDroneParameters())
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: parameters)
        #expect(breakdown.detectionErrors == [.bkg, nil, nil])
        #expect(breakdown.missedGroundTruth == [false, false])
        // Recall over 2 boxes (the ignore one counts): FP (0, 0), TP (1/2, 1/2), ignored (1/2, 1/2): all-point
        // AP 0.5 * 0.5 = 0.25. Without the bkg detection: TP (1/2, 1): 0.5.
        Self.expectClose(breakdown.overall.ap, 0.25)
        Self.expectClose(breakdown.overall.dAP[.bkg], 0.25, "bkg")
        let reported = Evaluation.evaluate(builder.groundTruth, builder.detections, parameters: parameters)
        #expect(
            breakdown.overall.ap
                == reported.value(of: Metric(.visdrone, .averagePrecision, iou: 0.5, maxDetections: 500)))
    }

    /// Detections beyond the budget are not analysed, and do not enter the evaluation when others are removed.
    @Test func beyondBudgetIsDropped() {
        var builder = CocoCaseBuilder()
        builder.box(0, 0, 10, 10)
        builder.detection(score: 0.9, 80, 80, 5, 5)  // bkg
        builder.detection(score: 0.8, 0, 0, 10, 10)  // beyond maxDets 1: not evaluated
        let parameters = ProtocolParameters.coco(CocoParameters(maxDetections: [1]))
        let breakdown = ErrorAnalysis.analyze(builder.groundTruth, builder.detections, parameters: parameters)
        #expect(breakdown.detectionErrors == [.bkg, nil])
        #expect(breakdown.missedGroundTruth == [true])
        // Removing the bkg detection leaves no detection (the one beyond the budget stays out): AP 0 -> 0.
        Self.expectClose(breakdown.overall.ap, 0)
        Self.expectClose(breakdown.overall.dAP[.bkg], 0, "bkg")
    }
}
