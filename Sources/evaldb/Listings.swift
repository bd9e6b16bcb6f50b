import ArgumentParser
import EvalFormats
import EvalStore
import EvalStorePostgres
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
        abstract: "List the stored runs, or a leaderboard of them with --metrics, --params, --tags.",
        discussion: """
            --metrics AP,AP50 adds the metrics of each run's default evaluation (its dataset's protocol with that \
            protocol's defaults; evaluated now where missing). --params lr,epochs and --tags arch add those as \
            columns; --tag k=v and --param k=v keep the runs that have them. --sort KEY orders by any listed \
            column, metric, param or tag (-KEY: descending; params that read as numbers sort as numbers).
            --where takes an SQL condition over the columns of the run_summary view, e.g. \
            --where "tags LIKE '%arch=yolov8%'" or --where "detections > 1000".
            Example: evaldb runs --dataset coco-val --metrics AP,AP50 --params lr --sort -AP
            """
    )

    @Option(help: "Only runs of this dataset.") var dataset: String?
    @Option(name: .customLong("where"), help: "An SQL condition over run_summary's columns.") var condition: String?
    @Option(
        help: ArgumentHelp(
            "Metrics of each run's default evaluation, as columns (\(RunListing.metricNames.joined(separator: ", "))).",
            valueName: "AP,AP50"),
        transform: Self.list)
    var metrics: [String] = []
    @Option(help: ArgumentHelp("Params as columns, by key.", valueName: "lr,epochs"), transform: Self.list)
    var params: [String] = []
    @Option(help: ArgumentHelp("Tags as columns, by key.", valueName: "arch"), transform: Self.list)
    var tags: [String] = []
    @Option(name: .customLong("tag"), help: "Only runs with this tag (repeatable).") var tagFilters: [KeyValue] = []
    @Option(name: .customLong("param"), help: "Only runs with this param (repeatable).")
    var paramFilters: [KeyValue] = []
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Order by a listed column, metric, param or tag; -KEY for descending.", valueName: "KEY"),
        transform: Self.sortKey)
    var sort: RunListing.Sort?
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    /// `a,b,c` as a list of non-empty names.
    static func list(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { String($0.filter { $0 != " " }) }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
            throw ValidationError("expected names separated by commas, e.g. AP,AP50")
        }
        return names
    }

    /// `KEY` or `-KEY`.
    static func sortKey(_ text: String) throws -> RunListing.Sort {
        let descending = text.hasPrefix("-")
        let key = descending ? String(text.dropFirst()) : text
        guard !key.isEmpty else { throw ValidationError("expected a column, metric, param or tag, e.g. -AP") }
        return RunListing.Sort(key: key, descending: descending)
    }

    func validate() throws {
        for metric in metrics where !RunListing.metricNames.contains(metric) {
            throw ValidationError(
                StoreError.unknownListingMetric(metric, available: RunListing.metricNames).description)
        }
    }

    func run() throws {
        var listing = RunListing(dataset: dataset, condition: condition)
        listing.metrics = metrics
        listing.params = params
        listing.tags = tags
        listing.tagFilters = try uniquePairs(tagFilters, option: "--tag")
        listing.paramFilters = try uniquePairs(paramFilters, option: "--param")
        listing.sort = sort
        var store = try database.open(.readOnly)
        if let dataset { _ = try store.datasets.require(name: dataset) }
        let needsMetrics = !metrics.isEmpty || sort.map { RunListing.metricNames.contains($0.key) } == true
        if needsMetrics {
            let missing = try store.runsWithoutDefaultEvaluation(dataset: dataset)
            if !missing.isEmpty {
                // Metrics are read from each run's default evaluation: compute the missing ones first.
                store = try database.open(.write)
                for name in missing {
                    let run = try store.runs.require(name: name)
                    let request = try EvaluationService.defaultRequest(for: try store.dataset(of: run))
                    _ = try EvaluationService(store).evaluate(runName: name, request: request)
                }
                Console.err(
                    "note: evaluated \(missing.count) run(s) with their dataset's default protocol: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")"
                )
            }
        }
        var result: QueryResult
        do {
            result = try store.runSummaries(listing)
        } catch StoreError.invalidCondition(let message) {
            throw ValidationError(
                "--where: \(message); columns: name, dataset, format, detections, tags, params, note, created_at, sha256, source"
            )
        } catch let error as StoreError {
            if case .unknownSortKey = error { throw ValidationError(error.description) }
            throw error
        }
        var table = ResultTable(result)
        if output.format == .table || output.format == .markdown {
            // Metrics to 4 decimals for people (the other formats keep every digit); params that read as numbers
            // aligned as numbers, as typed.
            let metricColumns = listing.isLeaderboard ? 2..<(2 + metrics.count) : 0..<0
            let paramColumns = metricColumns.upperBound..<(metricColumns.upperBound + params.count)
            for row in table.rows.indices {
                for index in metricColumns {
                    if case .real(let value) = table.rows[row][index] {
                        table.rows[row][index] = .formatted(EvaluationRendering.fixed(value, digits: 4))
                    }
                }
                for index in paramColumns {
                    if case .text(let text) = table.rows[row][index], let number = Double(text), number.isFinite {
                        table.rows[row][index] = .formatted(text)
                    }
                }
            }
        }
        table.print(output.format)
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
            // The migrations of the backend --db names; PostgreSQL's are its own dialect's (Schema/postgres/).
            for migration in database.isPostgres ? PostgresSchema.migrations : SchemaMigrator.migrations {
                Console.out("-- \(migration.name)\n\(migration.sql)\n")
            }
            return
        }
        let store: any Store
        if !database.isPostgres && InputFiles.kind(of: database.path) == .missing {
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
