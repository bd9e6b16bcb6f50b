import EvalKit
import EvalSQLite
import EvalStore

/// Evaluations and their results in SQLite. Writers expect to run inside the caller's transaction.
struct SQLiteEvaluations: EvaluationRepository {
    let database: Database

    private static func stored(_ row: Row) -> StoredEvaluation {
        StoredEvaluation(row: row.values.map(StoreValue.init))
    }

    /// The stored evaluation of `runID` under `protocolName` and `parameters`, or nil.
    func find(runID: Int64, protocolName: String, parameters: String) throws -> StoredEvaluation? {
        try database.fetchOne(
            "SELECT \(StoredEvaluation.columns) FROM evaluations WHERE run_id = ? AND protocol = ? AND params = ?",
            [.integer(runID), .text(protocolName), .text(parameters)]
        ).map(Self.stored)
    }

    func all(runID: Int64) throws -> [StoredEvaluation] {
        try database.fetchAll(
            "SELECT \(StoredEvaluation.columns) FROM evaluations WHERE run_id = ? ORDER BY id", [.integer(runID)]
        ).map(Self.stored)
    }

    func rows(of evaluation: StoredEvaluation) throws -> EvaluationRows {
        let id: [SQLValue] = [.integer(evaluation.id)]
        let metrics = try database.fetchAll(
            "SELECT position, metric, value FROM evaluation_metrics WHERE evaluation_id = ? ORDER BY position", id
        ).map { (position: $0[0].int64 ?? 0, metric: $0[1].string ?? "", value: $0[2].double) }
        let classMetrics = try database.fetchAll(
            """
            SELECT category_id, metric, iou, area, max_dets, value FROM class_metrics WHERE evaluation_id = ?
            ORDER BY rowid
            """, id
        ).map {
            EvaluationRows.ClassMetric(
                categoryID: $0[0].int64 ?? 0, metric: $0[1].string ?? "", iou: $0[2].double,
                area: $0[3].string ?? Metric.allAreas, maxDetections: $0[4].int64, value: $0[5].double)
        }
        let curves = try database.fetchAll(
            """
            SELECT category_id, iou, precision, score FROM pr_curves WHERE evaluation_id = ? ORDER BY category_id, iou
            """, id
        ).map {
            (
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, precision: $0[2].string ?? "",
                score: $0[3].string ?? ""
            )
        }
        let matches = try database.fetchAll(
            "SELECT image_id, detections FROM image_matches WHERE evaluation_id = ? ORDER BY image_id", id
        ).map { (imageRowID: $0[0].int64 ?? 0, detections: $0[1].string ?? "") }
        return EvaluationRows(
            evaluation: evaluation, metrics: metrics, classMetrics: classMetrics,
            classCounts: try classCounts(evaluationID: evaluation.id), curves: curves, imageMatches: matches)
    }

