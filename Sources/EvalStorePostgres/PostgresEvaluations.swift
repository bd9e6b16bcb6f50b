import EvalKit
import EvalStore
import PostgresNIO

/// Evaluations and their results in PostgreSQL. Writers expect to run inside `PostgresStore.write`; results are
/// loaded with binary COPY, matches and curves as the same JSON text the SQLite store writes.
struct PostgresEvaluations: EvaluationRepository {
    let store: PostgresStore
    var connection: BlockingConnection { store.connection }

    func find(runID: Int64, protocolName: String, parameters: String) throws -> StoredEvaluation? {
        try connection.query(
            "SELECT \(StoredEvaluation.columns) FROM evaluations WHERE run_id = $1 AND protocol = $2 AND params = $3",
            [.integer(runID), .text(protocolName), .text(parameters)]
        ).valueRows.first.map(StoredEvaluation.init(row:))
    }

    func delete(id: Int64) throws {
        try connection.query("DELETE FROM evaluations WHERE id = $1", [.integer(id)])
    }

    /// Stores a computed evaluation: its rows as `insert(copy:runID:)` writes them.
    func insert(_ record: EvaluationRecord, runID: Int64, datasetSHA256: String, runSHA256: String) throws -> Int64 {
        let result = record.result
        let evaluation = StoredEvaluation(
            id: 0, runID: runID, protocolName: record.parameters.evaluationProtocol.rawValue,
            parameters: record.parameters.canonicalJSON, datasetSHA256: datasetSHA256, runSHA256: runSHA256,
            durationMilliseconds: record.durationMilliseconds, createdAt: Timestamp.now(), isDefault: record.isDefault,
            evaldbVersion: EvaldbVersion.current)
        let rows = EvaluationRows(
            evaluation: evaluation,
            metrics: result.summary.enumerated().map {
                (position: Int64($0.offset), metric: $0.element.metric.summaryName, value: $0.element.value)
            },
            classMetrics: result.classValues.map {
                EvaluationRows.ClassMetric(
                    categoryID: $0.categoryID, metric: $0.metric.statistic.rawValue, iou: $0.metric.iou,
                    area: $0.metric.area, maxDetections: $0.metric.maxDetections.map(Int64.init), value: $0.value)
            },
            classCounts: result.classCounts,
            curves: result.curves.map {
                (
                    categoryID: $0.categoryID, iou: $0.iou, precision: ResultText.array($0.precision),
                    score: ResultText.array($0.score)
                )
            },
            imageMatches: ResultText.imageMatches(
                result.outcomes, rows: record.rows, detectionImages: record.detectionImages
            ).map { (imageRowID: $0.0, detections: $0.1) })
        return try insert(copy: rows, runID: runID)
    }

    func insertCounts(_ classCounts: [EvaluationResult.ClassCounts], evaluationID id: Int64) throws {
        var counts = BinaryCopy()
        for item in classCounts {
            counts.row(8)
            counts.int64(id)
            counts.int64(item.categoryID)
            counts.double(item.iou)
            counts.int64(Int64(item.groundTruth))
            counts.int64(Int64(item.detections))
            counts.int64(Int64(item.truePositives))
            counts.int64(Int64(item.falsePositives))
            counts.int64(Int64(item.falseNegatives))
        }
        try connection.copyBinary(
            table: "class_counts", columns: ["evaluation_id", "category_id", "iou", "n_gt", "n_det", "tp", "fp", "fn"],
            chunks: counts.finish())
    }

    func summary(evaluationID: Int64, parameters: EvaluationParameters) throws -> [EvaluationResult.SummaryValue] {
        let metrics = Dictionary(
            parameters.protocolParameters.summaryMetrics.map { ($0.summaryName, $0) }, uniquingKeysWith: { a, _ in a })
        return try connection.query(
            "SELECT metric, value FROM evaluation_metrics WHERE evaluation_id = $1 ORDER BY position",
            [.integer(evaluationID)]
        ).valueRows.map { row in
            let name = row[0].string ?? ""
            guard let metric = metrics[name] else { throw StoreError.unknownMetric(name, evaluationID: evaluationID) }
            return EvaluationResult.SummaryValue(metric: metric, value: row[1].double)
        }
    }

    func classValues(evaluationID: Int64, evaluationProtocol: EvaluationProtocol) throws
        -> [EvaluationResult.ClassValue]
    {
        try connection.query(
            """
            SELECT category_id, metric, iou, area, max_dets, value FROM class_metrics WHERE evaluation_id = $1
            ORDER BY position
            """, [.integer(evaluationID)]
        ).valueRows.map { row in
            let name = row[1].string ?? ""
            guard let statistic = Metric.Statistic(rawValue: name) else {
                throw StoreError.unknownMetric(name, evaluationID: evaluationID)
            }
            return EvaluationResult.ClassValue(
                categoryID: row[0].int64 ?? 0,
                metric: Metric(
                    evaluationProtocol, statistic, iou: row[2].double, area: row[3].string ?? Metric.allAreas,
                    maxDetections: row[4].int64.map { Int($0) }),
                value: row[5].double)
        }
    }

