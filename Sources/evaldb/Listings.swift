import ArgumentParser
import EvalFormats
import EvalStore

/// `evaldb datasets`.
struct Datasets: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the stored datasets.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    static let columns = [
        "name", "format", "images", "annotations", "ignored_regions", "categories", "runs", "default_protocol",
        "created_at",
    ]

    func run() throws {
        let db = try database.open(.readOnly)
        let rows = try db.fetchAll(
            "SELECT \(Self.columns.joined(separator: ", ")) FROM dataset_summary ORDER BY name")
        ResultTable(rows: rows, columns: Self.columns).print(output.format)
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

    static let columns = ["name", "dataset", "format", "detections", "tags", "params", "note", "created_at"]

    func run() throws {
        let db = try database.open(.readOnly)
        var sql = "SELECT \(Self.columns.joined(separator: ", ")) FROM run_summary WHERE 1"
        var arguments: [SQLValue] = []
        if let dataset {
            _ = try DatasetStore(db).require(name: dataset)
            sql += " AND dataset = ?"
            arguments.append(.text(dataset))
        }
        if let condition { sql += " AND (\(condition))" }
        sql += " ORDER BY created_at, name"
        let statement = try prepareListing(db, sql)
        guard statement.isReadOnly else { throw StoreError.writeNotAllowed }
        ResultTable(rows: try statement.fetchAll(arguments), columns: Self.columns).print(output.format)
    }
}

extension Runs {
    /// Prepares the listing query, turning an SQL error in --where into a usage error that names the columns.
    func prepareListing(_ db: Database, _ sql: String) throws -> Statement {
        let result = Result { () throws(DatabaseError) -> Statement in try db.prepare(sql) }
        switch result {
        case .success(let statement): return statement
        case .failure(let error):
            guard condition != nil else { throw error }
            throw ValidationError(
                "--where: \(error.message); columns: \(Self.columns.joined(separator: ", ")), sha256, source")
        }
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
        let db = try database.open(.readOnly)
        let stored = try RunStore(db).require(name: runName)
        let dataset = try DatasetStore(db).find(id: stored.datasetID)
        let runs = RunStore(db)
        let params = try runs.keyValues(runID: stored.id, tags: false)
        let tags = try runs.keyValues(runID: stored.id, tags: true)
        let perClass = try db.fetchAll(
            """
            SELECT d.category_id, c.name AS category, count(*) AS detections,
                   count(DISTINCT d.image_id) AS images, min(d.score) AS min_score, max(d.score) AS max_score
            FROM detections d
            LEFT JOIN categories c ON c.dataset_id = ? AND c.category_id = d.category_id
            WHERE d.run_id = ? GROUP BY d.category_id ORDER BY d.category_id
            """, [.integer(stored.datasetID), .integer(stored.id)])
        let categoryMap = try db.fetchAll(
            """
            SELECT m.model_key AS model, m.category_id, c.name AS category FROM run_category_maps m
            LEFT JOIN categories c ON c.dataset_id = ? AND c.category_id = m.category_id
            WHERE m.run_id = ? ORDER BY m.model_key GLOB '*[^0-9]*', CAST(m.model_key AS INTEGER), m.model_key
            """, [.integer(stored.datasetID), .integer(stored.id)])
        let fields: [(String, ResultTable.Cell)] = [
            ("name", .text(stored.name)),
            ("dataset", .text(dataset?.name ?? "?")),
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
            let classes = Renderer.renderJSON(ResultTable(rows: perClass, columns: []), lines: false)
            object.append("\"classes\": " + classes.replacingOccurrences(of: "\n", with: ""))
            let map = Renderer.renderJSON(ResultTable(rows: categoryMap, columns: []), lines: false)
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
            ResultTable(
                rows: perClass, columns: ["category_id", "category", "detections", "images", "min_score", "max_score"]
            ).print(output.format)
            if !categoryMap.isEmpty {
                Console.out("\nCategory map applied at import (model -> dataset):\n")
                ResultTable(rows: categoryMap, columns: ["model", "category_id", "category"]).print(output.format)
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
        let db = try database.open(.write)
        let stored = try RunStore(db).require(name: runName)
        try db.transaction { try RunStore(db).delete(id: stored.id) }
        Console.out("Deleted run '\(runName)' (\(stored.detectionCount) detections).\n")
    }
}

/// `evaldb schema`.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the SQL schema (tables and the documented views) this evaldb writes.")

    func run() throws {
        for migration in SchemaMigrator.migrations {
            Console.out("-- \(migration.name)\n\(migration.sql)\n")
        }
    }
}
