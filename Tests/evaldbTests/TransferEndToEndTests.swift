import Foundation
import Testing

/// `evaldb push` and `evaldb pull` between two stores: SQLite to SQLite always, and SQLite to PostgreSQL and back
/// when `EVALDB_TEST_POSTGRES` names a server.
@Suite(.serialized)
struct TransferEndToEndTests {
    /// A store's backend.
    enum Backend: String, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// The directions tested: (source, destination).
    static let directions: [(Backend, Backend)] =
        [(.sqlite, .sqlite)]
        + (PostgresTestDatabase.serverURL == nil ? [] : [(.sqlite, .postgres), (.postgres, .sqlite)])

    /// A store for one test: a file in the scratch folder or a throwaway PostgreSQL database.
    final class TestStore {
        let location: String
        private let database: PostgresTestDatabase?

        init(_ backend: Backend, cli: CLI, name: String) throws {
            switch backend {
            case .sqlite:
                database = nil
                location = cli.folder.appendingPathComponent(name + ".sqlite").path
            case .postgres:
                let created = try PostgresTestDatabase()
                database = created
                location = created.url
            }
        }

        deinit { database?.drop() }
    }

    /// The row counts of the tables push and pull write, to show that a command changed nothing.
    static func counts(_ cli: CLI, _ store: TestStore) throws -> String {
        let result = try cli.run(
            [
                "sql",
                "SELECT (SELECT count(*) FROM datasets) AS datasets, (SELECT count(*) FROM runs) AS runs, "
                    + "(SELECT count(*) FROM detections) AS detections, "
                    + "(SELECT count(*) FROM evaluations) AS evaluations, "
                    + "(SELECT count(*) FROM run_tags) AS tags, (SELECT count(*) FROM baselines) AS baselines, "
                    + "(SELECT sum(id) FROM evaluations) AS evaluation_ids",
                "--format", "csv", "--db", store.location,
            ], withDatabase: false)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// Runs `arguments` against both stores and expects the same JSON (timestamps aside).
    static func expectSameOutput(_ cli: CLI, _ arguments: [String], _ first: TestStore, _ second: TestStore) throws {
        let one = try cli.run(arguments + ["--db", first.location], withDatabase: false)
        let two = try cli.run(arguments + ["--db", second.location], withDatabase: false)
        #expect(one.status == 0, "\(arguments): \(one.stderr)")
        #expect(two.status == 0, "\(arguments): \(two.stderr)")
        #expect(
            PostgresEndToEndTests.normalized(one.stdout) == PostgresEndToEndTests.normalized(two.stdout),
            "\(arguments)")
    }

