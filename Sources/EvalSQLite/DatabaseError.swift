internal import CSQLite

/// An SQLite failure: the extended result code, SQLite's message, the SQL that failed and the database's path.
///
/// `kind` sorts failures by what a person can do about them; `description` says it for any database, and an
/// application may say it in its own words (evaldb's store does).
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// SQLite's extended result code (e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE).
    public var code: Int32
    /// SQLite's message.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?
    /// The database file, when known.
    public var path: String?

    public init(code: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// The primary result code (the low byte of `code`).
    public var primaryCode: Int32 { code & 0xFF }

    /// True when the failure is a write attempted on a read-only connection.
    public var isReadOnlyViolation: Bool { primaryCode == SQLITE_READONLY }

    /// True when another connection held the lock for longer than the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// True when SQLite could not create the files a shared read needs (a read-only folder).
    public var isReadOnlyDirectory: Bool {
        code == 1544 /* SQLITE_READONLY_DIRECTORY */ || code == 1288 /* SQLITE_READONLY_CANTINIT */
            || primaryCode == SQLITE_CANTOPEN
    }

    /// What went wrong, by what can be done about it.
    public enum Kind: Sendable, Equatable {
        /// The disk is full.
        case diskFull
        /// The file, its folder or the connection is read-only.
        case readOnly
        /// Another connection held the lock for longer than the busy timeout.
        case busy
        /// Not an SQLite file.
        case notADatabase
        /// The file is malformed.
        case corrupt
        /// The file cannot be opened.
        case cannotOpen
        /// The operating system failed a read or write.
        case ioError
        /// A constraint (unique, foreign key, check) refused a write.
        case constraint
        /// The SQL itself is wrong (a syntax error, an unknown column): SQLite's message explains it.
        case sql
        /// Anything else.
        case other
    }

    /// What went wrong.
    public var kind: Kind {
        switch primaryCode {
        case SQLITE_FULL: return .diskFull
        case SQLITE_READONLY: return .readOnly
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        case SQLITE_NOTADB: return .notADatabase
        case SQLITE_CORRUPT: return .corrupt
        case SQLITE_CANTOPEN: return .cannotOpen
        case SQLITE_IOERR: return .ioError
        case SQLITE_CONSTRAINT: return .constraint
        case SQLITE_ERROR: return .sql
        default: return .other
        }
    }

    /// SQLite's own words, for reference after an explanation.
    public var detail: String {
        var text = "SQLite \(code): \(message)"
        if let sql { text += "; in: \(sql.split(separator: "\n").joined(separator: " ").prefix(120))" }
        return text
    }

    /// The user's SQL error: SQLite's message, and the statement.
    public var sqlErrorDescription: String {
        "SQL error: \(message)\(sql.map { " (in: \($0.split(separator: "\n").joined(separator: " ").prefix(200)))" } ?? "")"
    }

    public var description: String {
        let database = path.map { "the database '\($0)'" } ?? "the database"
        let what: String
        switch kind {
        case .diskFull: what = "the disk holding \(database) is full"
        case .readOnly: what = "\(database) cannot be written (the file or its folder is read-only)"
        case .busy: what = "\(database) is busy: another connection held its lock for longer than the busy timeout"
        case .notADatabase: what = "\(path.map { "'\($0)'" } ?? "the file") is not an SQLite database"
        case .corrupt: what = "\(database) is damaged"
        case .cannotOpen: what = "cannot open \(database)"
        case .ioError: what = "reading or writing \(database) failed at the operating system"
        case .constraint: what = "\(database) refused a write that breaks a constraint"
        case .sql: return sqlErrorDescription
        case .other: what = "\(database) could not be used"
        }
        return "\(what) (\(detail))"
    }
}
