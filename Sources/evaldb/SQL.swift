import ArgumentParser
import EvalFormats
import EvalStore

/// `evaldb sql "SELECT ..."`.
struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one SQL statement against the store and print the result.",
        discussion: """
            Read-only unless --write is given. The statement is the argument, a file (-f FILE) or standard input \
            (- or -f -); it may start with comments. Parameters: -p NAME VALUE binds :NAME (also @NAME, $NAME); \
            values that read as integers or reals are bound as numbers, others as text. \
            Tables and views are documented in Schema/README.md; `evaldb schema` prints them.
            Example: evaldb sql "SELECT category, count(*) FROM dets WHERE run = :run GROUP BY 1" -p run r1
            """
    )

    @Argument(help: "The SQL statement ('-': read it from standard input).") var statement: String?
    @Option(
        name: [.customShort("f"), .customLong("file")],
        help: ArgumentHelp("Read the statement from a file ('-': standard input).", valueName: "file"))
    var file: String?
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
        if (statement == nil) == (file == nil) {
            throw ValidationError("give the statement, or -f FILE (- for standard input)")
        }
    }

    /// The statement: the argument, the file, or standard input.
    func text() throws -> String {
        let source = file ?? statement ?? "-"
        if source == "-" {
            var lines: [String] = []
            while let line = readLine(strippingNewline: false) { lines.append(line) }
            return lines.joined()
        }
        if file == nil { return source }
        return String(decoding: try InputFiles.readBytes(source, expected: "an SQL file"), as: UTF8.self)
    }

    func run() throws {
        let store = try database.open(write ? .write : .readOnly)
        let bound = stride(from: 0, to: parameters.count, by: 2).map { pair in
            (name: parameters[pair], value: Self.typed(parameters[pair + 1]))
        }
        // CSV and TSV rows are rendered as they are read, so that a large result is never held twice; the other
        // formats need every row first (column widths, JSON brackets). Nothing is printed before the statement ends.
        var separated: SeparatedValues? =
            switch output.format {
            case .csv: SeparatedValues(.csv)
            case .tsv: SeparatedValues(.tsv)
            default: nil
            }
        var result = QueryResult(columns: [], rows: [])
        do {
            result.changes = try store.execute(
                userStatement: try text(), parameters: bound, allowsWrites: write,
                columns: { names in
                    result.columns = names
                    if !names.isEmpty { separated?.row(names.map(ResultTable.Cell.text)) }
                },
                row: { values in
                    if separated != nil {
                        for value in values { separated?.append(ResultTable.Cell(value)) }
                        separated?.endRow()
                    } else {
                        result.rows.append(values)
                    }
                })
        } catch StoreError.unknownParameter(let name) {
            throw ValidationError("-p \(name): the statement has no parameter :\(name)")
        }
        if result.columns.isEmpty {
            Console.err("\(result.changes) row(s) changed.")
        } else if let separated {
            for block in separated.utf8Blocks { Console.out(block) }
        } else {
            ResultTable(result).print(output.format)
        }
    }

    /// A parameter value: integer or real when it reads back unchanged as one, else text.
    static func typed(_ text: String) -> StoreValue {
        if let integer = Int64(text), String(integer) == text { return .integer(integer) }
        if let real = Double(text), real.isFinite, text.first?.isNumber == true || text.first == "-" {
            return .real(real)
        }
        return .text(text)
    }
}