    func classCounts(evaluationID: Int64) throws -> [EvaluationResult.ClassCounts] {
        try connection.query(
            """
            SELECT category_id, iou, n_gt, n_det, tp, fp, fn FROM class_counts WHERE evaluation_id = $1
            ORDER BY category_id
            """, [.integer(evaluationID)]
        ).valueRows.map {
            EvaluationResult.ClassCounts(
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, groundTruth: Int($0[2].int64 ?? 0),
                detections: Int($0[3].int64 ?? 0), truePositives: Int($0[4].int64 ?? 0),
                falsePositives: Int($0[5].int64 ?? 0), falseNegatives: Int($0[6].int64 ?? 0))
        }
    }

    func curves(evaluationID: Int64) throws -> [EvaluationResult.Curve] {
        try connection.query(
            """
            SELECT category_id, iou, precision, score FROM pr_curves WHERE evaluation_id = $1
            ORDER BY category_id, iou
            """, [.integer(evaluationID)]
        ).valueRows.map {
            EvaluationResult.Curve(
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0,
                precision: ResultText.numbers($0[2].string ?? "[]"), score: ResultText.numbers($0[3].string ?? "[]"))
        }
    }
}

/// Stored analyses in PostgreSQL.
struct PostgresAnalyses: AnalysisRepository {
    let store: PostgresStore
    var connection: BlockingConnection { store.connection }

    func find(runID: Int64, kind: AnalysisKind, protocolName: String, parameters: String) throws -> StoredAnalysis? {
        try connection.query(
            "SELECT \(StoredAnalysis.columns) FROM analyses WHERE run_id = $1 AND kind = $2 AND protocol = $3 AND params = $4",
            [.integer(runID), .text(kind.rawValue), .text(protocolName), .text(parameters)]
        ).valueRows.first.flatMap(StoredAnalysis.init(row:))
    }

    func insert(_ analysis: StoredAnalysis) throws -> Int64 {
        try connection.query(
            """
            INSERT INTO analyses (run_id, kind, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                  duration_ms, created_at, result)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json)
            ON CONFLICT (run_id, kind, protocol, params) DO UPDATE SET
                dataset_sha256 = excluded.dataset_sha256, run_sha256 = excluded.run_sha256,
                evaldb_version = excluded.evaldb_version, duration_ms = excluded.duration_ms,
                created_at = excluded.created_at, result = excluded.result
            RETURNING id
            """,
            [
                .integer(analysis.runID), .text(analysis.kind.rawValue), .text(analysis.protocolName),
                .text(analysis.parameters), .text(analysis.datasetSHA256), .text(analysis.runSHA256),
                .text(EvaldbVersion.current), .real(analysis.durationMilliseconds), .text(Timestamp.now()),
                .text(analysis.result),
            ]
        ).firstValue?.int64 ?? 0
    }

    func rows(of analysis: StoredAnalysis) throws -> QueryResult {
        let columns: [String]
        let view: String
        switch analysis.kind {
        case .errors:
            view = "tide_errors"
            columns = ["category_id", "category", "AP50", "error", "count", "dAP"]
        case .confusion:
            view = "confusion"
            columns = ["gt_category_id", "gt_category", "predicted_category_id", "predicted_category", "count"]
        case .thresholds:
            view = "thresholds"
            columns = [
                "category_id", "category", "n_gt", "threshold", "precision", "recall", "F1", "TP", "FP", "FN",
                "target_precision", "target_threshold", "target_reached", "target_recall",
            ]
        }
        let select = columns.map(PostgresRunListing.quoted).joined(separator: ", ")
        let result = try connection.query(
            "SELECT \(select) FROM \(view) WHERE analysis_id = $1", [.integer(analysis.id)])
        return QueryResult(columns: columns, rows: result.valueRows)
    }
}

/// The baseline run of each dataset in PostgreSQL.
struct PostgresBaselines: BaselineRepository {
    let store: PostgresStore
    private var connection: BlockingConnection { store.connection }

    func set(_ run: StoredRun) throws {
        try connection.query(
            """
            INSERT INTO baselines (dataset_id, run_id, set_at) VALUES ($1, $2, $3)
            ON CONFLICT (dataset_id) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at
            """, [.integer(run.datasetID), .integer(run.id), .text(Timestamp.now())])
    }

    func clear(datasetID: Int64) throws -> Bool {
        let result = try connection.query("DELETE FROM baselines WHERE dataset_id = $1", [.integer(datasetID)])
        return (result.metadata.rows ?? 0) > 0
    }

    func baseline(datasetID: Int64) throws -> String? {
        try connection.query(
            "SELECT r.name FROM baselines b JOIN runs r ON r.id = b.run_id WHERE b.dataset_id = $1",
            [.integer(datasetID)]
        ).firstValue?.string
    }

    func all() throws -> [(dataset: String, run: String, setAt: String)] {
        try connection.query(
            """
            SELECT d.name, r.name, b.set_at FROM baselines b JOIN datasets d ON d.id = b.dataset_id
            JOIN runs r ON r.id = b.run_id ORDER BY d.name COLLATE "C"
            """
        ).valueRows.map { ($0[0].string ?? "", $0[1].string ?? "", $0[2].string ?? "") }
    }
}
