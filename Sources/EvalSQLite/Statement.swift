internal import CSQLite

/// SQLite's destructor constant telling it to copy bound text and blobs.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement, reusable in bulk paths: bind, step, reset.
/// Finalized when released. Not thread-safe; belongs to its `Database`, which it keeps open while it lives.
public final class Statement {
    let handle: OpaquePointer
    /// The statement's SQL, for error messages.
    public let sql: String
    let database: Database

    init(database: Database, sql: String, single: Bool = false) throws(DatabaseError) {
        var statement: OpaquePointer?
        var trailing = ""
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v2(database.handle, text, -1, &statement, &tail)
            if let tail { trailing = String(cString: tail) }
            return code
        }
        guard code == SQLITE_OK, let statement else {
            throw database.error(code: code, sql: sql)
        }
        if single && !trailing.allSatisfy({ $0.isWhitespace || $0 == ";" }) {
            sqlite3_finalize(statement)
            throw DatabaseError(
                code: SQLITE_MISUSE, message: "give one SQL statement at a time (found more after the first)", sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// True when the statement does not write to the database (per `sqlite3_stmt_readonly`).
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    /// The result column names.
    public var columnNames: [String] {
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    /// The number of `?`/named parameters.
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// The 1-based index of a named parameter (`:name`, `@name` or `$name`), or nil.
    public func parameterIndex(_ name: String) -> Int32? {
        for prefix in [":", "@", "$"] {
            let index = sqlite3_bind_parameter_index(handle, prefix + name)
            if index > 0 { return index }
        }
        return nil
    }

    /// Resets the statement and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds positional values, starting at parameter 1.
    public func bind(_ values: [SQLValue]) throws(DatabaseError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value at a 1-based parameter index.
    public func bind(_ value: SQLValue, at index: Int32) throws(DatabaseError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
        case .real(let v): code = sqlite3_bind_double(handle, index, v)
        case .text(let v): code = sqlite3_bind_text(handle, index, v, -1, transientDestructor)
        case .blob(let v):
            code = v.withUnsafeBytes {
                sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transientDestructor)
            }
        }
        guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
    }

    /// Binds an integer without boxing it in `SQLValue` (bulk paths).
    @inline(__always)
    public func bind(int64 value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds a double without boxing it in `SQLValue` (bulk paths).
    @inline(__always)
    public func bind(double value: Double, at index: Int32) {
        sqlite3_bind_double(handle, index, value)
    }

    /// Binds UTF-8 text from raw bytes (copied by SQLite) without making a `String` (bulk paths).
    public func bind(utf8 bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws(DatabaseError) {
        let code = bytes.withMemoryRebound(to: CChar.self) {
            sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transientDestructor)
        }
        guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
    }

    /// Runs a statement that returns no rows (or ignores them), then resets it for reuse.
    public func run() throws(DatabaseError) {
        defer { sqlite3_reset(handle) }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else { throw database.error(code: code, sql: sql) }
    }

    /// Steps once: true when a row is available, false when done. Throws on failure.
    public func step() throws(DatabaseError) -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw database.error(code: code, sql: sql)
    }

    /// The value of a 0-based column of the current row.
    public func column(_ index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(handle, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    /// A 0-based integer column of the current row, read without boxing (bulk paths).
    @inline(__always)
    public func int64(at index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// A 0-based real column of the current row, read without boxing (bulk paths).
    @inline(__always)
    public func double(at index: Int32) -> Double { sqlite3_column_double(handle, index) }

    /// Runs the statement with `arguments` and returns every row; resets it afterwards.
    public func fetchAll(_ arguments: [SQLValue] = []) throws(DatabaseError) -> [Row] {
        sqlite3_reset(handle)
        try bind(arguments)
        defer { sqlite3_reset(handle) }
        let names = columnNames
        let count = Int32(names.count)
        var rows: [Row] = []
        while try step() {
            rows.append(Row(columns: names, values: (0..<count).map { column($0) }))
        }
        return rows
    }
}

extension Statement {
    /// Steps a write statement to its end and resets it, keeping its bindings (bulk inserts rebind only
    /// what changes).
    @inline(__always)
    public func stepToCompletion() throws(DatabaseError) {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let error = database.error(code: code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }
}

extension Statement {
    /// Calls `body` with the bytes of a 0-based BLOB column of the current row, without copying them.
    /// The buffer is valid only inside `body`.
    public func withBlob<T>(at index: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
