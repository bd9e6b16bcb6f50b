import EvalFormats
import EvalKit
public import EvalSQLite
public import EvalStore

/// The store in one SQLite file (or in memory): evaldb's embedded backend.
///
/// One connection per command, not shared between threads. `write` is `BEGIN IMMEDIATE ... COMMIT`, so a second
/// writer waits (up to the busy timeout) instead of failing half-way; in WAL mode readers never wait.
public final class SQLiteStore: Store {
    /// The connection.
    public let database: Database

    public init(_ database: Database) { self.database = database }

    /// Opens the store at `path` for `mode` (see `StoreConnection.open`).
    public static func open(
        path: String, mode: StoreConnection.Mode, busyTimeout: Duration = Database.defaultBusyTimeout
    ) throws -> SQLiteStore {
        SQLiteStore(try StoreConnection.open(path: path, mode: mode, busyTimeout: busyTimeout))
    }

    /// A fresh in-memory store (tests).
    public static func inMemory() throws -> SQLiteStore {
        SQLiteStore(try StoreConnection.open(path: ":memory:", mode: .create))
    }

    public var location: String { database.path }

    /// True when read as an immutable file (a read-only folder): changes others make meanwhile are not seen.
    public var isImmutable: Bool { database.isImmutable }

    public var datasets: any DatasetRepository { SQLiteDatasets(database: database) }
    public var runs: any RunRepository { SQLiteRuns(database: database) }
    public var evaluations: any EvaluationRepository { SQLiteEvaluations(database: database) }
    public var baselines: any BaselineRepository { SQLiteBaselines(database: database) }
    public var analyses: any AnalysisRepository { SQLiteAnalyses(database: database) }

