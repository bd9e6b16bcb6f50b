import Foundation
import Testing

/// `eval` and `diff` with `--images-where`, `--classes`, `--score-threshold` and `--area-ranges` on
/// coco-val2014-fake100, against pycocotools run on the correspondingly filtered inputs
/// (`expected-pycocotools-options.json`, written by `make_expected_options.py` next to it: the script says how
/// each option was applied to pycocotools). Run A is the fixture's detections, run B the same without every third
/// one (file positions 2, 5, 8, ...).
@Suite(.serialized) struct EvalOptionsEndToEndTests {
    static let names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
    static let filterCases = ["images-where", "classes", "score-threshold", "all-three"]
    static let areaCases = ["area-ranges-summary-labels", "area-ranges-other-labels"]

    /// pycocotools' values for one run under one case: the 12 stats and per-category values (nil = -1, undefined).
    struct Expected {
        var stats: [String: Double?]
        var perCategory: [String: [String: Double?]]
        var images: Int
        var detections: Int
    }

    /// The flags of a case and its expected values for runs A and B.
    static func expected(_ name: String) throws -> (flags: [String], a: Expected, b: Expected) {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: CLI.fixture("coco-val2014-fake100/expected-pycocotools-options.json")))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [String: [String: Any]])
        let entry = try #require(cases[name], "no case \(name)")
        func run(_ key: String) throws -> Expected {
            let object = try #require(entry[key] as? [String: Any])
            let stats = try #require(object["stats"] as? [String: Any]).mapValues { $0 as? Double }
            let classes = try #require(object["per_category"] as? [String: [String: Any]])
            return Expected(
                stats: stats, perCategory: classes.mapValues { $0.mapValues { $0 as? Double } },
                images: try #require(object["images"] as? Int), detections: try #require(object["detections"] as? Int))
        }
        return (try #require(entry["flags"] as? [String]), try run("A"), try run("B"))
    }

    /// A store with fake100 as dataset `fake100` and runs A and B (not evaluated at import).
    func store() throws -> CLI {
        let cli = try CLI()
        let groundTruth = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", groundTruth]).status == 0)
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: detections))) as? [Any])
        let thinned = rows.enumerated().filter { $0.offset % 3 != 2 }.map(\.element)
        let b = try cli.write("b.json", try JSONSerialization.data(withJSONObject: thinned))
        for (run, path) in [("A", detections), ("B", b)] {
            let imported = try cli.run(["import", run, path, "--dataset", "fake100", "--no-eval"])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        return cli
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    func number(_ value: Any?) -> Double? { value as? Double ?? (value as? Int).map(Double.init) }

    /// Both undefined, or both defined and within 1e-12 (the tolerance of Scripts/crosscheck).
    func close(_ got: Double?, _ expected: Double?) -> Bool {
        switch (got, expected) {
        case (nil, nil): return true
        case (let a?, let b?): return abs(a - b) <= 1e-12
        default: return false
        }
    }

    /// The summary and per-class values of `eval` are pycocotools' on the filtered input, for both runs.
    @Test(arguments: filterCases + areaCases)
    func evalGivesPycocotoolsNumbersOfTheFilteredInput(_ name: String) throws {
        let (flags, expectedA, expectedB) = try Self.expected(name)
        let cli = try store()
        defer { cli.remove() }
        for (run, expected) in [("A", expectedA), ("B", expectedB)] {
            let result = try cli.run(["eval", run, "--format", "json"] + flags)
            #expect(result.status == 0, "\(name) \(run): \(result.stderr)")
            let output = try json(result.stdout)
            let metrics = try #require(output["metrics"] as? [String: Any])
            #expect(Set(metrics.keys) == Set(Self.names))
            for metric in Self.names {
                #expect(close(number(metrics[metric]), expected.stats[metric] ?? nil), "\(name) \(run) \(metric)")
            }
            let classes = try #require(output["classes"] as? [[String: Any]])
            let ids = classes.compactMap { ($0["id"] as? Int).map(String.init) }
            #expect(Set(ids) == Set(expected.perCategory.keys), "\(name) \(run): classes")
            for row in classes {
                let id = try #require(row["id"] as? Int)
                for (key, value) in expected.perCategory[String(id)] ?? [:] {
                    #expect(row.keys.contains(key), "\(name) \(run) class \(id): no \(key)")
                    #expect(close(number(row[key]), value), "\(name) \(run) class \(id) \(key)")
                }
            }
        }
        if name == "area-ranges-other-labels" {
            // The stored per-class values carry the range names given.
            let areas = try cli.run([
                "sql", "SELECT DISTINCT area FROM class_ap WHERE run = 'A' ORDER BY area", "--format", "csv",
            ])
            #expect(areas.stdout == "area\nall\nbig\ntiny\n")
        }
    }

    /// Rows of `diff --format csv`: scope, class_id, class, n_gt, metric, a, b, change, ci_low, ci_high.
    func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// `diff` under the options compares the filtered evaluations: A and B are pycocotools' numbers, the change is
    /// exactly B - A; with `--ci` the same values come with intervals that bracket each change, from a bootstrap
    /// over the filtered images.
    @Test(arguments: filterCases)
    func diffComparesTheFilteredEvaluations(_ name: String) throws {
        let (flags, expectedA, expectedB) = try Self.expected(name)
        let cli = try store()
        defer { cli.remove() }
        let arguments = ["diff", "A", "B", "--all", "--metrics", "AP,AP50", "--format", "csv"] + flags
        let plain = try cli.run(arguments)
        #expect(plain.status == 0, "\(name): \(plain.stderr)")
        var classesSeen = Set<String>()
        for fields in rows(plain.stdout) {
            #expect(fields.count == 10, "\(fields)")
            guard fields.count == 10 else { continue }
            let a = Double(fields[5])
            let b = Double(fields[6])
            let expected: (Double?, Double?)
            if fields[0] == "summary" {
                expected = (expectedA.stats[fields[4]] ?? nil, expectedB.stats[fields[4]] ?? nil)
            } else {
                classesSeen.insert(fields[1])
                expected = (
                    expectedA.perCategory[fields[1]]?[fields[4]] ?? nil,
                    expectedB.perCategory[fields[1]]?[fields[4]] ?? nil
                )
            }
            #expect(close(a, expected.0) && close(b, expected.1), "\(name): \(fields)")
            if let a, let b {
                #expect(Double(fields[7]) == b - a, "\(name): \(fields)")
            } else {
                #expect(fields[7].isEmpty, "\(name): \(fields)")
            }
            #expect(fields[8].isEmpty && fields[9].isEmpty)
        }
        #expect(classesSeen == Set(expectedA.perCategory.keys), "\(name)")

        let ci = ["--ci", "--resamples", "200", "--seed", "3"]
        let intervals = try cli.run(arguments + ci)
        #expect(intervals.status == 0, "\(name): \(intervals.stderr)")
        let withCI = rows(intervals.stdout)
        #expect(withCI.map { Array($0.prefix(8)) } == rows(plain.stdout).map { Array($0.prefix(8)) }, "\(name)")
        var bracketed = 0
        for fields in withCI where fields.count == 10 {
            guard let change = Double(fields[7]) else { continue }
            let low = try #require(Double(fields[8]), "\(name): no interval in \(fields)")
            let high = try #require(Double(fields[9]), "\(name): no interval in \(fields)")
            // Replicates of a class seen in one image reproduce its change up to rounding (a few ulps).
            #expect(low - 1e-12 <= change && change <= high + 1e-12, "\(name): \(fields)")
            bracketed += 1
        }
        #expect(bracketed >= 12, "\(name)")
        // The bootstrap draws from the images the evaluation covers.
        let header = try json(try cli.run(["diff", "A", "B", "--format", "json"] + flags + ci).stdout)
        #expect(header["images"] as? Int == expectedA.images, "\(name)")
        #expect(header["resamples"] as? Int == 200 && header["seed"] as? Int == 3)
    }
}
