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

    public func write<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }

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

    public func runSummaries(dataset: String?, condition: String?) throws -> QueryResult {
        var sql = "SELECT \(Self.runColumns.joined(separator: ", ")) FROM run_summary WHERE 1"
        var arguments: [SQLValue] = []
        if let dataset {
            sql += " AND dataset = ?"
            arguments.append(.text(dataset))
        }
        if let condition { sql += " AND (\(condition))" }
        sql += " ORDER BY created_at, name"
        let prepared = Result { () throws(DatabaseError) -> Statement in try database.prepareSingle(sql) }
        if case .failure(let error) = prepared, condition != nil, error.kind == .sql {
            throw StoreError.invalidCondition(error.message)
        }
        let statement = try prepared.get()
        guard statement.isReadOnly else { throw StoreError.writeNotAllowed }
        return try statement.queryResult(arguments)
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
