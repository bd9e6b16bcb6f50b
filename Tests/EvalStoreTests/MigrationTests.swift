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
        defer { try? FileManager.default.removeItem(atPath: path) }
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
}