    func insert(copy rows: EvaluationRows, runID: Int64) throws -> Int64 {
        let evaluation = rows.evaluation
        try database.execute(
            """
            INSERT INTO evaluations (run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                     duration_ms, created_at, is_default)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(runID), .text(evaluation.protocolName), .text(evaluation.parameters),
                .text(evaluation.datasetSHA256), .text(evaluation.runSHA256), .text(evaluation.evaldbVersion),
                .real(evaluation.durationMilliseconds), .text(evaluation.createdAt),
                .integer(evaluation.isDefault ? 1 : 0),
            ])
        let id = database.lastInsertedRowID
        let metric = try database.prepare(
            "INSERT INTO evaluation_metrics (evaluation_id, position, metric, value) VALUES (?, ?, ?, ?)")
        for item in rows.metrics {
            try metric.bind([.integer(id), .integer(item.position), .text(item.metric), item.value.sqlValue])
            try metric.run()
        }
        let classMetric = try database.prepare(
            """
            INSERT INTO class_metrics (evaluation_id, category_id, metric, iou, area, max_dets, value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for item in rows.classMetrics {
            try classMetric.bind([
                .integer(id), .integer(item.categoryID), .text(item.metric), item.iou.sqlValue, .text(item.area),
                item.maxDetections.sqlValue, item.value.sqlValue,
            ])
            try classMetric.run()
        }
        try insertCounts(rows.classCounts, evaluationID: id)
        let curve = try database.prepare(
            "INSERT INTO pr_curves (evaluation_id, category_id, iou, precision, score) VALUES (?, ?, ?, ?, ?)")
        for item in rows.curves {
            try curve.bind([
                .integer(id), .integer(item.categoryID), .real(item.iou), .text(item.precision), .text(item.score),
            ])
            try curve.run()
        }
        let match = try database.prepare(
            "INSERT INTO image_matches (evaluation_id, image_id, detections) VALUES (?, ?, ?)")
        for item in rows.imageMatches {
            try match.bind([.integer(id), .integer(item.imageRowID), .text(item.detections)])
            try match.run()
        }
        return id
    }

    /// Deletes an evaluation and its results.
    func delete(id: Int64) throws {
        try database.execute("DELETE FROM evaluations WHERE id = ?", [.integer(id)])
    }

    /// Inserts an evaluation with every result table; returns its id. Call inside a write transaction.
    func insert(_ record: EvaluationRecord, runID: Int64, datasetSHA256: String, runSHA256: String) throws
        -> Int64
    {
        let result = record.result
        try database.execute(
            """
            INSERT INTO evaluations (run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                     duration_ms, created_at, is_default)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(runID), .text(record.parameters.evaluationProtocol.rawValue),
                .text(record.parameters.canonicalJSON), .text(datasetSHA256), .text(runSHA256),
                .text(EvaldbVersion.current), .real(record.durationMilliseconds), .text(Timestamp.now()),
                .integer(record.isDefault ? 1 : 0),
            ])
        let id = database.lastInsertedRowID
        let metric = try database.prepare(
            "INSERT INTO evaluation_metrics (evaluation_id, position, metric, value) VALUES (?, ?, ?, ?)")
        for (position, item) in result.summary.enumerated() {
            try metric.bind([
                .integer(id), .integer(Int64(position)), .text(item.metric.summaryName), item.value.sqlValue,
            ])
            try metric.run()
        }
        let classMetric = try database.prepare(
            """
            INSERT INTO class_metrics (evaluation_id, category_id, metric, iou, area, max_dets, value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for item in result.classValues {
            try classMetric.bind([
                .integer(id), .integer(item.categoryID), .text(item.metric.statistic.rawValue),
                item.metric.iou.sqlValue, .text(item.metric.area), item.metric.maxDetections.sqlValue,
                item.value.sqlValue,
            ])
            try classMetric.run()
        }
        try insertCounts(result.classCounts, evaluationID: id)
        let curves = try BulkInsert(
            database, table: "pr_curves", columns: ["evaluation_id", "category_id", "iou", "precision", "score"],
            total: result.curves.count)
        var text = JSONBytes()
        for curve in result.curves {
            try curves.row { statement, base in
                statement.bind(int64: id, at: base + 1)
                statement.bind(int64: curve.categoryID, at: base + 2)
                statement.bind(double: curve.iou, at: base + 3)
                text.removeAll()
                text.array(curve.precision)
                try text.bytes.withUnsafeBufferPointer { try statement.bind(utf8: $0, at: base + 4) }
                text.removeAll()
                text.array(curve.score)
                try text.bytes.withUnsafeBufferPointer { try statement.bind(utf8: $0, at: base + 5) }
            }
        }
        try MatchEncoding.insert(
            result.outcomes, rows: record.rows, detectionImages: record.detectionImages, evaluationID: id,
            database: database)
        return id
    }

    private func insertCounts(_ classCounts: [EvaluationResult.ClassCounts], evaluationID id: Int64) throws {
        let counts = try database.prepare(
            """
            INSERT INTO class_counts (evaluation_id, category_id, iou, n_gt, n_det, tp, fp, fn)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for item in classCounts {
            try counts.bind([
                .integer(id), .integer(item.categoryID), .real(item.iou), .integer(Int64(item.groundTruth)),
                .integer(Int64(item.detections)), .integer(Int64(item.truePositives)),
                .integer(Int64(item.falsePositives)), .integer(Int64(item.falseNegatives)),
            ])
            try counts.run()
        }
    }

    /// The summary values of evaluation `evaluationID`, stored under `parameters`, in display order. Throws
    /// `StoreError.unknownMetric` for a stored name the parameters do not report.
    func summary(evaluationID: Int64, parameters: EvaluationParameters) throws
        -> [EvaluationResult.SummaryValue]
    {
        let metrics = Dictionary(
            parameters.protocolParameters.summaryMetrics.map { ($0.summaryName, $0) }, uniquingKeysWith: { a, _ in a })
        return try database.fetchAll(
            "SELECT metric, value FROM evaluation_metrics WHERE evaluation_id = ? ORDER BY position",
            [.integer(evaluationID)]
        ).map { row in
            let name = row[0].string ?? ""
            guard let metric = metrics[name] else { throw StoreError.unknownMetric(name, evaluationID: evaluationID) }
            return EvaluationResult.SummaryValue(metric: metric, value: row[1].double)
        }
    }

    /// The per-class values of evaluation `evaluationID` under `evaluationProtocol`, in stored order. Throws
    /// `StoreError.unknownMetric` for a statistic this evaldb does not know.
    func classValues(evaluationID: Int64, evaluationProtocol: EvaluationProtocol) throws
        -> [EvaluationResult.ClassValue]
    {
        try database.fetchAll(
            """
            SELECT category_id, metric, iou, area, max_dets, value FROM class_metrics WHERE evaluation_id = ?
            ORDER BY rowid
            """, [.integer(evaluationID)]
        ).map { row in
            let name = row[1].string ?? ""
            guard let statistic = Metric.Statistic(rawValue: name) else {
                throw StoreError.unknownMetric(name, evaluationID: evaluationID)
            }
            return EvaluationResult.ClassValue(
                categoryID: row[0].int64 ?? 0,
                metric: Metric(
                    evaluationProtocol, statistic, iou: row[2].double, area: row[3].string ?? Metric.allAreas,
                    maxDetections: row[4].int),
                value: row[5].double)
        }
    }

    /// The per-class counts of an evaluation, by category id.
    func classCounts(evaluationID: Int64) throws -> [EvaluationResult.ClassCounts] {
        try database.fetchAll(
            """
            SELECT category_id, iou, n_gt, n_det, tp, fp, fn FROM class_counts WHERE evaluation_id = ?
            ORDER BY category_id
            """, [.integer(evaluationID)]
        ).map {
            EvaluationResult.ClassCounts(
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, groundTruth: $0[2].int ?? 0,
                detections: $0[3].int ?? 0, truePositives: $0[4].int ?? 0, falsePositives: $0[5].int ?? 0,
                falseNegatives: $0[6].int ?? 0)
        }
    }

    /// The PR curves of an evaluation, by category id, then threshold, read back from the JSON arrays `insert`
    /// writes (a `null` there is nil here).
    func curves(evaluationID: Int64) throws -> [EvaluationResult.Curve] {
        try database.fetchAll(
            """
            SELECT category_id, iou, precision, score FROM pr_curves WHERE evaluation_id = ?
            ORDER BY category_id, iou
            """, [.integer(evaluationID)]
        ).map {
            EvaluationResult.Curve(
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, precision: Self.numbers($0[2].string ?? "[]"),
                score: Self.numbers($0[3].string ?? "[]"))
        }
    }

    /// The values of a flat JSON array of numbers and nulls as `JSONBytes.array` writes it: `[0.5,null,1.0]`.
    static func numbers(_ text: String) -> [Double?] {
        text.utf8.dropFirst().dropLast().split(separator: UInt8(ascii: ",")).map {
            Double(String(decoding: $0, as: UTF8.self))
        }
    }
}