    @Test(arguments: directions)
    func pushCopiesRunsIdempotentlyAndRefusesConflicts(from sourceBackend: Backend, to destinationBackend: Backend)
        throws
    {
        let cli = try CLI()
        defer { cli.remove() }
        let source = try TestStore(sourceBackend, cli: cli, name: "source")
        let destination = try TestStore(destinationBackend, cli: cli, name: "destination")
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        func on(_ store: TestStore, _ arguments: [String]) throws -> CLI.Result {
            let result = try cli.run(arguments + ["--db", store.location], withDatabase: false)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        _ = try on(source, ["dataset", "import", "fake100", coco])
        _ = try on(source, ["dataset", "import", "vd", CLI.fixture("visdrone-synth")])
        _ = try on(
            source,
            ["import", "a", detections, "--dataset", "fake100", "--tag", "arch=x", "--param", "lr=0.01", "--note", "n"])
        _ = try on(source, ["import", "b", detections, "--dataset", "fake100", "--box-offset", "1,0,0,0"])
        _ = try on(source, ["import", "v", CLI.fixture("visdrone-synth/results-A"), "--dataset", "vd"])
        _ = try on(source, ["baseline", "set", "a"])

        let pushed = try on(source, ["push", "a", "b", "v", "--to", destination.location])
        let lines = pushed.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(pushed.stdout)")
        #expect(lines.first?.hasPrefix("Run 'a' pushed to ") == true, "\(pushed.stdout)")
        #expect(
            lines.first?.hasSuffix(
                ": 734 detections, 1 evaluation; with dataset 'fake100'; its dataset's baseline there.") == true,
            "\(pushed.stdout)")
        #expect(lines.last?.hasSuffix(" detections, 1 evaluation; with dataset 'vd'.") == true, "\(pushed.stdout)")
        for step in [
            ["eval", "a", "--format", "json"], ["eval", "b", "--format", "json"], ["eval", "v", "--format", "json"],
            ["eval", "a", "--protocol", "voc12", "--format", "json"], ["runs", "--format", "json"],
            ["runs", "--metrics", "AP,AP50", "--params", "lr", "--tags", "arch", "--format", "json"],
            ["show", "a", "--format", "json"], ["datasets", "--format", "json"],
            ["baseline", "show", "--format", "json"],
            // VisDrone boxes have no annotation id, and NULLs sort differently in the two dialects.
            ["sql", "SELECT * FROM gt WHERE dataset = 'fake100' ORDER BY image_id, annotation_id", "--format", "json"],
            ["sql", "SELECT * FROM gt WHERE dataset = 'vd' ORDER BY image_id, x, y, w, h", "--format", "json"],
            ["sql", "SELECT * FROM dets ORDER BY run, seq", "--format", "json"],
            ["errors", "a", "--format", "json"], ["diff", "a", "b", "--format", "json"],
        ] {
            try Self.expectSameOutput(cli, step, source, destination)
        }

        // Idempotent: the same content again changes nothing, and says so.
        let before = try Self.counts(cli, destination)
        let again = try on(source, ["push", "a", "b", "v", "--to", destination.location])
        #expect(again.stdout.components(separatedBy: "with the same content already: nothing changed.").count == 4)
        #expect(try Self.counts(cli, destination) == before)

        // A new tag at the source travels with an unchanged run.
        _ = try on(source, ["tag", "a", "stage=prod"])
        let tagged = try on(source, ["push", "a", "--to", destination.location])
        #expect(tagged.stdout.hasSuffix("with the same content already: updated there: tag stage=prod.\n"))
        try Self.expectSameOutput(cli, ["show", "a", "--format", "json"], source, destination)

        // Other content under the same name: refused, nothing changes; --replace overwrites it.
        _ = try on(destination, ["import", "c", detections, "--dataset", "fake100", "--box-offset", "2,0,0,0"])
        _ = try on(source, ["import", "c", detections, "--dataset", "fake100"])
        let conflicted = try Self.counts(cli, destination)
        let refused = try cli.run(
            ["push", "c", "--to", destination.location, "--db", source.location], withDatabase: false)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("already has a run named 'c' with other content"), "\(refused.stderr)")
        #expect(refused.stderr.contains("pass --replace"))
        #expect(try Self.counts(cli, destination) == conflicted)
        let replaced = try on(source, ["push", "c", "--replace", "--to", destination.location])
        #expect(replaced.stdout.contains("replacing the run of that name: 734 detections"), "\(replaced.stdout)")
        try Self.expectSameOutput(cli, ["eval", "c", "--format", "json"], source, destination)

        // A dataset of the same name with other ground truth is refused, even with --replace.
        let other = try TestStore(.sqlite, cli: cli, name: "other")
        _ = try on(other, ["dataset", "import", "fake100", CLI.fixture("visdrone-synth")])
        let datasetConflict = try cli.run(
            ["push", "a", "--replace", "--to", other.location, "--db", source.location], withDatabase: false)
        #expect(datasetConflict.status == 1)
        #expect(datasetConflict.stderr.contains("already has a dataset named 'fake100' with other ground truth"))

