import ArgumentParser
import EvalFormats
import EvalStore
import EvalStoreSQLite

/// `evaldb datasets`.
struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the stored datasets.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readOnly)
        ResultTable(try store.datasetSummaries()).print(output.format)
    }
}

/// `evaldb runs`.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the stored runs.",
        discussion: """
            --where takes an SQL condition over the columns of the run_summary view, e.g. \
            --where "tags LIKE '%arch=yolov8%'" or --where "detections > 1000".
            """
    )

    @Option(help: "Only runs of this dataset.") var dataset: String?
    @Option(name: .customLong("where"), help: "An SQL condition over run_summary's columns.") var condition: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readOnly)
        if let dataset { _ = try store.datasets.require(name: dataset) }
        let result: QueryResult
        do {
            result = try store.runSummaries(dataset: dataset, condition: condition)
        } catch StoreError.invalidCondition(let message) {
            throw ValidationError(
                "--where: \(message); columns: name, dataset, format, detections, tags, params, note, created_at, sha256, source"
            )
        }
        ResultTable(result).print(output.format)
    }
}

/// `evaldb show RUN`.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a run: where it came from, its parameters and tags, and its detections per class.")

    @Argument(help: ArgumentHelp("The run's name.", valueName: "run")) var runName: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readOnly)
        let runs = store.runs
        let stored = try runs.require(name: runName)
        let dataset = try store.dataset(of: stored)
        let params = try runs.keyValues(runID: stored.id, tags: false)
        let tags = try runs.keyValues(runID: stored.id, tags: true)
        let perClass = try runs.detectionsPerClass(of: stored)
        let categoryMap = try runs.categoryMap(of: stored)
        let fields: [(String, ResultTable.Cell)] = [
            ("name", .text(stored.name)),
            ("dataset", .text(dataset.name)),
            ("format", .text(stored.format.rawValue)),
            ("detections", .integer(Int64(stored.detectionCount))),
            ("source", .text(stored.source)),
            ("sha256", .text(stored.sha256)),
            ("import_options", stored.importOptions.isEmpty ? .null : .text(stored.importOptions)),
            ("note", stored.note.map { .text($0) } ?? .null),
            ("created_at", .text(stored.createdAt)),
        ]
        if output.format == .json || output.format == .jsonl {
            var object = fields.map { "\(Renderer.jsonString($0.0)): \(Renderer.jsonValue($0.1))" }
            for (key, pairs) in [("params", params), ("tags", tags)] {
                let body = pairs.map { "\(Renderer.jsonString($0.key)): \(Renderer.jsonString($0.value))" }
                object.append("\"\(key)\": {\(body.joined(separator: ", "))}")
            }
            let classes = Renderer.renderJSON(ResultTable(perClass), lines: false)
            object.append("\"classes\": " + classes.replacingOccurrences(of: "\n", with: ""))
            let map = Renderer.renderJSON(ResultTable(categoryMap), lines: false)
            object.append("\"category_map\": " + map.replacingOccurrences(of: "\n", with: ""))
            Console.out("{" + object.joined(separator: ", ") + "}\n")
            return
        }
        var table = ResultTable(columns: ["field", "value"], rows: fields.map { [.text($0.0), $0.1] })
        for pair in params { table.rows.append([.text("param." + pair.key), .text(pair.value)]) }
        for pair in tags { table.rows.append([.text("tag." + pair.key), .text(pair.value)]) }
        table.print(output.format)
        if output.format == .table || output.format == .markdown {
            Console.out("\n")
            ResultTable(perClass).print(output.format)
            if !categoryMap.rows.isEmpty {
                Console.out("\nCategory map applied at import (model -> dataset):\n")
                ResultTable(categoryMap).print(output.format)
            }
        }
    }
}

/// `evaldb delete RUN`.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a run and its detections.")

    @Argument(help: ArgumentHelp("The run's name.", valueName: "run")) var runName: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.write)
        let stored = try store.runs.require(name: runName)
        try store.write { try store.runs.delete(id: stored.id) }
        Console.out("Deleted run '\(runName)' (\(stored.detectionCount) detections).\n")
    }
}

/// `evaldb schema`.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the store's schema as it is: its tables, indexes and views (documented in Schema/README.md).",
        discussion: """
            Without a store at --db, prints the schema a new store gets. --history prints the migrations that \
            built it instead, in order.
            """)

    @Flag(help: "Print the migrations, in order, instead of the schema as it is.") var history = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        if history {
            for migration in SchemaMigrator.migrations {
                Console.out("-- \(migration.name)\n\(migration.sql)\n")
            }
            return
        }
        let store: any Store
        if InputFiles.kind(of: database.path) == .missing {
            Console.out("-- the schema of a new store (there is no store at \(database.path))\n")
            store = try SQLiteStore.inMemory()
        } else {
            store = try database.open(.readOnly)
        }
        for item in try store.currentSchema() {
            Console.out("\(item.sql);\n\n")
        }
    }
}