    public func write<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }

    public func writeCheckedByCaller<T>(_ body: () throws -> T) throws -> T {
        try database.transaction(checkingForeignKeys: false, body)
    }

    public func evaluationInputs(datasetID: Int64, runID: Int64) throws -> EvaluationInputs {
        try EvaluationInputLoader(database).inputs(datasetID: datasetID, runID: runID)
    }

    /// The columns `evaldb datasets` lists.
    static let datasetColumns = [
        "name", "format", "images", "annotations", "ignored_regions", "categories", "runs", "default_protocol",
        "created_at",
    ]

    /// The columns `evaldb runs` lists.
    static let runColumns = ["name", "dataset", "format", "detections", "tags", "params", "note", "created_at"]

    public func datasetSummaries() throws -> QueryResult {
        try database.query(
            "SELECT \(Self.datasetColumns.joined(separator: ", ")) FROM dataset_summary ORDER BY name", [])
    }

    public func runSummaries(_ listing: RunListing) throws -> QueryResult {
        var select = listing.isLeaderboard ? ["s.name", "s.dataset"] : Self.runColumns.map { "s.\($0)" }
        var arguments: [SQLValue] = []
        var shown = listing.isLeaderboard ? ["name", "dataset"] : Self.runColumns
        /// A column name for a param or tag key: the key, unless it is taken by a listed column.
        func columnName(_ key: String, kind: String) -> String {
            shown.contains(key) || RunListing.metricNames.contains(key) ? "\(kind).\(key)" : key
        }
        for metric in listing.metrics {
            guard RunListing.metricNames.contains(metric) else {
                throw StoreError.unknownListingMetric(metric, available: RunListing.metricNames)
            }
            select.append("m.\(metric)")
            shown.append(metric)
        }
        for (keys, kind, table) in [(listing.params, "param", "run_params"), (listing.tags, "tag", "run_tags")] {
            for key in keys {
                let name = columnName(key, kind: kind)
                select.append(
                    "(SELECT v.value FROM \(table) v WHERE v.run_id = s.run_id AND v.key = ?) AS \(Self.quoted(name))")
                arguments.append(.text(key))
                shown.append(name)
            }
        }
        if listing.isLeaderboard {
            select += ["s.detections", "s.created_at"]
            shown += ["detections", "created_at"]
        }
        // The user's condition runs over run_summary alone (its columns unqualified), inside.
        var runs = "SELECT *, (SELECT id FROM runs WHERE runs.name = run_summary.name) AS run_id FROM run_summary"
        if let condition = listing.condition {
            // The condition alone first, so that SQLite's message is about the text the user typed (not about
            // the parentheses it is wrapped in below).
            let alone = Result { () throws(DatabaseError) -> Statement in
                try database.prepareSingle("SELECT 1 FROM run_summary WHERE \(condition)")
            }
            if case .failure(let error) = alone, error.kind == .sql {
                throw StoreError.invalidCondition(error.message)
            }
            runs += " WHERE (\(condition))"
        }
        var sql = """
            SELECT \(select.joined(separator: ", "))
            FROM (\(runs)) s LEFT JOIN run_metrics m ON m.run = s.name
            WHERE 1
            """
        if let dataset = listing.dataset {
            sql += " AND s.dataset = ?"
            arguments.append(.text(dataset))
        }
        for (pairs, table) in [(listing.tagFilters, "run_tags"), (listing.paramFilters, "run_params")] {
            for pair in pairs {
                sql += " AND EXISTS (SELECT 1 FROM \(table) f WHERE f.run_id = s.run_id AND f.key = ? AND f.value = ?)"
                arguments += [.text(pair.key), .text(pair.value)]
            }
        }
        if let sort = listing.sort {
            let order = try sortExpression(sort.key, shown: shown, arguments: &arguments)
            let direction = sort.descending ? "DESC" : "ASC"
            sql += " ORDER BY " + order.map { "\($0) \(direction) NULLS LAST" }.joined(separator: ", ")
            sql += ", s.created_at, s.name"
        } else {
            sql += " ORDER BY s.created_at, s.name"
        }
        let statement = try database.prepareSingle(sql)
        guard statement.isReadOnly else { throw StoreError.writeNotAllowed }
        var result = try statement.queryResult(arguments)
        result.columns = shown
        return result
    }

    /// The ORDER BY terms for a sort key: a listed column or metric; else a param (as a number where it is one,
    /// then as text), else a tag. Throws `StoreError.unknownSortKey` otherwise.
    private func sortExpression(_ key: String, shown: [String], arguments: inout [SQLValue]) throws -> [String] {
        if RunListing.metricNames.contains(key) { return ["m.\(key)"] }
        let runColumns = Self.runColumns + ["import_options", "source", "sha256", "images_with_detections"]
        if runColumns.contains(key) { return ["s.\(key)"] }
        // `param.k` / `tag.k`: the columns of a param or tag whose key is taken by another column.
        var key = key
        let onlyTags = key.hasPrefix("tag.") && shown.contains(key)
        if key.hasPrefix("param.") || key.hasPrefix("tag."), shown.contains(key) {
            key = String(key.drop { $0 != "." }.dropFirst())
        }
        let isParam =
            onlyTags
            ? 0 : try database.fetchValue("SELECT count(*) FROM run_params WHERE key = ?", [.text(key)]).int ?? 0
        if isParam > 0 {
            arguments += [.text(key), .text(key)]
            return [
                "(SELECT v.number FROM run_params v WHERE v.run_id = s.run_id AND v.key = ?)",
                "(SELECT v.value FROM run_params v WHERE v.run_id = s.run_id AND v.key = ?)",
            ]
        }
        let isTag = try database.fetchValue("SELECT count(*) FROM run_tags WHERE key = ?", [.text(key)]).int ?? 0
        if isTag > 0 {
            arguments.append(.text(key))
            return ["(SELECT v.value FROM run_tags v WHERE v.run_id = s.run_id AND v.key = ?)"]
        }
        throw StoreError.unknownSortKey(key, available: shown + RunListing.metricNames.filter { !shown.contains($0) })
    }

    public func runsWithoutDefaultEvaluation(dataset: String?) throws -> [String] {
        var sql = """
            SELECT r.name FROM runs r JOIN datasets d ON d.id = r.dataset_id
            WHERE NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.run_id = r.id AND e.is_default = 1)
            """
        var arguments: [SQLValue] = []
        if let dataset {
            sql += " AND d.name = ?"
            arguments.append(.text(dataset))
        }
        return try database.fetchAll(sql + " ORDER BY r.created_at, r.id", arguments).compactMap { $0[0].string }
    }

    /// `name` as an SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    public func execute(
        userStatement: String, parameters: [(name: String, value: StoreValue)], allowsWrites: Bool,
        columns: ([String]) throws -> Void, row: ([StoreValue]) throws -> Void
    ) throws -> Int {
        let prepared = try database.prepareSingle(userStatement)
        if !prepared.isReadOnly && !allowsWrites { throw StoreError.writeNotAllowed }
        for (name, value) in parameters {
            let index: Int32
            if let position = Int32(name), position >= 1, Int(position) <= prepared.parameterCount {
                index = position
            } else if let named = prepared.parameterIndex(name) {
                index = named
            } else {
                throw StoreError.unknownParameter(name)
            }
            try prepared.bind(value.sqlValue, at: index)
        }
        // One statement runs atomically on its own; no wrapping transaction, so VACUUM and PRAGMAs work.
        let names = prepared.columnNames
        try columns(names)
        let count = Int32(names.count)
        var values = [StoreValue](repeating: .null, count: names.count)
        while try prepared.step() {
            for index in 0..<count { values[Int(index)] = StoreValue(prepared.column(index)) }
            try row(values)
        }
        return names.isEmpty ? database.changes : 0
    }

    public var schemaMigrations: [(name: String, sql: String)] { SchemaMigrator.migrations }

    public func currentSchema() throws -> [(kind: String, name: String, sql: String)] {
        try database.fetchAll(
            """
            SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
            ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name
            """
        ).map { (kind: $0[0].string ?? "", name: $0[1].string ?? "", sql: $0[2].string ?? "") }
    }
}

extension StoreValue {
    /// The SQLite value.
    var sqlValue: SQLValue {
        switch self {
        case .null: return .null
        case .integer(let value): return .integer(value)
        case .real(let value): return .real(value)
        case .text(let value): return .text(value)
        case .blob(let value): return .blob(value)
        }
    }

    init(_ value: SQLValue) {
        switch value {
        case .null: self = .null
        case .integer(let value): self = .integer(value)
        case .real(let value): self = .real(value)
        case .text(let value): self = .text(value)
        case .blob(let value): self = .blob(value)
        }
    }
}

extension Statement {
    /// Binds `arguments` (when any) and reads every row with the column names.
    func queryResult(_ arguments: [SQLValue]) throws -> QueryResult {
        if !arguments.isEmpty { try bind(arguments) }
        let columns = columnNames
        var rows: [[StoreValue]] = []
        let count = Int32(columns.count)
        while try step() {
            rows.append((0..<count).map { StoreValue(column($0)) })
        }
        return QueryResult(columns: columns, rows: rows)
    }
}

extension Database {
    /// Every row of `sql` with its column names.
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> QueryResult {
        try prepare(sql).queryResult(arguments)
    }
}
