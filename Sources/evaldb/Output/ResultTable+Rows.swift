import EvalStore

extension ResultTable.Cell {
    init(_ value: StoreValue) {
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
    /// A table from a query's result; `columns` name them when the query gave none.
    init(_ result: QueryResult, columns: [String] = []) {
        self.columns = result.columns.isEmpty ? columns : result.columns
        self.rows = result.rows.map { $0.map(Cell.init) }
    }

    /// Prints the table to stdout in `format`.
    func print(_ format: OutputFormat) {
        Console.out(Renderer.render(self, as: format))
    }
}
