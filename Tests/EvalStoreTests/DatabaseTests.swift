import EvalSQLite
import EvalStore
import EvalStoreSQLite
import Foundation
import Testing

@Suite struct SchemaMigratorTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("evaldb-\(UUID().uuidString).sqlite").path
    }

    /// Removes a database file and the WAL files SQLite keeps beside it.
    func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func migratesAFreshFileAndRecordsTheVersion() throws {
        let path = temporaryPath()
        defer { remove(path) }
        let db = try StoreConnection.open(path: path, mode: .create)
        #expect(try SchemaMigrator.version(of: db) == SchemaMigrator.currentVersion)
        #expect(try db.fetchValue("PRAGMA journal_mode") == .text("wal"))
        #expect(try db.fetchValue("PRAGMA foreign_keys") == .integer(1))
        let views = try db.fetchAll("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name").map { $0[0] }
        #expect(
            views == [
                "class_ap", "class_summary", "confusion", "dataset_summary", "detection_matches", "dets",
                "eval_summary", "gt", "matches", "params", "pr_curve", "pr_points", "run_metrics", "run_summary",
                "tags", "thresholds", "tide_errors",
            ])
    }

    @Test func refusesANewerSchema() throws {
        let path = temporaryPath()
        defer { remove(path) }
        do {
            let db = try StoreConnection.open(path: path, mode: .create)
            try db.execute("PRAGMA user_version = \(SchemaMigrator.currentVersion + 1)")
        }
        let error = try #require(throws: StoreError.self) { try StoreConnection.open(path: path, mode: .write) }
        #expect(
            error.description
                == "\(path): written by a newer evaldb (schema version \(SchemaMigrator.currentVersion + 1); this evaldb knows up to \(SchemaMigrator.currentVersion)); upgrade evaldb to open it"
        )
    }

    @Test func refusesAnotherApplicationsDatabase() throws {
        let path = temporaryPath()
        defer { remove(path) }
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE notes (x TEXT)")
        }
        #expect(throws: StoreError.notAnEvaldbDatabase(path: path)) {
            try StoreConnection.open(path: path, mode: .create)
        }
    }

    @Test func readersRequireAnExistingFile() throws {
        let path = temporaryPath()
        #expect(throws: StoreError.databaseMissing(path: path)) {
            try StoreConnection.open(path: path, mode: .readOnly)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func readOnlyConnectionsCannotWrite() throws {
        let path = temporaryPath()
        defer { remove(path) }
        _ = try StoreConnection.open(path: path, mode: .create)
        let reader = try StoreConnection.open(path: path, mode: .readOnly)
        let error = try #require(throws: DatabaseError.self) {
            try reader.execute("DELETE FROM datasets")
        }
        #expect(error.isReadOnlyViolation)
    }

    @Test func pathResolutionPrefersTheOptionThenTheEnvironment() {
        #expect(StoreConnection.resolvePath("a.sqlite", environment: ["EVALDB_DB": "b.sqlite"]) == "a.sqlite")
        #expect(StoreConnection.resolvePath(nil, environment: ["EVALDB_DB": "b.sqlite"]) == "b.sqlite")
        #expect(StoreConnection.resolvePath(nil, environment: [:]) == "evaldb.sqlite")
    }
}

@Suite struct SchemaEmbeddingTests {
    /// The embedded migrations must be exactly the files in Schema/ (Scripts/embed-schema regenerates them).
    @Test func embeddedSchemaMatchesSchemaFolder() throws {
        let schemaFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: schemaFolder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == SchemaMigrator.migrations.map(\.name))
        for (file, migration) in zip(files, SchemaMigrator.migrations) {
            let text = try String(contentsOf: schemaFolder.appendingPathComponent(file), encoding: .utf8)
            let normalize = { (s: String) in
                s.split(separator: "\n", omittingEmptySubsequences: false).map {
                    $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
                }.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(normalize(text) == normalize(migration.sql), "Schema/\(file) differs: run Scripts/embed-schema")
        }
    }
}
