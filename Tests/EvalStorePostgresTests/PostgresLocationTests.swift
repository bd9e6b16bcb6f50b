import Testing

@testable import EvalStorePostgres

/// Reading `--db postgres://...` as libpq reads it, without a server.
@Suite struct PostgresLocationTests {
    @Test func readsEveryPartOfTheURL() throws {
        let location = try PostgresLocation(
            url: "postgresql://ann:s%40cret@db.example:6543/evals?sslmode=verify-full", environment: [:])
        #expect(location.user == "ann")
        #expect(location.password == "s@cret")
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.database == "evals")
        #expect(location.tlsMode == .verifyFull)
        #expect(location.redacted == "postgres://ann@db.example:6543/evals?sslmode=verify-full")
    }

    @Test func fillsInWhatTheURLLeavesOut() throws {
        let location = try PostgresLocation(
            url: "postgres:///", environment: ["USER": "bob", "PGPASSWORD": "pw", "PGHOST": "h"])
        #expect(location.user == "bob")
        #expect(location.database == "bob")
        #expect(location.host == "h")
        #expect(location.port == 5432)
        #expect(location.password == "pw")
        #expect(location.tlsMode == .prefer)
    }

    @Test func aSocketFolderIsAUnixSocket() throws {
        let location = try PostgresLocation(url: "postgres://u@%2Ftmp%2Fpg:5555/db", environment: [:])
        #expect(location.unixSocketPath == "/tmp/pg/.s.PGSQL.5555")
        let query = try PostgresLocation(url: "postgres://u@/db?host=/run/pg&port=7", environment: [:])
        #expect(query.unixSocketPath == "/run/pg/.s.PGSQL.7")
    }

    @Test(arguments: [
        "postgres://u@h/db?sslmode=sometimes", "postgres://u@h:99999/db", "postgres://u@h/db?colour=red",
        "postgres://u@h/d%zz",
    ])
    func refusesWhatItCannotUse(url: String) {
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url, environment: ["USER": "u"]) }
    }

    @Test func theMessageNeverShowsThePassword() {
        let text = PostgresStoreError.invalidURL(url: "postgres://u:hunter2@h/db?password=x2", reason: "r").description
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("x2"))
    }

    @Test func passFileLinesMatchWithWildcardsAndEscapes() {
        let file = """
            # comment
            other:5432:*:*:wrong
            db.example:*:evals:ann:first
            *:*:*:ann:a\\:b\\\\c
            """
        #expect(PassFile.password(in: file, host: "db.example", port: 1, database: "evals", user: "ann") == "first")
        #expect(PassFile.password(in: file, host: "x", port: 1, database: "y", user: "ann") == "a:b\\c")
        #expect(PassFile.password(in: file, host: "x", port: 1, database: "y", user: "zed") == nil)
    }
}

/// `evaldb sql` parameters and migrations split into statements.
@Suite struct PostgresStatementTests {
    @Test func namedParametersBecomeNumbered() {
        let (sql, names) = UserStatement.numberingParameters(
            "SELECT x::text, ':no' FROM t WHERE a = :run AND b = $name AND c = :run -- :comment\n AND d = $1")
        #expect(sql == "SELECT x::text, ':no' FROM t WHERE a = $2 AND b = $3 AND c = $2 -- :comment\n AND d = $1")
        #expect(names == ["", "run", "name"])
    }

    @Test func migrationsSplitAtSemicolonsOutsideQuotes() {
        let statements = PostgresSchema.statements(
            of: "-- a; comment\nCREATE TABLE t (a text DEFAULT ';');\nCREATE VIEW v AS SELECT $$;$$ AS x;\n")
        #expect(statements == ["CREATE TABLE t (a text DEFAULT ';')", "CREATE VIEW v AS SELECT $$;$$ AS x"])
    }

    @Test func theEmbeddedSchemaCreatesEveryDocumentedView() {
        let sql = PostgresSchema.migrations.map(\.sql).joined()
        for view in [
            "dataset_summary", "run_summary", "gt", "dets", "tags", "params", "run_metrics", "eval_summary", "class_ap",
            "class_summary", "pr_curve", "pr_points", "matches", "detection_matches", "tide_errors", "confusion",
            "thresholds",
        ] {
            #expect(sql.contains("CREATE VIEW \(view) AS"), "\(view)")
        }
    }
}
