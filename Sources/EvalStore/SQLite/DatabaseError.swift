internal import CSQLite

/// An SQLite failure: the extended result code, SQLite's message and the SQL that failed.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// SQLite's extended result code (e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE).
    public var code: Int32
    /// SQLite's message.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of `code`).
    public var primaryCode: Int32 { code & 0xFF }

    /// True when the failure is a write attempted on a read-only connection.
    public var isReadOnlyViolation: Bool { primaryCode == SQLITE_READONLY }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql.split(separator: "\n").joined(separator: " ").prefix(200)))" }
        return text
    }
}
