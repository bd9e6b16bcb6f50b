import EvalSQLite
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
        try db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT")
        try db.execute("CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id)) STRICT")
        let error = try #require(throws: DatabaseError.self) {
            try db.execute("INSERT INTO child (parent_id) VALUES (99)")
        }
        #expect(error.code == 787)  // SQLITE_CONSTRAINT_FOREIGNKEY
    }
}

@Suite struct MigrationsTests {
    static let migrations = Migrations(
        applicationID: 42,
        steps: [
            (name: "0001_a.sql", sql: "CREATE TABLE a (x INTEGER) STRICT;"),
            (name: "0002_b.sql", sql: "CREATE TABLE b (y INTEGER) STRICT; INSERT INTO a VALUES (1);"),
        ])

    @Test func appliesThePendingStepsAndRecordsTheVersionAndApplication() throws {
        let db = try Database.inMemory()
        #expect(try Self.migrations.compatibility(of: db) == .compatible(version: 0))
        try Self.migrations.apply(to: db)
        #expect(try Self.migrations.version(of: db) == 2)
        #expect(try db.fetchValue("PRAGMA application_id") == .integer(42))
        #expect(try db.fetchValue("SELECT count(*) FROM a") == .integer(1))
        // Applying again changes nothing.
        try Self.migrations.apply(to: db)
        #expect(try db.fetchValue("SELECT count(*) FROM a") == .integer(1))
    }

    @Test func startsFromTheRecordedVersion() throws {
        let db = try Database.inMemory()
        try Migrations(applicationID: 42, steps: Array(Self.migrations.steps.prefix(1))).apply(to: db)
        #expect(try Self.migrations.compatibility(of: db) == .compatible(version: 1))
        try Self.migrations.apply(to: db)
        #expect(try db.fetchValue("SELECT count(*) FROM b") == .integer(0))
        #expect(try Self.migrations.version(of: db) == 2)
    }

    @Test func tellsNewerAndForeignFilesApart() throws {
        let newer = try Database.inMemory()
        try Self.migrations.apply(to: newer)
        try newer.execute("PRAGMA user_version = 3")
        #expect(try Self.migrations.compatibility(of: newer) == .newer(version: 3))
        let foreign = try Database.inMemory()
        try foreign.execute("CREATE TABLE notes (x TEXT)")
        #expect(try Self.migrations.compatibility(of: foreign) == .foreign)
        let otherApplication = try Database.inMemory()
        try otherApplication.execute("PRAGMA application_id = 7")
        #expect(try Self.migrations.compatibility(of: otherApplication) == .foreign)
    }

    @Test func aFailingStepLeavesTheFileAsItWas() throws {
        let db = try Database.inMemory()
        let broken = Migrations(
            applicationID: 42,
            steps: Self.migrations.steps + [(name: "0003_bad.sql", sql: "CREATE TABLE c (z INTEGER); SELECT nope;")])
        #expect(throws: DatabaseError.self) { try broken.apply(to: db) }
        #expect(try broken.version(of: db) == 0)
        #expect(try db.fetchValue("SELECT count(*) FROM sqlite_schema") == .integer(0))
    }

    /// A parent table and a child that cascades from it, then a migration that rebuilds the parent.
    static let parentAndChild: [(name: String, sql: String)] = [
        (
            name: "0001_tables.sql",
            sql: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a'))) STRICT;
            CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE) STRICT;
            INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (1), (1);
            """
        ),
        (
            name: "0002_wider.sql",
            sql: """
            \(Migrations.foreignKeysOffMarker)
            PRAGMA legacy_alter_table = ON;
            ALTER TABLE parent RENAME TO parent_old;
            CREATE TABLE parent (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a', 'b'))) STRICT;
            INSERT INTO parent SELECT * FROM parent_old;
            DROP TABLE parent_old;
            PRAGMA legacy_alter_table = OFF;
            """
        ),
    ]

    @Test func aMarkedStepRebuildsAParentWithoutCascading() throws {
        let db = try Database.inMemory()
        try Migrations(applicationID: 42, steps: Self.parentAndChild).apply(to: db)
        #expect(try db.fetchValue("PRAGMA user_version") == .integer(2))
        #expect(try db.fetchValue("SELECT count(*) FROM child") == .integer(2))
        #expect(try db.fetchValue("PRAGMA foreign_keys") == .integer(1))
        try db.execute("INSERT INTO parent VALUES (2, 'b')")
        // The child still refers to the new table, and cascades from it.
        try db.execute("DELETE FROM parent WHERE id = 1")
        #expect(try db.fetchValue("SELECT count(*) FROM child") == .integer(0))
    }

    @Test func aMarkedStepThatOrphansRowsIsRolledBackAfterTheStepsBeforeIt() throws {
        let db = try Database.inMemory()
        let orphaning =
            Self.parentAndChild + [
                (name: "0003_orphans.sql", sql: "\(Migrations.foreignKeysOffMarker)\nDELETE FROM parent;")
            ]
        let error = #expect(throws: DatabaseError.self) {
            try Migrations(applicationID: 42, steps: [orphaning[0], orphaning[2]]).apply(to: db)
        }
        #expect(error?.message == "a migration left a row of child without its parent")
        // Step 1 ran in its own transaction and stays; step 2 (the marked one) left nothing.
        #expect(try db.fetchValue("PRAGMA user_version") == .integer(1))
        #expect(try db.fetchValue("SELECT count(*) FROM parent") == .integer(1))
        #expect(try db.fetchValue("PRAGMA foreign_keys") == .integer(1))
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

    /// With the default batch (as many rows as 32766 parameters hold: 16383 here), every row still lands once.
    @Test func theLargestBatchesInsertEveryRow() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, x REAL) STRICT")
        let total = 40_000
        try db.transaction {
            let insert = try BulkInsert(db, table: "t", columns: ["i", "x"], total: total)
            for i in 0..<total {
                try insert.row { statement, base in
                    statement.bind(int64: Int64(i), at: base + 1)
                    statement.bind(double: Double(i), at: base + 2)
                }
            }
        }
        #expect(try db.fetchValue("SELECT count(*) FROM t") == .integer(Int64(total)))
        #expect(try db.fetchValue("SELECT sum(i) FROM t") == .integer(Int64(total * (total - 1) / 2)))
    }

    /// A row that breaks a constraint in the middle of a batch fails the insert, and the caller's transaction
    /// leaves nothing of the batch (`OR FAIL` keeps the statement's earlier rows until the rollback).
    @Test func aFailingRowLeavesNothingOnceTheTransactionRollsBack() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, x REAL NOT NULL) STRICT")
        #expect(throws: DatabaseError.self) {
            try db.transaction {
                let insert = try BulkInsert(db, table: "t", columns: ["i", "x"], total: 100, rowsPerStatement: 64)
                for i in 0..<100 {
                    try insert.row { statement, base in
                        statement.bind(int64: Int64(i), at: base + 1)
                        try statement.bind(i == 40 ? .null : .real(1), at: base + 2)
                    }
                }
            }
        }
        #expect(try db.fetchValue("SELECT count(*) FROM t") == .integer(0))
    }
}
