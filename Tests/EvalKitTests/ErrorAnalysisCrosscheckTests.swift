import EvalFormats
import EvalKit
import Foundation
import Testing

/// Runs the error analysis on the cases `Scripts/crosscheck_tide.py --via-tests DIR` writes, when
/// `EVALDB_TIDE_CASES=DIR` is set, and writes each result next to its case (`evaldb.json`) in the JSON shape of
/// `evaldb errors --format json`: the script's check of the engine without the CLI.
@Suite struct ErrorAnalysisCrosscheckTests {
    static let directory = ProcessInfo.processInfo.environment["EVALDB_TIDE_CASES"]

    @Test(.enabled(if: directory != nil)) func writeResults() throws {
        let root = URL(fileURLWithPath: try #require(Self.directory))
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("case") }
        #expect(!cases.isEmpty)
        for name in cases {
            let folder = root.appendingPathComponent(name)
            let groundTruth = CocoFixture.groundTruth(
                try CocoDatasetReader.read(path: folder.appendingPathComponent("gt.json").path))
            let detections = try CocoFixture.detections(
                try CocoResultsReader.read(path: folder.appendingPathComponent("dt.json").path), for: groundTruth)
            let breakdown = ErrorAnalysis.analyze(groundTruth, detections, parameters: .coco(CocoParameters()))
            let overall = breakdown.overall
            func value(_ number: Double?) -> Any { number ?? NSNull() }
            var errors: [String: Any] = [:]
            for type in TideError.allCases {
                errors[type.rawValue] = ["count": overall.counts[type] ?? 0, "dAP": value(overall.dAP[type] ?? nil)]
            }
            let object: [String: Any] = [
                "AP50": value(overall.ap), "errors": errors,
                "special": [
                    "FalsePos": ["dAP": value(overall.falsePositiveDAP)],
                    "FalseNeg": ["dAP": value(overall.falseNegativeDAP)],
                ],
            ]
            try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("evaldb.json"))
        }
    }
}
