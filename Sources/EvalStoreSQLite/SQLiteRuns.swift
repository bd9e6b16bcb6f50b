import EvalFormats
import EvalKit
import EvalSQLite
import EvalStore

/// Runs and their detections in SQLite. Writers expect to run inside the caller's transaction.
struct SQLiteRuns: RunRepository {
    let database: Database

    private static let columns =
        "id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at"

    /// The run called `name`, or nil.
    func find(name: String) throws -> StoredRun? {
        let stored = try NameLookup.storedName(name, table: "runs", database: database)
        return try database.fetchOne("SELECT \(Self.columns) FROM runs WHERE name = ?", [.text(stored)]).map(
            Self.decode)
    }

    func names() throws -> [String] {
        try database.fetchAll("SELECT name FROM runs ORDER BY created_at DESC, id DESC").compactMap { $0[0].string }
    }

    private static func decode(_ row: Row) throws -> StoredRun {
        let formatName = row[3].string ?? ""
        guard let format = DetectionFormat(rawValue: formatName) else {
            throw StoreError.unknownStoredValue("detection format '\(formatName)'", of: "run '\(row[1].string ?? "")'")
        }
        return StoredRun(
            id: row[0].int64 ?? 0, name: row[1].string ?? "", datasetID: row[2].int64 ?? 0,
            format: format, source: row[4].string ?? "",
            sha256: row[5].string ?? "", importOptions: row[6].string ?? "", detectionCount: row[7].int ?? 0,
            note: row[8].string, createdAt: row[9].string ?? "")
    }

    /// The params (or, with `tags: true`, the tags) of a run, sorted by key.
    func keyValues(runID: Int64, tags: Bool) throws -> [(key: String, value: String)] {
        let table = tags ? "run_tags" : "run_params"
        return try database.fetchAll("SELECT key, value FROM \(table) WHERE run_id = ? ORDER BY key", [.integer(runID)])
            .map { (key: $0[0].string ?? "", value: $0[1].string ?? "") }
    }

    /// Inserts a run and its detections; returns the run's row id. `imageRowIDs[i]` is the `images.id` of
    /// catalog image `i`. Call inside a write transaction.
    func insert(_ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64]) throws -> Int64 {
        try insert(run, detections: detections, imageRowIDs: imageRowIDs, progress: nil)
    }

    /// `insert(_:detections:imageRowIDs:)`, reporting the rows stored every 64k rows.
    func insert(
        _ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64], progress: ProgressHandler?
    ) throws -> Int64 {
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
        // Rows go in the B-tree's key order, so only its last pages are written again: a small page cache does as
        // well as the connection's 32 MB (at 5M detections no slower, and 7 MB less at the import's peak).
        try database.withCacheSize(kibibytes: 8192) {
            let insert = try BulkInsert(
                database, table: "detections",
                columns: ["run_id", "seq", "image_id", "category_id", "score", "x", "y", "w", "h"],
                total: detections.count)
            let boxes = detections.boxes
            let order = Self.clusteredOrder(detections, imageRowIDs: imageRowIDs)
            for position in 0..<detections.count {
                let i = order.map { Int($0[position]) } ?? position
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
                if position & 0xFFFF == 0xFFFF {
                    progress?(.storing(detections: position + 1, total: detections.count))
                }
            }
        }
        return runID
    }

    /// The order of `detections` by the table's clustered key (image row id, then `seq`), or nil when they come in
    /// that order already. Rows stored in key order append to the B-tree's last page, instead of splitting pages
    /// all over it (at 5M detections grouped by image in another order than the dataset's, a slower import and a
    /// store a third larger). A counting sort by image, stable, so `seq` stays increasing within an image.
    static func clusteredOrder(_ detections: ResolvedDetections, imageRowIDs: [Int64]) -> [Int32]? {
        let image = detections.boxes.image
        // The rank of each catalog image by row id (the catalog lists them by row id: the identity).
        var rank = [Int32](repeating: 0, count: imageRowIDs.count)
        let byRowID = imageRowIDs.indices.sorted { imageRowIDs[$0] < imageRowIDs[$1] }
        for (position, index) in byRowID.enumerated() { rank[index] = Int32(position) }
        var isOrdered = true
        var last: Int32 = -1
        for i in 0..<detections.count {
            let current = rank[Int(image[i])]
            if current < last {
                isOrdered = false
                break
            }
            last = current
        }
        if isOrdered { return nil }
        var start = [Int](repeating: 0, count: imageRowIDs.count + 1)
        for i in 0..<detections.count { start[Int(rank[Int(image[i])]) + 1] += 1 }
        for r in 0..<imageRowIDs.count { start[r + 1] += start[r] }
        var order = [Int32](repeating: 0, count: detections.count)
        for i in 0..<detections.count {
            let r = Int(rank[Int(image[i])])
            order[start[r]] = Int32(i)
            start[r] += 1
        }
        return order
    }

    /// Deletes a run and its detections. Call inside a write transaction.
    func delete(id: Int64) throws {
        try database.execute("DELETE FROM runs WHERE id = ?", [.integer(id)])
    }

    func setKeyValues(runID: Int64, _ pairs: [(key: String, value: String)], tags: Bool) throws {
        let table = tags ? "run_tags" : "run_params"
        let statement = try database.prepare(
            """
            INSERT INTO \(table) (run_id, key, value) VALUES (?, ?, ?)
            ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
            """)
        for pair in pairs {
            try statement.bind([.integer(runID), .text(pair.key), .text(pair.value)])
            try statement.run()
        }
    }

    func removeKeys(runID: Int64, _ keys: [String], tags: Bool) throws -> [String] {
        let table = tags ? "run_tags" : "run_params"
        let statement = try database.prepare("DELETE FROM \(table) WHERE run_id = ? AND key = ?")
        var removed: [String] = []
        for key in keys {
            try statement.bind([.integer(runID), .text(key)])
            try statement.run()
            if database.changes > 0 { removed.append(key) }
        }
        return removed
    }

    func setNote(runID: Int64, _ note: String?) throws {
        try database.execute("UPDATE runs SET note = ? WHERE id = ?", [note.sqlValue, .integer(runID)])
    }

    func rename(runID: Int64, to name: String) throws {
        try database.execute("UPDATE runs SET name = ? WHERE id = ?", [.text(name), .integer(runID)])
    }

    func detectionsPerClass(of run: StoredRun) throws -> QueryResult {
        try database.query(
            """
            SELECT d.category_id, c.name AS category, count(*) AS detections,
                   count(DISTINCT d.image_id) AS images, min(d.score) AS min_score, max(d.score) AS max_score
            FROM detections d
            LEFT JOIN categories c ON c.dataset_id = ? AND c.category_id = d.category_id
            WHERE d.run_id = ? GROUP BY d.category_id ORDER BY d.category_id
            """, [.integer(run.datasetID), .integer(run.id)])
    }

    func categoryMap(of run: StoredRun) throws -> QueryResult {
        try database.query(
            """
            SELECT m.model_key AS model, m.category_id, c.name AS category FROM run_category_maps m
            LEFT JOIN categories c ON c.dataset_id = ? AND c.category_id = m.category_id
            WHERE m.run_id = ? ORDER BY m.model_key GLOB '*[^0-9]*', CAST(m.model_key AS INTEGER), m.model_key
            """, [.integer(run.datasetID), .integer(run.id)])
    }
}