        // And back: pull from the destination into a new store gives the same evaluation.
        let back = try TestStore(sourceBackend, cli: cli, name: "back")
        let pulled = try on(back, ["pull", "a", "c", "--from", destination.location])
        #expect(pulled.stdout.hasPrefix("Run 'a' pulled into "), "\(pulled.stdout)")
        for step in [
            ["eval", "a", "--format", "json"], ["eval", "c", "--format", "json"], ["show", "a", "--format", "json"],
        ] {
            try Self.expectSameOutput(cli, step, back, source)
        }
        let pulledAgain = try on(back, ["pull", "a", "c", "--from", destination.location])
        #expect(pulledAgain.stdout.components(separatedBy: "nothing changed.").count == 3, "\(pulledAgain.stdout)")
    }

    /// Queries whose rows must be the same at both stores once a run is copied with its evaluations and analyses:
    /// the documented views without their row ids (matched boxes by annotation id), with created_at and evaldb
    /// version kept (a recomputed evaluation would have other ones), ordered the same in both dialects.
    static let copiedResultQueries = [
        """
        SELECT run, dataset, protocol, params, is_default, metric, value, position, created_at FROM eval_summary
        ORDER BY run, protocol, params, position
        """,
        """
        SELECT run, protocol, params, is_default, category_id, category, metric, iou, area, max_dets, value
        FROM class_ap ORDER BY run, protocol, params, category_id, metric, coalesce(iou, -1), area,
        coalesce(max_dets, -1)
        """,
        """
        SELECT run, protocol, params, category_id, n_gt, n_det, tp, fp, fn, iou, "AP" FROM class_summary
        ORDER BY run, protocol, params, category_id
        """,
        """
        SELECT r.name AS run, e.protocol, e.params, e.evaldb_version, e.duration_ms, c.category_id, c.iou,
               c.precision, c.score
        FROM pr_curves c JOIN evaluations e ON e.id = c.evaluation_id JOIN runs r ON r.id = e.run_id
        ORDER BY run, e.protocol, e.params, c.category_id, c.iou
        """,
        """
        SELECT m.run, m.protocol, m.params, m.seq, m.file_name, m.tp_mask, m.ignored_mask, a.annotation_id AS gt_50,
               m.iou_50, b.annotation_id AS gt_75, m.iou_75, m.outcome_first_iou
        FROM detection_matches m LEFT JOIN gt_boxes a ON a.id = m.gt_50 LEFT JOIN gt_boxes b ON b.id = m.gt_75
        ORDER BY m.run, m.protocol, m.params, m.seq
        """,
        """
        SELECT run, dataset, protocol, params, category_id, category, "AP50", error, count, "dAP" FROM tide_errors
        ORDER BY run, protocol, params, coalesce(category_id, -1), error
        """,
        """
        SELECT r.name AS run, a.kind, a.protocol, a.params, a.dataset_sha256, a.run_sha256, a.evaldb_version,
               a.duration_ms, a.created_at, a.result
        FROM analyses a JOIN runs r ON r.id = a.run_id ORDER BY run, a.kind, a.protocol, a.params
        """,
    ]

    @Test(arguments: directions)
    func pushCopiesEveryEvaluationAndAnalysis(from sourceBackend: Backend, to destinationBackend: Backend) throws {
        let cli = try CLI()
        defer { cli.remove() }
        let source = try TestStore(sourceBackend, cli: cli, name: "source")
        let destination = try TestStore(destinationBackend, cli: cli, name: "destination")
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        func on(_ store: TestStore, _ arguments: [String]) throws -> CLI.Result {
            let result = try cli.run(arguments + ["--db", store.location], withDatabase: false)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result
        }
        func sameRows(_ label: String) throws {
            for query in Self.copiedResultQueries {
                let one = try on(source, ["sql", query, "--format", "json"]).stdout
                let two = try on(destination, ["sql", query, "--format", "json"]).stdout
                #expect(one == two, "\(label): \(query)")
                #expect(one.count > 10, "\(label): \(query) gave no rows")
            }
        }
        // Other ids at the destination: its images and boxes come after another dataset's.
        _ = try on(destination, ["dataset", "import", "vd", CLI.fixture("visdrone-synth")])
        _ = try on(source, ["dataset", "import", "fake100", coco])
        _ = try on(source, ["import", "a", detections, "--dataset", "fake100"])
        _ = try on(source, ["eval", "a", "--protocol", "voc07"])
        _ = try on(source, ["eval", "a", "--iou", "0.6,0.8", "--classes", "1,2,3"])
        _ = try on(source, ["errors", "a"])

        let pushed = try on(source, ["push", "a", "--to", destination.location])
        #expect(
            pushed.stdout.hasSuffix(": 734 detections, 3 evaluations, 1 analysis; with dataset 'fake100'.\n"),
            "\(pushed.stdout)")
        try sameRows("after push")
        // Stored, not recomputed: eval reuses them, and nothing is added.
        let before = try Self.counts(cli, destination)
        for step in [
            ["eval", "a"], ["eval", "a", "--protocol", "voc07"],
            ["eval", "a", "--iou", "0.6,0.8", "--classes", "1,2,3"],
        ] {
            let result = try on(destination, step + ["--timing", "--format", "json"])
            #expect(result.stderr.contains("a: reused the stored evaluation"), "\(step): \(result.stderr)")
        }
        #expect(
            try on(destination, ["sql", "SELECT count(*) AS n FROM analyses", "--format", "csv"]).stdout == "n\n1\n")
        _ = try on(destination, ["errors", "a"])
        #expect(
            try on(destination, ["sql", "SELECT count(*) AS n FROM analyses", "--format", "csv"]).stdout == "n\n1\n")
        #expect(try Self.counts(cli, destination) == before)
        try sameRows("after reading at the destination")

        // Again: nothing changes, and it says so.
        let again = try on(source, ["push", "a", "--to", destination.location])
        #expect(again.stdout.hasSuffix("with the same content already: nothing changed.\n"), "\(again.stdout)")
        #expect(try Self.counts(cli, destination) == before)

        // A new evaluation at the source travels with the unchanged run; one only the destination has stays there.
        _ = try on(source, ["eval", "a", "--protocol", "voc12"])
        _ = try on(destination, ["confusion", "a"])
        let added = try on(source, ["push", "a", "--to", destination.location])
        #expect(
            added.stdout.hasSuffix("with the same content already: copied there: 1 evaluation.\n"), "\(added.stdout)")
        let kinds = "SELECT kind FROM analyses ORDER BY kind"
        #expect(try on(destination, ["sql", kinds, "--format", "csv"]).stdout == "kind\nconfusion\nerrors\n")
        let pulled = try on(source, ["pull", "a", "--from", destination.location])
        #expect(
            pulled.stdout.hasSuffix("with the same content already: copied there: 1 analysis.\n"), "\(pulled.stdout)")
        try sameRows("after push and pull")

        // --replace of other content replaces the run with its evaluations and analyses.
        _ = try on(
            destination, ["import", "a", detections, "--dataset", "fake100", "--box-offset", "1,0,0,0", "--replace"])
        let replaced = try on(source, ["push", "a", "--replace", "--to", destination.location])
        #expect(
            replaced.stdout.hasSuffix("replacing the run of that name: 734 detections, 4 evaluations, 2 analyses.\n"),
            "\(replaced.stdout)")
        try sameRows("after replace")
    }

    @Test func anUnknownRunIsRefusedBeforeAnythingIsCopied() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", coco]).status == 0)
        #expect(try cli.run(["import", "a", detections, "--dataset", "fake100"]).status == 0)
        let target = cli.folder.appendingPathComponent("target.sqlite").path
        let result = try cli.run(["push", "a", "nope", "--to", target])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("Error: no run named 'nope'"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
