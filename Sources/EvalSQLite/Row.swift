/// One result row: column names shared with the other rows of the same query, and the values.
public struct Row: Sendable {
    /// Column names, in select order.
    public let columns: [String]
    /// Values, in select order.
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value at a column position.
    public subscript(index: Int) -> SQLValue { values[index] }

    /// The value of the named column, `.null` when there is no such column.
    public subscript(name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }
}
