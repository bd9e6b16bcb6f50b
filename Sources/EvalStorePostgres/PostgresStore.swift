public import EvalStore

/// The store in a PostgreSQL database: evaldb's team backend (issue 16), with the tables and views of the SQLite
/// store under the same names, columns and values.
///
/// One connection per store, used by one command. `write` is one transaction in READ COMMITTED; writers that touch
/// the same run (or dataset) name serialize on a transaction-level advisory lock taken when the name is looked up
/// inside it, so an evaluation and a replace of one run cannot interleave, while importers of different runs write
/// at the same time. A transaction that PostgreSQL aborts for a deadlock is run again (the bodies only read and
/// write the store). Reads outside `write` run in autocommit; `evaluationInputs` reads in one REPEATABLE READ
/// READ ONLY snapshot.
public final class PostgresStore: Store {
    let connection: BlockingConnection
    /// True inside `write`: name lookups then take their advisory locks.
    private(set) var isWriting = false

    init(connection: BlockingConnection) { self.connection = connection }

    /// Opens the store at `url` for `mode`: connects, refuses a newer or foreign schema untouched, and migrates an
    /// older one (unless `mode` only reads). Throws `PostgresStoreError` and `StoreError.newerSchema`.
    public static func open(url: String, mode: StoreAccess, environment: [String: String]) throws -> PostgresStore {
        let location = try PostgresLocation(url: url, environment: environment)
        let connection = try BlockingConnection(location)
        try PostgresSchema.prepare(connection, mode: mode)
        return PostgresStore(connection: connection)
    }

    /// Closes the connection (also done when the store is released).
    public func close() { connection.close() }

    public var location: String { connection.location.redacted }

    public var datasets: any DatasetRepository { PostgresDatasets(store: self) }
    public var runs: any RunRepository { PostgresRuns(store: self) }
    public var evaluations: any EvaluationRepository { PostgresEvaluations(store: self) }
    public var baselines: any BaselineRepository { PostgresBaselines(store: self) }
    public var analyses: any AnalysisRepository { PostgresAnalyses(store: self) }

    /// SQLSTATEs of a transaction PostgreSQL gave up so that another could go on: run it again.
    static let retryableStates: Set<String> = ["40P01", "40001"]

    public func write<T>(_ body: () throws -> T) throws -> T {
        if isWriting { return try body() }
        var attempt = 1
        while true {
            try connection.query("BEGIN")
            isWriting = true
            do {
                let value = try body()
                isWriting = false
                try connection.query("COMMIT")
                return value
            } catch {
                isWriting = false
                _ = try? connection.query("ROLLBACK")
                if let state = (error as? PostgresStoreError)?.sqlState, Self.retryableStates.contains(state),
                    attempt < 5
                {
                    attempt += 1
                    continue
                }
                throw error
            }
        }
    }

    /// Inside `write`, waits for and takes the transaction's lock on a name of `kind` (1 runs, 2 datasets); shared
    /// locks let readers of a dataset go on together.
    func lockName(_ name: String, kind: Int32, shared: Bool = false) throws {
        guard isWriting else { return }
        let function = shared ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock"
        try connection.query("SELECT \(function)($1::integer, hashtext($2))", [.integer(Int64(kind)), .text(name)])
    }

    /// Runs `body` in one read-only snapshot (or in the open write transaction).
    func readSnapshot<T>(_ body: () throws -> T) throws -> T {
        try reading(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Runs `body` in a read-only transaction opened by `begin` (or in the open write transaction).
    func reading<T>(begin: String, _ body: () throws -> T) throws -> T {
        if isWriting { return try body() }
        try connection.query(begin)
        do {
            let value = try body()
            try connection.query("COMMIT")
            return value
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
    }

    public func evaluationInputs(datasetID: Int64, runID: Int64) throws -> EvaluationInputs {
        try readSnapshot { try PostgresInputLoader(connection: connection).inputs(datasetID: datasetID, runID: runID) }
    }

    /// The columns `evaldb datasets` lists.
    static let datasetColumns = [
        "name", "format", "images", "annotations", "ignored_regions", "categories", "runs", "default_protocol",
        "created_at",
    ]

    public func datasetSummaries() throws -> QueryResult {
        let result = try connection.query(
            "SELECT \(Self.datasetColumns.joined(separator: ", ")) FROM dataset_summary ORDER BY name COLLATE \"C\"")
        return QueryResult(columns: Self.datasetColumns, rows: result.valueRows)
    }

    public func runSummaries(_ listing: RunListing) throws -> QueryResult {
        try PostgresRunListing(store: self).summaries(listing)
    }

    public func runsWithoutDefaultEvaluation(dataset: String?) throws -> [String] {
        var sql = """
            SELECT r.name FROM runs r JOIN datasets d ON d.id = r.dataset_id
            WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.run_id = r.id AND e.is_default = 1)
            """
        var binds: [PostgresBind] = []
        if let dataset {
            sql += " AND d.name = $1"
            binds.append(.text(dataset))
        }
        return try connection.query(sql + " ORDER BY r.created_at, r.id", binds).valueRows.compactMap { $0[0].string }
    }

    public func execute(
        userStatement: String, parameters: [(name: String, value: StoreValue)], allowsWrites: Bool,
        columns: ([String]) throws -> Void, row: ([StoreValue]) throws -> Void
    ) throws -> Int {
        try UserStatement(connection: connection).execute(
            userStatement, parameters: parameters, allowsWrites: allowsWrites, columns: columns, row: row)
    }

    public var schemaMigrations: [(name: String, sql: String)] { PostgresSchema.migrations }

    public func currentSchema() throws -> [(kind: String, name: String, sql: String)] {
        var items: [(kind: String, name: String, sql: String)] = []
        let tables = try connection.query(
            """
            SELECT c.relname,
                   string_agg(format('    %I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                                     CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), E',\\n' ORDER BY a.attnum)
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
            GROUP BY c.relname ORDER BY c.relname
            """)
        for row in tables.valueRows {
            let name = row[0].string ?? ""
            items.append(("table", name, "CREATE TABLE \(name) (\n\(row[1].string ?? "")\n)"))
        }
        let indexes = try connection.query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
        items += indexes.valueRows.map { ("index", $0[0].string ?? "", $0[1].string ?? "") }
        let views = try connection.query(
            """
            SELECT viewname, pg_get_viewdef(format('%I', viewname)::regclass, true) FROM pg_views
            WHERE schemaname = current_schema() ORDER BY viewname
            """)
        items += views.valueRows.map {
            ("view", $0[0].string ?? "", "CREATE VIEW \($0[0].string ?? "") AS\n\($0[1].string ?? "")")
        }
        return items
    }
}
