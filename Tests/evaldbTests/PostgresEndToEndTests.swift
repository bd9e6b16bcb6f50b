import Foundation
import Testing

/// A throwaway PostgreSQL database for one test, on the server `EVALDB_TEST_POSTGRES` names (a URL whose user may
/// create databases, as `Scripts/pg-server` prints). Created with psql, dropped at the end.
struct PostgresTestDatabase {
    /// The server's URL, or nil: the PostgreSQL tests are skipped.
    static let serverURL: String? = {
        let value = ProcessInfo.processInfo.environment["EVALDB_TEST_POSTGRES"] ?? ""
        return value.isEmpty ? nil : value
    }()

    let name: String
    let url: String

    init() throws {
        let server = try #require(Self.serverURL)
        name = "evaldb_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try Self.psql(server, "CREATE DATABASE \(name)")
        url = Self.url(server, database: name)
    }

    func drop() {
        guard let server = Self.serverURL else { return }
        _ = try? Self.psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one statement with psql against `url` and returns its unaligned output.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "psql failed: \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `server` with its database replaced by `database`.
    static func url(_ server: String, database: String) -> String {
        var base = server
        var query = ""
        if let question = base.firstIndex(of: "?") {
            query = String(base[question...])
            base = String(base[..<question])
        }
        let scheme = base.range(of: "://")!.upperBound
        if let slash = base[scheme...].firstIndex(of: "/") { base = String(base[..<slash]) }
        return base + "/" + database + query
    }
}

/// The same commands against SQLite and PostgreSQL print the same JSON (timestamps aside), and what only
/// PostgreSQL promises: read-only `evaldb sql`, a newer schema refused untouched, 16 importers at once.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, "set EVALDB_TEST_POSTGRES to a server URL"), .serialized)
struct PostgresEndToEndTests {
    /// Timestamps differ between two imports; everything else must not.
    static func normalized(_ text: String) -> String {
        text.replacingOccurrences(
            of: #""(created_at|set_at)": "[0-9T:Z-]+""#, with: #""$1": "T""#, options: .regularExpression)
    }

    @Test func everyCommandPrintsTheSameJSONOnBothBackends() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        let steps: [[String]] = [
            ["dataset", "import", "fake100", coco],
            ["dataset", "import", "vd", CLI.fixture("visdrone-synth")],
            ["import", "a", detections, "--dataset", "fake100", "--tag", "arch=x", "--param", "lr=0.01"],
            ["import", "b", detections, "--dataset", "fake100", "--param", "lr=1e-3", "--box-offset", "1,0,0,0"],
            ["import", "v", CLI.fixture("visdrone-synth/results-A"), "--dataset", "vd"],
            ["datasets", "--format", "json"],
            ["runs", "--format", "json"],
            ["runs", "--metrics", "AP,AP50", "--params", "lr", "--sort", "-AP", "--format", "json"],
            ["runs", "--where", "name <> 'b'", "--sort", "lr", "--format", "json"],
            ["show", "a", "--format", "json"],
            ["eval", "a", "--format", "json"],
            ["eval", "a", "--protocol", "voc12", "--format", "json"],
            ["eval", "a", "--iou", "0.5", "--format", "json"],
            ["eval", "v", "--format", "json"],
            ["diff", "a", "b", "--format", "json"],
            ["diff", "a", "b", "--ci", "--format", "json"],
            ["eval", "a", "--images-where", "width > 400 AND file_name LIKE '%0%'", "--format", "json"],
            ["check", detections, "--dataset", "fake100"],
            ["check", detections, "--dataset", "fake100", "--box-offset", "1,0,0,0", "--explain"],
            ["baseline", "set", "a"],
            ["baseline", "show", "--format", "json"],
            ["diff", "b", "--format", "json"],
            ["errors", "a", "--format", "json"],
            ["confusion", "a", "--format", "json"],
            ["thresholds", "a", "--format", "json"],
            ["tag", "b", "arch=y"],
            ["note", "b", "a note"],
            ["param", "a", "--remove", "lr"],
            ["baseline", "clear", "fake100"],
            ["baseline", "clear", "fake100"],
            ["baseline", "show", "--format", "json"],
            ["rename", "b", "c"],
            ["runs", "--format", "json"],
            [
                "sql",
                "SELECT run, protocol, is_default, metric, value FROM eval_summary ORDER BY run, evaluation_id, position",
                "--format", "json",
            ],
            ["sql", "SELECT * FROM run_metrics ORDER BY run", "--format", "json"],
            ["sql", "SELECT * FROM params ORDER BY run, key", "--format", "json"],
            ["sql", "SELECT * FROM class_summary ORDER BY run, evaluation_id, category_id", "--format", "json"],
            [
                "sql", "SELECT count(*) AS n, sum(tp_mask) AS tp, count(iou_50) AS matched FROM detection_matches",
                "--format", "json",
            ],
            ["sql", "SELECT * FROM matches ORDER BY evaluation_id, seq LIMIT 50", "--format", "json"],
            [
                "sql",
                "SELECT run, category_id, iou, recall_index, recall, precision, score FROM pr_curve "
                    + "WHERE category_id = 1 ORDER BY run, protocol, evaluation_id, iou, recall_index", "--format",
                "json",
            ],
            ["sql", "SELECT * FROM gt ORDER BY dataset, image_id, annotation_id LIMIT 40", "--format", "json"],
            ["sql", "SELECT * FROM dets WHERE run = :run ORDER BY seq LIMIT 40", "-p", "run", "a", "--format", "json"],
            [
                // Mixed-case columns are quoted identifiers on PostgreSQL (SQLite takes the quotes as well).
                "sql",
                "SELECT run, category_id, category, error, count, \"dAP\" FROM tide_errors "
                    + "ORDER BY category_id NULLS FIRST, error", "--format", "json",
            ],
            [
                "sql", "SELECT * FROM confusion ORDER BY gt_category_id NULLS FIRST, predicted_category_id NULLS FIRST",
                "--format", "json",
            ],
            ["sql", "SELECT * FROM thresholds ORDER BY category_id NULLS FIRST", "--format", "json"],
            ["delete", "c"],
            ["runs", "--format", "json"],
        ]
        for step in steps {
            let onSQLite = try cli.run(step)
            let onPostgres = try cli.run(step, withDatabase: false, environment: ["EVALDB_DB": database.url])
            #expect(onSQLite.status == 0, "\(step): \(onSQLite.stderr)")
            #expect(onPostgres.status == onSQLite.status, "\(step): \(onPostgres.stderr)")
            #expect(Self.normalized(onPostgres.stdout) == Self.normalized(onSQLite.stdout), "\(step)")
        }
    }

