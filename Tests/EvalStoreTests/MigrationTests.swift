import Foundation
import Testing

import EvalSQLite
import EvalStore

@testable import EvalStoreSQLite

/// Upgrading a file written by an older evaldb keeps every imported row.
@Suite struct MigrationTests {
    /// Migration 3 replaced the per-detection `matches` and per-point `pr_points` tables: evaluations of an
    /// older file are dropped (they are recomputed on demand) while datasets, runs and detections stay.
    @Test func compactResultsMigrationKeepsImportsAndDropsOldEvaluations() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "evaldb-\(UUID().uuidString).sqlite"
        ).path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let db = try Database(path: path)
            for migration in SchemaMigrator.embeddedMigrations.prefix(2) { try db.execute(migration.sql) }
            try db.execute(
                """
                PRAGMA application_id = \(SchemaMigrator.applicationID);
                PRAGMA user_version = 2;
                INSERT INTO datasets VALUES (1, 'd', 'coco', 'gt.json', 'h', 'coco', 't', '0.1.0');
                INSERT INTO categories VALUES (1, 1, 'thing', NULL);
                INSERT INTO images VALUES (1, 1, 1, 'a.jpg', 10, 10);
                INSERT INTO runs VALUES (1, 'r', 1, 'coco', 'dets.json', 'h', '', 1, NULL, 't', '0.1.0');
                INSERT INTO detections VALUES (1, 0, 1, 1, 0.5, 0, 0, 5, 5);
                INSERT INTO evaluations VALUES (1, 1, 'coco', '{}', 'h', 'h', '0.1.0', 1.0, 't');
                INSERT INTO evaluation_metrics VALUES (1, 0, 'AP', 0.5);
                INSERT INTO pr_points VALUES (1, 1, 0.5, 0, 0.0, 1.0, 0.5);
                INSERT INTO matches VALUES (1, 1, 1, 0, 1, 0, NULL, NULL, NULL, NULL);
                """)
        }
        let db = try StoreConnection.open(path: path, mode: .write)
        #expect(try SchemaMigrator.version(of: db) == SchemaMigrator.currentVersion)
        for (table, rows) in [
            ("datasets", 1), ("runs", 1), ("detections", 1), ("evaluations", 0), ("evaluation_metrics", 0),
            ("image_matches", 0), ("pr_curves", 0),
        ] {
            #expect(try db.fetchValue("SELECT count(*) FROM \(table)") == .integer(Int64(rows)), "\(table)")
        }
        #expect(try db.fetchValue("SELECT count(*) FROM matches") == .integer(0))
    }

    /// `Schema/NNNN_*.sql`, the migrations' source of truth, in order.
    static func schemaFiles() throws -> [(name: String, sql: String)] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schema")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") && $0.first?.isNumber == true }.sorted()
        return try names.map { ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// Every schema version older than the current one.
    static let olderVersions: [Int] = Array(1..<max(1, (try? schemaFiles().count) ?? 1))

    /// Rows for the tables a version-`version` file has, added by the migration that created each table. Two
    /// datasets: `d` (COCO: two boxes, a crowd box) with run `r`, which finds both boxes exactly; `vd`
    /// (VisDrone: an ignore box with truncation and occlusion, an ignored region). Old evaluation rows with
    /// made-up values (evaldb recomputes evaluations; a migration must only keep or drop them as documented).
    static func rows(atVersion version: Int) -> String {
        var sql = """
            INSERT INTO datasets (id, name, format, source, sha256, default_protocol, created_at, evaldb_version)
            VALUES (1, 'd', 'coco', 'gt.json', 'h1', 'coco', '2026-01-01T00:00:00Z', '0.1.0'),
                   (2, 'vd', 'visdrone', 'vd', 'h2', 'visdrone', '2026-01-01T00:00:01Z', '0.1.0');
            INSERT INTO categories (dataset_id, category_id, name, supercategory)
            VALUES (1, 1, 'thing', 'stuff'), (2, 4, 'car', NULL);
            INSERT INTO images (id, dataset_id, external_id, file_name, width, height)
            VALUES (1, 1, 1, 'a.jpg', 100, 100), (2, 2, 1, 'v.jpg', 100, 80);
            INSERT INTO gt_boxes (id, dataset_id, image_id, category_id, annotation_id, x, y, w, h, area, is_crowd,
                                  is_ignored, is_difficult, truncation, occlusion)
            VALUES (1, 1, 1, 1, 7, 0, 0, 10, 10, 100, 0, 0, 0, NULL, NULL),
                   (2, 1, 1, 1, 8, 50, 50, 20, 20, 400, 0, 0, 0, NULL, NULL),
                   (3, 1, 1, 1, 9, 80, 0, 10, 10, 90.5, 1, 0, 0, NULL, NULL),
                   (4, 2, 2, 4, NULL, 10, 10, 20, 20, 400, 0, 1, 0, 1, 2);
            INSERT INTO ignored_regions (id, image_id, x, y, w, h) VALUES (1, 2, 60, 60, 30, 15);
            INSERT INTO runs (id, name, dataset_id, format, source, sha256, import_options, detection_count, note,
                              created_at, evaldb_version)
            VALUES (1, 'r', 1, 'coco', 'dets.json', 'h3', 'box-format=xyxy', 2, 'old run', '2026-01-02T00:00:00Z',
                    '0.1.0');
            INSERT INTO run_params (run_id, key, value) VALUES (1, 'lr', '0.1');
            INSERT INTO run_tags (run_id, key, value) VALUES (1, 'arch', 'x');
            INSERT INTO detections (run_id, seq, image_id, category_id, score, x, y, w, h)
            VALUES (1, 0, 1, 1, 0.9, 0, 0, 10, 10), (1, 1, 1, 1, 0.8, 50, 50, 20, 20);

            """
        if version >= 2 {
            sql += """
                INSERT INTO evaluations (id, run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                         duration_ms, created_at)
                VALUES (1, 1, 'coco', '{"old":1}', 'h1', 'h3', '0.1.0', 1.5, '2026-01-03T00:00:00Z');
                INSERT INTO evaluation_metrics (evaluation_id, position, metric, value) VALUES (1, 0, 'AP', 0.25);
                INSERT INTO class_metrics (evaluation_id, category_id, metric, iou, area, max_dets, value)
                VALUES (1, 1, 'AP', NULL, 'all', 100, 0.25);
                INSERT INTO class_counts (evaluation_id, category_id, iou, n_gt, n_det, tp, fp, fn)
                VALUES (1, 1, 0.5, 2, 2, 1, 1, 1);
                INSERT INTO evaluations (id, run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                         duration_ms, created_at)
                VALUES (2, 1, 'coco', '\(Self.defaultCocoParameters)', 'h0', 'h3', '0.1.0', 1.5, '2026-01-03T00:00:00Z'),
                       (3, 1, 'voc07', '{"iou":[0.5]}', 'h0', 'h3', '0.1.0', 1.5, '2026-01-03T00:00:00Z');

                """
        }
        if version == 2 {
            sql += """
                INSERT INTO pr_points VALUES (1, 1, 0.5, 0, 0.0, 1.0, 0.9);
                INSERT INTO matches VALUES (1, 1, 1, 0, 1, 0, 1, 1.0, NULL, NULL);

                """
        }
        if version >= 3 {
            sql += """
                INSERT INTO image_matches (evaluation_id, image_id, detections) VALUES (1, 1, '[[0,1,0,1,1.0,null,null]]');
                INSERT INTO pr_curves (evaluation_id, category_id, iou, precision, score) VALUES (1, 1, 0.5, '[1.0]', '[0.9]');

                """
        }
        if version >= 4 {
            sql += "INSERT INTO baselines (dataset_id, run_id, set_at) VALUES (1, 1, '2026-01-04T00:00:00Z');\n"
        }
        if version >= 7 {
            // A file written at version 7 or later has its default evaluation marked, as evaldb marks it.
            sql += "UPDATE evaluations SET is_default = 1 WHERE id = 2;\n"
        }
        if version < 10 {
            // Before migration 10 a run had a packed copy; this one is of the right size but all zeros, so an
            // evaluation that still read it would find nothing (the test's `eval` expects AP 1 from the table).
            sql += "INSERT INTO run_columns (run_id, count, data) VALUES (1, 2, zeroblob(112));\n"
        }
        return sql
    }

    /// The canonical parameters of COCO's defaults, as evaldb writes them (the cache key of a default evaluation).
    /// The evaluations stored with them here have a stale dataset hash (h0), so `eval` recomputes them.
    static let defaultCocoParameters =
        #"{"area_ranges":[["all",0.0,10000000000.0],["small",0.0,1024.0],["medium",1024.0,9216.0],["large",9216.0,10000000000.0]],"iou":[0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.8999999999999999,0.95],"max_dets":[1,10,100]}"#

    /// The tables checked after migrating and their expected CSV (header, then rows ordered by the query).
    static func expectedTables(from version: Int) -> [(query: String, csv: String)] {
        var tables: [(String, String)] = [
            (
                "SELECT id, name, format, source, sha256, default_protocol, created_at, evaldb_version FROM datasets ORDER BY id",
                "1,d,coco,gt.json,h1,coco,2026-01-01T00:00:00Z,0.1.0\n2,vd,visdrone,vd,h2,visdrone,2026-01-01T00:00:01Z,0.1.0"
            ),
            (
                "SELECT dataset_id, category_id, name, supercategory FROM categories ORDER BY 1, 2",
                "1,1,thing,stuff\n2,4,car,"
            ),
            (
                "SELECT id, dataset_id, external_id, file_name, width, height FROM images ORDER BY id",
                "1,1,1,a.jpg,100,100\n2,2,1,v.jpg,100,80"
            ),
            (
                "SELECT id, dataset_id, image_id, category_id, annotation_id, x, y, w, h, area, is_crowd, is_ignored, is_difficult, truncation, occlusion FROM gt_boxes ORDER BY id",
                "1,1,1,1,7,0.0,0.0,10.0,10.0,100.0,0,0,0,,\n2,1,1,1,8,50.0,50.0,20.0,20.0,400.0,0,0,0,,\n3,1,1,1,9,80.0,0.0,10.0,10.0,90.5,1,0,0,,\n4,2,2,4,,10.0,10.0,20.0,20.0,400.0,0,1,0,1,2"
            ),
            ("SELECT id, image_id, x, y, w, h FROM ignored_regions", "1,2,60.0,60.0,30.0,15.0"),
            (
                "SELECT id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at, evaldb_version FROM runs",
                "1,r,1,coco,dets.json,h3,box-format=xyxy,2,old run,2026-01-02T00:00:00Z,0.1.0"
            ),
            ("SELECT run_id, key, value FROM run_params", "1,lr,0.1"),
            ("SELECT run_id, key, value FROM run_tags", "1,arch,x"),
            (
                "SELECT run_id, seq, image_id, category_id, score, x, y, w, h FROM detections ORDER BY seq",
                "1,0,1,1,0.9,0.0,0.0,10.0,10.0\n1,1,1,1,0.8,50.0,50.0,20.0,20.0"
            ),
        ]
        // Migration 3 removes the evaluations stored before it; from version 3 on they are kept.
        let kept = version >= 3
        tables += [
            (
                "SELECT id, run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version, duration_ms, created_at FROM evaluations WHERE params = '{\"old\":1}'",
                kept ? "1,1,coco,\"{\"\"old\"\":1}\",h1,h3,0.1.0,1.5,2026-01-03T00:00:00Z" : ""
            ),
            ("SELECT * FROM evaluation_metrics WHERE evaluation_id = 1", kept ? "1,0,AP,0.25" : ""),
            ("SELECT * FROM class_metrics WHERE evaluation_id = 1", kept ? "1,1,AP,,all,100,0.25" : ""),
            ("SELECT * FROM class_counts WHERE evaluation_id = 1", kept ? "1,1,0.5,2,2,1,1,1" : ""),
            ("SELECT * FROM image_matches WHERE evaluation_id = 1", kept ? "1,1,\"[[0,1,0,1,1.0,null,null]]\"" : ""),
            ("SELECT * FROM pr_curves WHERE evaluation_id = 1", kept ? "1,1,0.5,[1.0],[0.9]" : ""),
            // The views read the kept rows (migrations 6 and 7 redefined `detection_matches`).
            (
                "SELECT run, seq, file_name, category_id, score, x, y, w, h, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75, outcome_first_iou, evaluation_id FROM detection_matches WHERE evaluation_id = 1",
                kept ? "r,0,a.jpg,1,0.9,0.0,0.0,10.0,10.0,1,0,1,1.0,,,TP,1" : ""
            ),
            ("SELECT dataset_id, run_id, set_at FROM baselines", version >= 4 ? "1,1,2026-01-04T00:00:00Z" : ""),
            // Migration 7 marks each run's default evaluation: its dataset's protocol (coco) with the defaults.
            ("SELECT id, is_default FROM evaluations ORDER BY id", kept ? "1,0\n2,1\n3,0" : ""),
            ("SELECT key, value, number FROM run_params", "lr,0.1,0.1"),
            // Migration 10 keeps one copy of the detections: the packed one is gone, with its triggers.
            (
                "SELECT count(*) FROM sqlite_master WHERE name IN ('run_columns', 'detections_updated', 'detections_deleted')",
                "0"
            ),
        ]
        return tables
    }

    /// A file at every older schema version, built from `Schema/*.sql` applied in order, is migrated by the current
    /// binary when it first opens it: the version becomes the current one, the schema is the one a new store gets,
    /// every row is kept (the evaluations stored before migration 3 excepted, as documented there), and the
    /// binary works with the data: its listings show it and `eval` computes the run's numbers from it (both boxes
    /// found exactly, 10x10 and 20x20: AP 1 at every threshold, small; no medium or large ground truth; both
    /// are in one image, so one detection per image finds half of them: AR1 = 1/2).
    @Test(arguments: olderVersions)
    func anOlderStoreIsMigratedByTheBinaryWithItsRowsIntact(version: Int) throws {
        let files = try Self.schemaFiles()
        #expect(files.count >= 5 && files.count > version)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "evaldb-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        do {
            let db = try Database(path: path)
            for file in files.prefix(version) {
                // As the runner applies it: a migration that rebuilds tables others refer to runs with the keys off.
                let keysOff = file.sql.contains(Migrations.foreignKeysOffMarker)
                if keysOff { try db.execute("PRAGMA foreign_keys = OFF") }
                try db.execute(file.sql)
                if keysOff { try db.execute("PRAGMA foreign_keys = ON") }
            }
            try db.execute("PRAGMA application_id = 1702257762; PRAGMA user_version = \(version);")
            try db.execute(Self.rows(atVersion: version))
        }
        let evaldb = EvaldbBinary(database: path, folder: folder)
        #expect(try evaldb.csv("PRAGMA user_version") == "\(files.count)")
        #expect(try evaldb.csv("PRAGMA application_id") == "1702257762")
        for (query, expected) in Self.expectedTables(from: version) {
            #expect(try evaldb.csv(query) == expected, "version \(version): \(query)")
        }
        #expect(try evaldb.csv("PRAGMA integrity_check") == "ok")
        #expect(try evaldb.csv("PRAGMA foreign_key_check") == "")

        // The schema is the one the binary gives a new store.
        let fresh = EvaldbBinary(database: folder.appendingPathComponent("new.sqlite").path, folder: folder)
        let gt = folder.appendingPathComponent("gt.json")
        try Data(
            """
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], "annotations": [],
             "categories": [{"id": 1, "name": "thing"}]}
            """.utf8
        ).write(to: gt)
        #expect(try fresh.run(["dataset", "import", "empty", gt.path]).status == 0)
        let schema =
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        #expect(try evaldb.csv(schema) == (try fresh.csv(schema)), "version \(version)")

        // The binary uses the migrated data.
        #expect(
            try evaldb.run(["runs", "--format", "csv"]).stdout
                == "name,dataset,format,detections,tags,params,note,created_at\nr,d,coco,2,arch=x,lr=0.1,old run,2026-01-02T00:00:00Z\n"
        )
        #expect(
            try evaldb.run(["baseline", "show", "--format", "csv"]).stdout
                == "dataset,run,set_at\n" + (version >= 4 ? "d,r,2026-01-04T00:00:00Z\n" : ""))
        let datasets = try evaldb.csv(
            "SELECT name, images, annotations, ignored_regions, runs FROM dataset_summary ORDER BY name")
        #expect(datasets == "d,1,3,0,1\nvd,1,1,1,0")
        let evaluation = try evaldb.run(["eval", "r", "--format", "csv"])
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let values = evaluation.stdout.split(separator: "\n").dropFirst().map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).suffix(2).joined(separator: "=")
        }
        #expect(
            values == [
                "AP=1.0", "AP50=1.0", "AP75=1.0", "APs=1.0", "APm=", "APl=", "AR1=0.5", "AR10=1.0", "AR100=1.0",
                "ARs=1.0", "ARm=", "ARl=",
            ], "version \(version)")
    }
}

