/// Inserts a known number of rows with multi-row `INSERT ... VALUES (...), (...), ...` statements: SQLite's
/// per-statement work is paid once per batch instead of once per row.
///
/// Call `row { statement, base in ... }` exactly `total` times, binding the row's columns at parameter
/// indexes `base + 1 ... base + columnCount`. The last row completes the insert. Runs inside the caller's
/// transaction, which must roll back if a row fails: the statements are `INSERT OR FAIL`, so a failing row stops
/// its statement without undoing the rows the statement already wrote.
///
/// Why `OR FAIL` and large batches: a statement that writes several rows and may abort halfway makes SQLite keep a
/// statement journal, a temporary file holding the original of every existing page the statement changes (the
/// B-tree's last leaf and its parents, at least, for each statement). With 64 KiB pages and 64 rows per statement
/// that was 2 KB of journal per row: at 5M detections, 10 GB written to a temporary file, a third of the import.
/// `OR FAIL` removes the abort (when foreign-key checks are off), and batches of a thousand rows leave the journal
/// that immediate foreign-key checks still need at a few pages per thousand rows.
public final class BulkInsert {
    private let columnCount: Int
    private let rowsPerStatement: Int
    private let full: Statement?
    private let tail: Statement?
    private let fullRows: Int
    private let total: Int
    private var written = 0
    private var filled = 0

    /// Prepares the insert of `total` rows of `columns` into `table`, `rowsPerStatement` at a time (at most as many
    /// as SQLite's 32766 parameters per statement hold). A thousand rows cost a few MB of bound values at most.
    public init(_ database: Database, table: String, columns: [String], total: Int, rowsPerStatement: Int = 1024)
        throws
    {
        columnCount = columns.count
        self.total = total
        // SQLite allows 32766 parameters per statement.
        self.rowsPerStatement = max(1, min(rowsPerStatement, 32_766 / max(1, columns.count)))
        fullRows = total - total % self.rowsPerStatement
        func sql(_ rows: Int) -> String {
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            return "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ", ")
        }
        full = fullRows > 0 ? try database.prepare(sql(self.rowsPerStatement)) : nil
        tail = total > fullRows ? try database.prepare(sql(total - fullRows)) : nil
    }

    /// Adds one row; `bind` binds its values at `base + 1 ... base + columnCount` of the statement it gets.
    @inline(__always)
    public func row(_ bind: (Statement, Int32) throws -> Void) throws {
        let inFull = written < fullRows
        guard let statement = inFull ? full : tail else { return }
        try bind(statement, Int32(filled * columnCount))
        written += 1
        filled += 1
        if (inFull && filled == rowsPerStatement) || written == total {
            try statement.stepToCompletion()
            filled = 0
        }
    }
}
