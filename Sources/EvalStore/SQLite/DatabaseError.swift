internal import CSQLite

/// An SQLite failure: the extended result code, SQLite's message, the SQL that failed and the store's path.
///
/// Its `description` is the one place where SQLite's failures become messages for people: it names the store
/// and says what to do (disk full, read-only, busy, not an SQLite file, damaged), with SQLite's own words
/// after it for reference.
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
    var isReadOnlyDirectory: Bool {
        code == 1544 /* SQLITE_READONLY_DIRECTORY */ || code == 1288 /* SQLITE_READONLY_CANTINIT */
            || primaryCode == SQLITE_CANTOPEN
    }

    /// SQLite's own words, for reference after the explanation.
    var detail: String {
        var text = "SQLite \(code): \(message)"
        if let sql { text += "; in: \(sql.split(separator: "\n").joined(separator: " ").prefix(120))" }
        return text
    }

    public var description: String {
        let store = path.map { "the store '\($0)'" } ?? "the store"
        let what: String
        switch primaryCode {
        case SQLITE_FULL:
            what =
                "the disk holding \(store) is full: nothing of this command was stored; free some space and run it again"
        case SQLITE_READONLY:
            what =
                "\(store) cannot be written (the file or its folder is read-only, or another program opened it read-only): commands that only read it still work; to change it, make it writable or work on a copy"
        case SQLITE_BUSY, SQLITE_LOCKED:
            what =
                "\(store) is busy: another evaldb process has been writing to it for longer than this command waits (EVALDB_BUSY_TIMEOUT seconds, default 600); run it again when that one is done"
        case SQLITE_NOTADB:
            what =
                "\(path.map { "'\($0)'" } ?? "the file") is not an evaldb store (not an SQLite database); choose another --db path"
        case SQLITE_CORRUPT:
            what = "\(store) is damaged (SQLite finds it malformed): restore it from a copy, or import into a new store"
        case SQLITE_CANTOPEN:
            what = "cannot open \(store): check that its folder exists and that you may read (and write) it"
        case SQLITE_IOERR:
            what =
                "reading or writing \(store) failed at the operating system (a full or failing disk?); nothing of this command was stored"
        case SQLITE_CONSTRAINT:
            what =
                "\(store) refused a write that breaks its consistency rules (a bug: please report it); nothing was stored"
        case SQLITE_ERROR:
            // Mostly SQL a user typed (`evaldb sql`, --images-where): SQLite's message is the explanation.
            return
                "SQL error: \(message)\(sql.map { " (in: \($0.split(separator: "\n").joined(separator: " ").prefix(200)))" } ?? "")"
        default:
            what = "\(store) could not be used"
        }
        return "\(what) (\(detail))"
    }
}
