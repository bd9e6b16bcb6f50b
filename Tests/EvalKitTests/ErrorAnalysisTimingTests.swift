import EvalFormats
import EvalKit
import Foundation
import Testing

/// Times the error analysis against one evaluation on a large COCO case, when `EVALDB_TIDE_TIMING=DIR` names a
/// folder with `gt.json` and `dets.json` (`Scripts/generate-coco.py DIR`); run it in release:
/// `EVALDB_TIDE_TIMING=DIR swift test -c release --filter ErrorAnalysisTiming`. On 500k detections: evaluation
/// 0.20 s, error analysis 0.59 s.
@Suite struct ErrorAnalysisTimingTests {
    static let directory = ProcessInfo.processInfo.environment["EVALDB_TIDE_TIMING"]

    @Test(.enabled(if: directory != nil)) func timeAgainstEvaluation() throws {
        let folder = try #require(Self.directory)
        let groundTruth = CocoFixture.groundTruth(try CocoDatasetReader.read(path: folder + "/gt.json"))
        let detections = try CocoFixture.detections(
            try CocoResultsReader.read(path: folder + "/dets.json"), for: groundTruth)
        let parameters = ProtocolParameters.coco(CocoParameters())
        let clock = ContinuousClock()
        var start = clock.now
        let result = Evaluation.evaluate(groundTruth, detections, parameters: parameters)
        print("evaluation of \(detections.count) detections: \(clock.now - start)")
        start = clock.now
        let breakdown = ErrorAnalysis.analyze(groundTruth, detections, parameters: parameters)
        print("error analysis: \(clock.now - start), counts \(breakdown.overall.counts)")
        #expect(
            breakdown.overall.ap == result.value(of: Metric(.coco, .averagePrecision, iou: 0.5, maxDetections: 100)))
    }
}