    @Test func schemaHistoryPrintsPostgreSQLsMigrations() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let history = try cli.run(["schema", "--history", "--db", database.url], withDatabase: false)
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.hasPrefix("-- 0001_initial.sql\n"))
        #expect(history.stdout.contains("GENERATED BY DEFAULT AS IDENTITY"))
        #expect(!history.stdout.contains("STRICT"))
        let onSQLite = try cli.run(["schema", "--history"])
        #expect(onSQLite.stdout.contains("0010_one_copy_of_detections.sql"))
    }

    @Test func theDemoGoesIntoAPostgreSQLStoreWithoutItsNames() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let demo = try cli.run(["demo", "--dir", "pgdemo", "--db", database.url], withDatabase: false)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("  psql '\(database.url)'\n"), "\(demo.stdout)")
        let sqliteDemo = try cli.run(["demo", "--dir", "sqlitedemo"], withDatabase: false)
        #expect(sqliteDemo.status == 0, "\(sqliteDemo.stderr)")
        let sqliteDatabase = cli.folder.appendingPathComponent("sqlitedemo/evaldb.sqlite").path
        for step in [["runs", "--format", "json"], ["eval", "candidate", "--format", "json"]] {
            let onPostgres = try cli.run(step + ["--db", database.url], withDatabase: false)
            let onSQLite = try cli.run(step + ["--db", sqliteDatabase], withDatabase: false)
            #expect(onPostgres.status == 0, "\(onPostgres.stderr)")
            #expect(Self.normalized(onPostgres.stdout) == Self.normalized(onSQLite.stdout), "\(step)")
        }
        // Again into the same store: its names are taken, and nothing there is replaced.
        let again = try cli.run(["demo", "--dir", "pgdemo2", "--db", database.url], withDatabase: false)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already has dataset 'demo-visdrone', run 'baseline', run 'candidate'"))
    }

    @Test func sqlIsReadOnlyUnlessWriteIsGiven() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        #expect(
            try cli.run(["dataset", "import", "fake100", coco, "--db", database.url], withDatabase: false).status == 0)
        let refused = try cli.run(["sql", "DELETE FROM categories", "--db", database.url], withDatabase: false)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("read-only unless you pass --write"))
        #expect(try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM categories") == "80")
        let written = try cli.run(
            [
                "sql", "UPDATE categories SET supercategory = :kind WHERE category_id > :id", "-p", "kind", "x", "-p",
                "id", "80", "--write", "--db", database.url,
            ], withDatabase: false)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stderr == "9 row(s) changed.\n")
        #expect(
            try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM categories WHERE supercategory = 'x'")
                == "9")
        // Two statements are one too many: the extended protocol refuses them.
        let two = try cli.run(["sql", "SELECT 1; SELECT 2", "--db", database.url], withDatabase: false)
        #expect(two.status == 1)
    }

    @Test func aNewerSchemaIsRefusedUntouched() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        #expect(
            try cli.run(["dataset", "import", "fake100", coco, "--db", database.url], withDatabase: false).status == 0)
        try PostgresTestDatabase.psql(
            database.url,
            "INSERT INTO evaldb_schema VALUES (99, '0099_future.sql', '2030-01-01T00:00:00Z', '9.0.0')")
        let before = try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM datasets")
        let result = try cli.run(
            ["dataset", "import", "again", coco, "--db", database.url], withDatabase: false)
        #expect(result.status == 1)
        #expect(result.stderr.contains("written by a newer evaldb (schema version 99"))
        #expect(try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM datasets") == before)
    }

    @Test func sixteenImportersInSeparateProcessesAllSucceed() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(
            try cli.run(["dataset", "import", "fake100", coco, "--db", database.url], withDatabase: false).status == 0)
        var processes: [Process] = []
        for index in 0..<16 {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["import", "run\(index)", detections, "--dataset", "fake100", "--db", database.url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 16))
        #expect(try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM runs") == "16")
        #expect(try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM detections") == "\(16 * 734)")
        #expect(
            try PostgresTestDatabase.psql(database.url, "SELECT count(*) FROM evaluations WHERE is_default = 1") == "16"
        )
    }
}
