import EvalStore

extension ResultTable.Cell {
    init(_ value: SQLValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .real(v)
        case .text(let v): self = .text(v)
        case .blob(let v): self = .blob(v.count)
        }
    }
}

extension ResultTable {
    /// A table from query rows; `columns` are used when there are no rows to take them from.
    init(rows: [Row], columns: [String]) {
        self.columns = rows.first?.columns ?? columns
        self.rows = rows.map { $0.values.map(Cell.init) }
    }

    /// Prints the table to stdout in `format`.
    func print(_ format: OutputFormat) {
        Console.out(Renderer.render(self, as: format))
    }
}
