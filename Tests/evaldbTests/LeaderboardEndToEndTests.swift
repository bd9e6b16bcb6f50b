import Foundation
import Testing

/// `evaldb runs` as a leaderboard: metrics of each run's default evaluation (computed when missing), params and
/// tags as columns and filters, sorting (params as numbers), in every output format.
///
/// Values: run A is fake100's detections, run B the same without every third one (positions 2, 5, 8, ...), the
/// run B of `Fixtures/coco-val2014-fake100/make_expected_options.py`. pycocotools 2.0.11 gives A: AP
/// 0.5045806987249628, AP50 0.6969727247299577, AR100 0.595352982877607 (expected-pycocotools.json) and B: AP
/// 0.3474383751509328, AP50 0.4720867053787023, AR100 0.4011570157175863 (expected-pycocotools-options.json, the
/// area-range case whose AP, AP50 and AR100 use the default all-area range).
@Suite struct LeaderboardEndToEndTests {
    static let expected: [String: [String: Double]] = [
        "A": ["AP": 0.5045806987249628, "AP50": 0.6969727247299577, "AR100": 0.595352982877607],
        "B": ["AP": 0.3474383751509328, "AP50": 0.4720867053787023, "AR100": 0.4011570157175863],
    ]

    /// fake100 with runs A (lr=10, arch=x) and B (lr=9, arch=y), neither evaluated, created at fixed times.
    func store() throws -> CLI {
        let cli = try CLI()
        let groundTruth = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", groundTruth]).status == 0)
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: detections))) as? [Any])
        let thinned = rows.enumerated().filter { $0.offset % 3 != 2 }.map(\.element)
        let b = try cli.write("b.json", try JSONSerialization.data(withJSONObject: thinned))
        for (run, path, lr, arch) in [("A", detections, "10", "x"), ("B", b, "9", "y")] {
            let imported = try cli.run([
                "import", run, path, "--dataset", "fake100", "--no-eval", "--param", "lr=\(lr)", "--tag",
                "arch=\(arch)",
            ])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        for (run, time) in [("A", "2026-01-01T00:00:00Z"), ("B", "2026-01-02T00:00:00Z")] {
            #expect(
                try cli.run(["sql", "UPDATE runs SET created_at = '\(time)' WHERE name = '\(run)'", "--write"]).status
                    == 0)
        }
        return cli
    }

    static let arguments = ["runs", "--metrics", "AP,AP50,AR100", "--params", "lr", "--tags", "arch", "--sort", "-AP"]

    @Test func missingDefaultEvaluationsAreComputedAndSaidSo() throws {
        let cli = try store()
        defer { cli.remove() }
        let first = try cli.run(Self.arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr == "note: evaluated 2 run(s) with their dataset's default protocol: A, B\n")
        let again = try cli.run(Self.arguments)
        #expect(again.stderr.isEmpty)
        #expect(again.stdout == first.stdout)
        // What they read is each run's default evaluation (is_default), one per run.
        let marked = try cli.run([
            "sql", "SELECT run, protocol, is_default FROM eval_summary WHERE metric = 'AP' ORDER BY run", "--format",
            "csv",
        ])
        #expect(marked.stdout == "run,protocol,is_default\nA,coco,1\nB,coco,1\n")
    }

    @Test func tableAndMarkdownShowFourDecimals() throws {
        let cli = try store()
        defer { cli.remove() }
        let table = try cli.run(Self.arguments).stdout
        #expect(
            table == """
                name  dataset  AP      AP50    AR100   lr  arch  detections  created_at
                ----  -------  ------  ------  ------  --  ----  ----------  --------------------
                A     fake100  0.5046  0.6970  0.5954  10  x            734  2026-01-01T00:00:00Z
                B     fake100  0.3474  0.4721  0.4012   9  y            490  2026-01-02T00:00:00Z

                """)
        let markdown = try cli.run(Self.arguments + ["--format", "markdown"]).stdout
        #expect(
            markdown == """
                | name | dataset | AP | AP50 | AR100 | lr | arch | detections | created_at |
                | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |
                | A | fake100 | 0.5046 | 0.6970 | 0.5954 | 10 | x | 734 | 2026-01-01T00:00:00Z |
                | B | fake100 | 0.3474 | 0.4721 | 0.4012 | 9 | y | 490 | 2026-01-02T00:00:00Z |

                """)
    }

    /// CSV, TSV, JSON and JSON Lines keep every digit: the values equal pycocotools' to 1e-12.
    @Test(arguments: ["csv", "tsv", "json", "jsonl"])
    func machineFormatsKeepFullPrecision(format: String) throws {
        let cli = try store()
        defer { cli.remove() }
        let output = try cli.run(Self.arguments + ["--format", format]).stdout
        var rows: [[String: Any]] = []
        switch format {
        case "json":
            rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        case "jsonl":
            rows = try output.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        default:
            let separator: Character = format == "csv" ? "," : "\t"
            let lines = output.split(separator: "\n").map { $0.split(separator: separator).map(String.init) }
            let header = try #require(lines.first)
            #expect(header == ["name", "dataset", "AP", "AP50", "AR100", "lr", "arch", "detections", "created_at"])
            rows = lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.map { $0 as Any })) }
        }
        #expect(rows.map { $0["name"] as? String } == ["A", "B"])
        for row in rows {
            let name = try #require(row["name"] as? String)
            for (metric, value) in try #require(Self.expected[name]) {
                let got = (row[metric] as? NSNumber)?.doubleValue ?? (row[metric] as? String).flatMap(Double.init)
                #expect(
                    got.map { abs($0 - value) <= 1e-12 } == true,
                    "\(format) \(name) \(metric): \(String(describing: got))")
            }
        }
    }

    /// Params that read as numbers sort as numbers (9 before 10); tags and params filter.
    @Test func sortingAndFilters() throws {
        let cli = try store()
        defer { cli.remove() }
        func names(_ arguments: [String]) throws -> [String] {
            let result = try cli.run(["runs", "--format", "csv"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        }
        #expect(try names(["--params", "lr", "--sort", "lr"]) == ["B", "A"])
        #expect(try names(["--params", "lr", "--sort", "-lr"]) == ["A", "B"])
        #expect(try names(["--metrics", "AP", "--sort", "AP"]) == ["B", "A"])
        #expect(try names(["--sort", "-created_at"]) == ["B", "A"])
        #expect(try names(["--tag", "arch=y"]) == ["B"])
        #expect(try names(["--param", "lr=10", "--metrics", "AP"]) == ["A"])
        #expect(try names(["--tag", "arch=z"]).isEmpty)
        let unknown = try cli.run(["runs", "--sort", "nope"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix("Error: --sort nope: no such column, metric, param or tag"))
        let metric = try cli.run(["runs", "--metrics", "AP,XY"])
        #expect(metric.status == 64)
        #expect(metric.stderr.hasPrefix("Error: --metrics XY: no such metric"))
    }

    /// run_metrics has a column for every metric a default evaluation can have, and one row per run.
    @Test func runMetricsViewHasEveryMetricColumn() throws {
        let cli = try store()
        defer { cli.remove() }
        #expect(try cli.run(Self.arguments).status == 0)
        let result = try cli.run(["sql", "SELECT * FROM run_metrics ORDER BY run", "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        let columns = Set(rows[0].keys)
        for metric in [
            "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl", "AR500", "mAP",
        ] {
            #expect(columns.contains(metric), "\(metric)")
        }
        #expect(rows[0]["mAP"] is NSNull && rows[0]["AR500"] is NSNull)
        let ap = (rows[0]["AP"] as? NSNumber)?.doubleValue
        #expect(ap.map { abs($0 - 0.5045806987249628) <= 1e-12 } == true)
    }
}
