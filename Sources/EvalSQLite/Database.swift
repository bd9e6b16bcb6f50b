internal import CSQLite

/// A connection to an evaldb SQLite file (or an in-memory database), in the vocabulary of GRDB:
/// `read`, `write`, `transaction`, `fetchAll`, `fetchOne`.
///
/// Opened with WAL journaling, a busy timeout and foreign keys on. Not thread-safe: one connection per
/// command. Every write goes through `write`/`transaction`, which use `BEGIN IMMEDIATE` so that a
/// concurrent writer waits instead of failing half-way.
public final class Database {
    let handle: OpaquePointer
    /// The path opened (":memory:" for an in-memory database).
    public let path: String
    /// True when opened without write access.
    public let isReadOnly: Bool

    /// True when opened as an immutable file (a read-only folder where no `-shm` file can be created):
    /// changes others make meanwhile are not seen.
    public let isImmutable: Bool

    /// How long a write waits for another process's write to finish, by default.
    public static let defaultBusyTimeout: Duration = .seconds(600)

    /// Opens (creating when `create` and not read-only) the database at `path`. `immutable` (read-only only)
    /// opens it without any locking, for files in folders where SQLite cannot create its shared-memory file.
    /// Writers wait up to `busyTimeout` for another connection's write. Throws `DatabaseError` when SQLite
    /// cannot open it.
    public init(
        path: String, readOnly: Bool = false, create: Bool = true, immutable: Bool = false,
        busyTimeout: Duration = Database.defaultBusyTimeout
    ) throws(DatabaseError) {
        _ = Self.configured
        var connection: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        var target = path
        if immutable && readOnly {
            flags |= SQLITE_OPEN_URI
            target = "file:" + Self.uriEscaped(path) + "?immutable=1"
        }
        let code = sqlite3_open_v2(target, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let connection { sqlite3_close_v2(connection) }
            throw DatabaseError(code: code, message: message, path: path)
        }
        self.handle = connection
        self.path = path
        self.isReadOnly = readOnly
        self.isImmutable = immutable && readOnly
        let milliseconds =
            busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(connection, Int32(clamping: milliseconds))
        sqlite3_extended_result_codes(connection, 1)
        try execute("PRAGMA foreign_keys = ON")
        if !readOnly && path != ":memory:" {
            // A new database gets 64 KiB pages (SQLite's largest; an existing one keeps its own): a store holds
            // millions of small rows written and read in bulk, and per page SQLite pays a system call, a frame
            // header in the WAL and a B-tree cell walk. At 5M detections: import and checkpoint 0.4 s faster, the
            // evaluation's results stored in half the time. Must come before the WAL mode, which fixes the size.
            try execute("PRAGMA page_size = \(Self.newDatabasePageSize)")
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = NORMAL")
            // Bulk imports write tens of MB in one transaction: keep it in memory instead of spilling.
            try execute("PRAGMA cache_size = -32768")
        }
        if path != ":memory:" {
            // Read pages through a memory map rather than one read call each.
            try execute("PRAGMA mmap_size = 0")
        }
    }

    /// A path as a `file:` URI path: characters SQLite's URI parser treats specially are percent-encoded.
    static func uriEscaped(_ path: String) -> String {
        var text = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x21, 0x7F...:
                text += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            default:
                text.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return text
    }

    /// The page size of the databases connections create.
    public static let newDatabasePageSize = 65536

    /// Applies the process-wide SQLite configuration once, before any connection opens.
    private static let configured: Bool = evaldb_sqlite_configure() == SQLITE_OK

    /// A fresh private in-memory database (tests).
    public static func inMemory() throws(DatabaseError) -> Database {
        try Database(path: ":memory:")
    }

    deinit { sqlite3_close_v2(handle) }

    /// The SQLite library version, e.g. "3.40.1".
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }

    func error(code: Int32, sql: String?) -> DatabaseError {
        let extended = sqlite3_extended_errcode(handle)
        return DatabaseError(
            code: extended != 0 ? extended : code, message: String(cString: sqlite3_errmsg(handle)), sql: sql,
            path: path)
    }

    /// Runs one or more SQL statements that return no rows.
    public func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(code: sqlite3_extended_errcode(handle), message: text, sql: sql, path: path)
        }
    }

    /// Prepares a statement for repeated use.
    public func prepare(_ sql: String) throws(DatabaseError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Prepares exactly one statement; throws when `sql` holds more than one (user-typed SQL).
    public func prepareSingle(_ sql: String) throws(DatabaseError) -> Statement {
        try Statement(database: self, sql: sql, single: true)
    }

    /// Runs a single statement with arguments (no rows returned).
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(DatabaseError) {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        try statement.run()
    }

    /// All rows of a query.
    public func fetchAll(_ sql: String, _ arguments: [SQLValue] = []) throws(DatabaseError) -> [Row] {
        try prepare(sql).fetchAll(arguments)
    }

    /// The first row of a query, or nil.
    public func fetchOne(_ sql: String, _ arguments: [SQLValue] = []) throws(DatabaseError) -> Row? {
        try fetchAll(sql, arguments).first
    }

    /// The first column of the first row, or `.null`.
    public func fetchValue(_ sql: String, _ arguments: [SQLValue] = []) throws(DatabaseError) -> SQLValue {
        try fetchOne(sql, arguments)?.values.first ?? .null
    }

    /// The rowid of the last inserted row.
    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// True while a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT`; rolls back and rethrows when `body` throws,
    /// so nothing of a failed write remains.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(checkingForeignKeys: true, body)
    }

    /// `transaction`, with SQLite's foreign-key checks off inside it when `checkingForeignKeys` is false (they can
    /// only be switched between transactions): for bulk inserts whose references the caller checks. Deletes in
    /// `body` would not cascade either. The checks are on again afterwards, whatever `body` does.
    public func transaction<T>(checkingForeignKeys: Bool, _ body: () throws -> T) throws -> T {
        if !checkingForeignKeys {
            try execute("PRAGMA foreign_keys = OFF")
            defer { try? execute("PRAGMA foreign_keys = ON") }
            return try transaction(checkingForeignKeys: true, body)
        }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` with SQLite's page cache at `kibibytes` KiB, then restores the cache size it had, whatever
    /// `body` does. For passes that touch each page once or append in key order, where a small cache does as well
    /// as a large one and keeps the process's peak lower.
    public func withCacheSize<T>(kibibytes: Int, _ body: () throws -> T) throws -> T {
        let saved = try fetchValue("PRAGMA cache_size").int ?? -2000
        try execute("PRAGMA cache_size = -\(kibibytes)")
        defer { try? execute("PRAGMA cache_size = \(saved)") }
        return try body()
    }

    /// A write: the same as `transaction`.
    public func write<T>(_ body: () throws -> T) throws -> T {
        try transaction(body)
    }

    /// A read inside a deferred transaction, so that all queries in `body` see one snapshot.
    public func read<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }
}

extension String {
    /// The string with `0` prepended up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
