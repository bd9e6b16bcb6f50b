import EvalKit
public import EvalFormats

/// A stored run, as listed and looked up by name.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var datasetID: Int64
    public var format: DetectionFormat
    public var source: String
    public var sha256: String
    public var importOptions: String
    public var detectionCount: Int
    public var note: String?
    public var createdAt: String
}

/// What describes a run besides its detections.
public struct RunMetadata: Sendable, Equatable {
    public var name: String
    public var datasetID: Int64
    public var format: DetectionFormat
    public var source: String
    public var sha256: String
    /// The corrections applied at import, canonical text (e.g. `box-format=xyxy category-offset=1`).
    public var importOptions: String
    public var params: [(key: String, value: String)]
    public var tags: [(key: String, value: String)]
    public var note: String?
    /// The category map applied at import (the model's key as written -> dataset category id), if any.
    public var categoryMap: [(modelKey: String, categoryID: Int64)]

    public init(
        name: String, datasetID: Int64, format: DetectionFormat, source: String, sha256: String,
        importOptions: String = "", params: [(key: String, value: String)] = [],
        tags: [(key: String, value: String)] = [], note: String? = nil,
        categoryMap: [(modelKey: String, categoryID: Int64)] = []
    ) {
        self.categoryMap = categoryMap
        self.name = name
        self.datasetID = datasetID
        self.format = format
        self.source = source
        self.sha256 = sha256
        self.importOptions = importOptions
        self.params = params
        self.tags = tags
        self.note = note
    }

    public static func == (l: RunMetadata, r: RunMetadata) -> Bool {
        l.name == r.name && l.datasetID == r.datasetID && l.format == r.format && l.source == r.source
            && l.sha256 == r.sha256 && l.importOptions == r.importOptions && l.note == r.note
            && l.params.map { [$0.key, $0.value] } == r.params.map { [$0.key, $0.value] }
            && l.tags.map { [$0.key, $0.value] } == r.tags.map { [$0.key, $0.value] }
            && l.categoryMap.map { "\($0.modelKey)>\($0.categoryID)" }
                == r.categoryMap.map { "\($0.modelKey)>\($0.categoryID)" }
    }
}

/// Reads and writes runs and their detections. Writers expect to run inside the caller's transaction.
public struct RunStore {
    public let database: Database

    public init(_ database: Database) { self.database = database }

    private static let columns =
        "id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at"

    /// The run called `name`, or nil.
    public func find(name: String) throws -> StoredRun? {
        let stored = try NameLookup.storedName(name, table: "runs", database: database)
        return try database.fetchOne("SELECT \(Self.columns) FROM runs WHERE name = ?", [.text(stored)]).map(
            Self.decode)
    }

    /// The run called `name`; throws `StoreError.unknownRun` listing the known names.
    public func require(name: String) throws -> StoredRun {
        if let found = try find(name: name) { return found }
        let known = try database.fetchAll("SELECT name FROM runs ORDER BY created_at DESC, id DESC").compactMap {
            $0[0].string
        }
        throw StoreError.unknownRun(name: name, known: known)
    }

    private static func decode(_ row: Row) -> StoredRun {
        StoredRun(
            id: row[0].int64 ?? 0, name: row[1].string ?? "", datasetID: row[2].int64 ?? 0,
            format: DetectionFormat(rawValue: row[3].string ?? "") ?? .coco, source: row[4].string ?? "",
            sha256: row[5].string ?? "", importOptions: row[6].string ?? "", detectionCount: row[7].int ?? 0,
            note: row[8].string, createdAt: row[9].string ?? "")
    }

    /// The params (or, with `tags: true`, the tags) of a run, sorted by key.
    public func keyValues(runID: Int64, tags: Bool) throws -> [(key: String, value: String)] {
        let table = tags ? "run_tags" : "run_params"
        return try database.fetchAll("SELECT key, value FROM \(table) WHERE run_id = ? ORDER BY key", [.integer(runID)])
            .map { (key: $0[0].string ?? "", value: $0[1].string ?? "") }
    }

    /// Inserts a run and its detections; returns the run's row id. `imageRowIDs[i]` is the `images.id` of
    /// catalog image `i`. Call inside a write transaction.
    public func insert(_ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64]) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO runs (name, dataset_id, format, source, sha256, import_options, detection_count, note,
                              created_at, evaldb_version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(run.name), .integer(run.datasetID), .text(run.format.rawValue), .text(run.source),
                .text(run.sha256), .text(run.importOptions), .integer(Int64(detections.count)), run.note.sqlValue,
                .text(Timestamp.now()), .text(EvaldbVersion.current),
            ])
        let runID = database.lastInsertedRowID
        for (table, pairs) in [("run_params", run.params), ("run_tags", run.tags)] {
            let statement = try database.prepare("INSERT INTO \(table) (run_id, key, value) VALUES (?, ?, ?)")
            for pair in pairs {
                try statement.bind([.integer(runID), .text(pair.key), .text(pair.value)])
                try statement.run()
            }
        }
        if !run.categoryMap.isEmpty {
            let statement = try database.prepare(
                "INSERT INTO run_category_maps (run_id, model_key, category_id) VALUES (?, ?, ?)")
            for pair in run.categoryMap {
                try statement.bind([.integer(runID), .text(pair.modelKey), .integer(pair.categoryID)])
                try statement.run()
            }
        }
        let insert = try BulkInsert(
            database, table: "detections",
            columns: ["run_id", "seq", "image_id", "category_id", "score", "x", "y", "w", "h"],
            total: detections.count)
        let boxes = detections.boxes
        for i in 0..<detections.count {
            try insert.row { statement, base in
                statement.bind(int64: runID, at: base + 1)
                statement.bind(int64: Int64(detections.row[i]), at: base + 2)
                statement.bind(int64: imageRowIDs[Int(boxes.image[i])], at: base + 3)
                statement.bind(int64: boxes.category[i], at: base + 4)
                statement.bind(double: boxes.score[i], at: base + 5)
                statement.bind(double: boxes.x[i], at: base + 6)
                statement.bind(double: boxes.y[i], at: base + 7)
                statement.bind(double: boxes.width[i], at: base + 8)
                statement.bind(double: boxes.height[i], at: base + 9)
            }
        }
        // The packed copy is in seq order: write it when the rows are exactly seq 0..<count (always, since an
        // import with unresolved rows is refused).
        guard detections.row.last.map({ Int($0) == detections.count - 1 }) ?? true else { return runID }
        let packed = try database.prepare("INSERT INTO run_columns (run_id, count, data) VALUES (?, ?, ?)")
        try packed.bind([
            .integer(runID), .integer(Int64(detections.count)),
            .blob(RunColumns.pack(detections.boxes, imageRowIDs: imageRowIDs)),
        ])
        try packed.run()
        return runID
    }

    /// Deletes a run and its detections. Call inside a write transaction.
    public func delete(id: Int64) throws {
        try database.execute("DELETE FROM runs WHERE id = ?", [.integer(id)])
    }
}
