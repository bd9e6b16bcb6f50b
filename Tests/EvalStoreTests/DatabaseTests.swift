import EvalStore
import Foundation
import Testing

@Suite struct DatabaseTests {
    @Test func bindsAndReadsEveryValueType() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT) STRICT")
        try db.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(-7), .real(0.1), .text("é"), .blob([0, 255]), .null])
        let row = try #require(try db.fetchOne("SELECT i, r, s, b, n FROM t"))
        #expect(row["i"] == .integer(-7))
        #expect(row["r"] == .real(0.1))
        #expect(row["s"] == .text("é"))
        #expect(row["b"] == .blob([0, 255]))
        #expect(row["n"] == .null)
        #expect(row.columns == ["i", "r", "s", "b", "n"])
    }

    @Test func errorsCarryTheExtendedCodeMessageAndSQL() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY) STRICT")
        try db.execute("INSERT INTO t VALUES ('a')")
        let error = try #require(throws: DatabaseError.self) {
            try db.execute("INSERT INTO t VALUES (?)", [.text("a")])
        }
        #expect(error.code == 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
        #expect(error.message.contains("UNIQUE constraint failed"))
        #expect(error.sql == "INSERT INTO t VALUES (?)")
    }

    @Test func aFailedTransactionLeavesNothing() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (k INTEGER) STRICT")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.fetchValue("SELECT count(*) FROM t") == .integer(0))
        #expect(!db.isInTransaction)
    }

    @Test func prepareSingleRefusesSeveralStatements() throws {
        let db = try Database.inMemory()
        #expect(throws: DatabaseError.self) { try db.prepareSingle("SELECT 1; SELECT 2") }
        #expect(try db.prepareSingle("SELECT 1;  ").fetchAll().count == 1)
    }

    @Test func foreignKeysAreEnforced() throws {
        let db = try Database.inMemory()
        try SchemaMigrator.migrate(db)
        let error = try #require(throws: DatabaseError.self) {
            try db.execute(
                "INSERT INTO images (dataset_id, external_id, file_name, width, height) VALUES (99, 1, 'a', 1, 1)")
        }
        #expect(error.code == 787)  // SQLITE_CONSTRAINT_FOREIGNKEY
    }
}

@Suite struct SchemaMigratorTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("evaldb-\(UUID().uuidString).sqlite").path
    }

    @Test func migratesAFreshFileAndRecordsTheVersion() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try StoreConnection.open(path: path, mode: .create)
        #expect(try SchemaMigrator.version(of: db) == SchemaMigrator.currentVersion)
        #expect(try db.fetchValue("PRAGMA journal_mode") == .text("wal"))
        #expect(try db.fetchValue("PRAGMA foreign_keys") == .integer(1))
        let views = try db.fetchAll("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name").map { $0[0] }
        #expect(
            views == [
                "class_ap", "class_summary", "dataset_summary", "detection_matches", "dets", "eval_summary", "gt",
                "matches", "params", "pr_curve", "pr_points", "run_summary", "tags",
            ])
    }

    @Test func refusesANewerSchema() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
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
        defer { try? FileManager.default.removeItem(atPath: path) }
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
        defer { try? FileManager.default.removeItem(atPath: path) }
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

@Suite struct BulkInsertTests {
    @Test(arguments: [0, 1, 63, 64, 65, 130, 1000])
    func insertsEveryRowInOrder(total: Int) throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (i INTEGER, x REAL) STRICT")
        let insert = try BulkInsert(db, table: "t", columns: ["i", "x"], total: total, rowsPerStatement: 64)
        for i in 0..<total {
            try insert.row { statement, base in
                statement.bind(int64: Int64(i), at: base + 1)
                statement.bind(double: Double(i) / 4, at: base + 2)
            }
        }
        let rows = try db.fetchAll("SELECT i, x FROM t ORDER BY rowid")
        #expect(rows.count == total)
        #expect(rows.map { $0[0].int ?? -1 } == Array(0..<total))
        #expect(rows.map { $0[1].double ?? -1 } == (0..<total).map { Double($0) / 4 })
    }
}
