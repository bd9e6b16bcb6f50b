import ArgumentParser
import EvalStore

/// `evaldb sql "SELECT ..."`.
struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one SQL statement against the store and print the result.",
        discussion: """
            Read-only unless --write is given. Parameters: -p NAME VALUE binds :NAME (also @NAME, $NAME); \
            values that read as integers or reals are bound as numbers, others as text. \
            Tables and views are documented in Schema/README.md; `evaldb schema` prints them.
            Example: evaldb sql "SELECT category, count(*) FROM dets WHERE run = :run GROUP BY 1" -p run r1
            """
    )

    @Argument(help: "The SQL statement.") var statement: String
    @Option(
        name: .customShort("p"), parsing: .upToNextOption,
        help: ArgumentHelp("Bind a named parameter (repeatable).", valueName: "name value"))
    var parameters: [String] = []
    @Flag(help: "Allow statements that change the database.") var write = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if parameters.count % 2 != 0 {
            throw ValidationError("-p takes a name and a value: -p NAME VALUE")
        }
    }

    func run() throws {
        let db = try database.open(write ? .write : .readOnly)
        let prepared = try db.prepareSingle(statement)
        if !prepared.isReadOnly && !write { throw StoreError.writeNotAllowed }
        for pair in stride(from: 0, to: parameters.count, by: 2) {
            let name = parameters[pair]
            let index: Int32
            if let position = Int32(name), position >= 1, position <= prepared.parameterCount {
                index = position
            } else if let named = prepared.parameterIndex(name) {
                index = named
            } else {
                throw ValidationError("-p \(name): the statement has no parameter :\(name)")
            }
            try prepared.bind(Self.typed(parameters[pair + 1]), at: index)
        }
        let columns = prepared.columnNames
        var rows: [[ResultTable.Cell]] = []
        let count = Int32(columns.count)
        // One statement runs atomically on its own; no wrapping transaction, so VACUUM and PRAGMAs work.
        while try prepared.step() {
            rows.append((0..<count).map { ResultTable.Cell(prepared.column($0)) })
        }
        if columns.isEmpty {
            Console.err("\(db.changes) row(s) changed.")
        } else {
            ResultTable(columns: columns, rows: rows).print(output.format)
        }
    }

    /// A parameter value: integer or real when it reads back unchanged as one, else text.
    static func typed(_ text: String) -> SQLValue {
        if let integer = Int64(text), String(integer) == text { return .integer(integer) }
        if let real = Double(text), real.isFinite, text.first?.isNumber == true || text.first == "-" {
            return .real(real)
        }
        return .text(text)
    }
}