/// Runs the built `evaldb` binary (`$EVALDB_BINARY`, else the one SwiftPM builds next to the tests) on one store.
struct EvaldbBinary {
    var database: String
    var folder: URL

    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["EVALDB_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var folders: [URL] = []
        let own = Bundle(for: BundleMarker.self).bundleURL
        folders.append(own.pathExtension == "xctest" ? own.deletingLastPathComponent() : own)
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        let found = folders.map { $0.appendingPathComponent("evaldb") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return found ?? folders[0].appendingPathComponent("evaldb")
    }()

    final class BundleMarker {}

    /// Runs evaldb with `arguments` and `--db`, waiting for it; the outputs are small.
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = Self.url
        process.arguments = arguments + ["--db", database]
        process.currentDirectoryURL = folder
        let out = folder.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
        #expect(FileManager.default.createFile(atPath: out.path, contents: nil))
        #expect(FileManager.default.createFile(atPath: err.path, contents: nil))
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, try String(contentsOf: out, encoding: .utf8),
            try String(contentsOf: err, encoding: .utf8)
        )
    }

    /// The rows of an `evaldb sql` query as CSV without the header line (nor the last newline).
    func csv(_ query: String) throws -> String {
        let result = try run(["sql", query, "--format", "csv"])
        #expect(result.status == 0, "\(query): \(result.stderr)")
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
            .joined(separator: "\n")
    }
}
