import EvalFormats
import EvalKit
import EvalStore
import PostgresNIO

/// Runs and their detections in PostgreSQL. Writers expect to run inside `PostgresStore.write`, where looking a run
/// up by name takes the transaction's lock on that name; detections are loaded with binary COPY.
struct PostgresRuns: RunRepository {
    let store: PostgresStore
    private var connection: BlockingConnection { store.connection }

    private static let columns =
        "id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at"

    func find(name: String) throws -> StoredRun? {
        let stored = try PostgresNames.storedName(name, table: "runs", connection: connection)
        try store.lockName(stored, kind: PostgresNames.runLock)
        return try connection.query("SELECT \(Self.columns) FROM runs WHERE name = $1", [.text(stored)])
            .valueRows.first.map(Self.decode)
    }

    func names() throws -> [String] {
        try connection.query("SELECT name FROM runs ORDER BY created_at DESC, id DESC").valueRows.compactMap {
            $0[0].string
        }
    }

    private static func decode(_ row: [StoreValue]) throws -> StoredRun {
        let formatName = row[3].string ?? ""
        guard let format = DetectionFormat(rawValue: formatName) else {
            throw StoreError.unknownStoredValue("detection format '\(formatName)'", of: "run '\(row[1].string ?? "")'")
        }
        return StoredRun(
            id: row[0].int64 ?? 0, name: row[1].string ?? "", datasetID: row[2].int64 ?? 0, format: format,
            source: row[4].string ?? "", sha256: row[5].string ?? "", importOptions: row[6].string ?? "",
            detectionCount: Int(row[7].int64 ?? 0), note: row[8].string, createdAt: row[9].string ?? "")
    }

    private static func table(tags: Bool) -> String { tags ? "run_tags" : "run_params" }

    func keyValues(runID: Int64, tags: Bool) throws -> [(key: String, value: String)] {
        try connection.query(
            "SELECT key, value FROM \(Self.table(tags: tags)) WHERE run_id = $1 ORDER BY key COLLATE \"C\"",
            [.integer(runID)]
        ).valueRows.map { (key: $0[0].string ?? "", value: $0[1].string ?? "") }
    }

    func insert(_ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64]) throws -> Int64 {
        try store.lockName(run.name, kind: PostgresNames.runLock)
        let runID =
            try connection.query(
                """
                INSERT INTO runs (name, dataset_id, format, source, sha256, import_options, detection_count, note,
                                  created_at, evaldb_version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                [
                    .text(run.name), .integer(run.datasetID), .text(run.format.rawValue), .text(run.source),
                    .text(run.sha256), .text(run.importOptions), .integer(Int64(detections.count)), run.note.bind,
                    .text(Timestamp.now()), .text(EvaldbVersion.current),
                ]
            ).firstValue?.int64 ?? 0
        for (tags, pairs) in [(false, run.params), (true, run.tags)] {
            for pair in pairs {
                try connection.query(
                    "INSERT INTO \(Self.table(tags: tags)) (run_id, key, value) VALUES ($1, $2, $3)",
                    [.integer(runID), .text(pair.key), .text(pair.value)])
            }
        }
        for pair in run.categoryMap {
            try connection.query(
                "INSERT INTO run_category_maps (run_id, model_key, category_id) VALUES ($1, $2, $3)",
                [.integer(runID), .text(pair.modelKey), .integer(pair.categoryID)])
        }
        var copy = BinaryCopy()
        let boxes = detections.boxes
        for i in 0..<detections.count {
            copy.row(9)
            copy.int64(runID)
            copy.int64(Int64(detections.row[i]))
            copy.int64(imageRowIDs[Int(boxes.image[i])])
            copy.int64(boxes.category[i])
            copy.double(boxes.score[i])
            copy.double(boxes.x[i])
            copy.double(boxes.y[i])
            copy.double(boxes.width[i])
            copy.double(boxes.height[i])
        }
        try connection.copyBinary(
            table: "detections", columns: ["run_id", "seq", "image_id", "category_id", "score", "x", "y", "w", "h"],
            chunks: copy.finish())
        return runID
    }

    func delete(id: Int64) throws {
        try connection.query("DELETE FROM runs WHERE id = $1", [.integer(id)])
    }

    func detectionsPerClass(of run: StoredRun) throws -> QueryResult {
        let result = try connection.query(
            """
            SELECT d.category_id, c.name AS category, count(*) AS detections,
                   count(DISTINCT d.image_id) AS images, min(d.score) AS min_score, max(d.score) AS max_score
            FROM detections d
            LEFT JOIN categories c ON c.dataset_id = $1 AND c.category_id = d.category_id
            WHERE d.run_id = $2 GROUP BY d.category_id, c.name ORDER BY d.category_id
            """, [.integer(run.datasetID), .integer(run.id)])
        return QueryResult(
            columns: ["category_id", "category", "detections", "images", "min_score", "max_score"],
            rows: result.valueRows)
    }

    func categoryMap(of run: StoredRun) throws -> QueryResult {
        // As SQLite orders them: numeric keys by value, then names byte-wise.
        let result = try connection.query(
            """
            SELECT m.model_key AS model, m.category_id, c.name AS category FROM run_category_maps m
            LEFT JOIN categories c ON c.dataset_id = $1 AND c.category_id = m.category_id
            WHERE m.run_id = $2
            ORDER BY m.model_key ~ '[^0-9]',
                     CASE WHEN m.model_key ~ '^[0-9]{1,18}$' THEN m.model_key::bigint ELSE 0 END,
                     m.model_key COLLATE "C"
            """, [.integer(run.datasetID), .integer(run.id)])
        return QueryResult(columns: ["model", "category_id", "category"], rows: result.valueRows)
    }

    func setKeyValues(runID: Int64, _ pairs: [(key: String, value: String)], tags: Bool) throws {
        for pair in pairs {
            try connection.query(
                """
                INSERT INTO \(Self.table(tags: tags)) (run_id, key, value) VALUES ($1, $2, $3)
                ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
                """, [.integer(runID), .text(pair.key), .text(pair.value)])
        }
    }

    func removeKeys(runID: Int64, _ keys: [String], tags: Bool) throws -> [String] {
        var removed: [String] = []
        for key in keys {
            let result = try connection.query(
                "DELETE FROM \(Self.table(tags: tags)) WHERE run_id = $1 AND key = $2", [.integer(runID), .text(key)])
            if (result.metadata.rows ?? 0) > 0 { removed.append(key) }
        }
        return removed
    }

    func setNote(runID: Int64, _ note: String?) throws {
        try connection.query("UPDATE runs SET note = $1 WHERE id = $2", [note.bind, .integer(runID)])
    }

    func rename(runID: Int64, to name: String) throws {
        try store.lockName(name, kind: PostgresNames.runLock)
        try connection.query("UPDATE runs SET name = $1 WHERE id = $2", [.text(name), .integer(runID)])
    }
}
