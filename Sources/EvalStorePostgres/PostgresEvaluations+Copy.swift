import EvalKit
import EvalStore

/// Reading and writing evaluations and analyses row by row, as stored: what `evaldb push` and `pull` copy.
extension PostgresEvaluations {
    func all(runID: Int64) throws -> [StoredEvaluation] {
        try connection.query(
            "SELECT \(StoredEvaluation.columns) FROM evaluations WHERE run_id = $1 ORDER BY id", [.integer(runID)]
        ).valueRows.map(StoredEvaluation.init(row:))
    }

    func rows(of evaluation: StoredEvaluation) throws -> EvaluationRows {
        let id: [PostgresBind] = [.integer(evaluation.id)]
        let metrics = try connection.query(
            "SELECT position, metric, value FROM evaluation_metrics WHERE evaluation_id = $1 ORDER BY position", id
        ).valueRows.map { (position: $0[0].int64 ?? 0, metric: $0[1].string ?? "", value: $0[2].double) }
        let classMetrics = try connection.query(
            """
            SELECT category_id, metric, iou, area, max_dets, value FROM class_metrics WHERE evaluation_id = $1
            ORDER BY position
            """, id
        ).valueRows.map {
            EvaluationRows.ClassMetric(
                categoryID: $0[0].int64 ?? 0, metric: $0[1].string ?? "", iou: $0[2].double,
                area: $0[3].string ?? Metric.allAreas, maxDetections: $0[4].int64, value: $0[5].double)
        }
        let curves = try connection.query(
            """
            SELECT category_id, iou, precision, score FROM pr_curves WHERE evaluation_id = $1
            ORDER BY category_id, iou
            """, id
        ).valueRows.map {
            (
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, precision: $0[2].string ?? "",
                score: $0[3].string ?? ""
            )
        }
        let matches = try connection.query(
            "SELECT image_id, detections FROM image_matches WHERE evaluation_id = $1 ORDER BY image_id", id
        ).valueRows.map { (imageRowID: $0[0].int64 ?? 0, detections: $0[1].string ?? "") }
        return EvaluationRows(
            evaluation: evaluation, metrics: metrics, classMetrics: classMetrics,
            classCounts: try classCounts(evaluationID: evaluation.id), curves: curves, imageMatches: matches)
    }

    func insert(copy rows: EvaluationRows, runID: Int64) throws -> Int64 {
        let evaluation = rows.evaluation
        let id =
            try connection.query(
                """
                INSERT INTO evaluations (run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                         duration_ms, created_at, is_default)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """,
                [
                    .integer(runID), .text(evaluation.protocolName), .text(evaluation.parameters),
                    .text(evaluation.datasetSHA256), .text(evaluation.runSHA256), .text(evaluation.evaldbVersion),
                    .real(evaluation.durationMilliseconds), .text(evaluation.createdAt),
                    .integer(evaluation.isDefault ? 1 : 0),
                ]
            ).firstValue?.int64 ?? 0
        var metrics = BinaryCopy()
        for item in rows.metrics {
            metrics.row(4)
            metrics.int64(id)
            metrics.int64(item.position)
            metrics.text(item.metric)
            metrics.double(item.value)
        }
        try connection.copyBinary(
            table: "evaluation_metrics", columns: ["evaluation_id", "position", "metric", "value"],
            chunks: metrics.finish())
        var classMetrics = BinaryCopy()
        for (position, item) in rows.classMetrics.enumerated() {
            classMetrics.row(8)
            classMetrics.int64(id)
            classMetrics.int64(item.categoryID)
            classMetrics.text(item.metric)
            classMetrics.double(item.iou)
            classMetrics.text(item.area)
            classMetrics.int64(item.maxDetections)
            classMetrics.double(item.value)
            classMetrics.int64(Int64(position))
        }
        try connection.copyBinary(
            table: "class_metrics",
            columns: ["evaluation_id", "category_id", "metric", "iou", "area", "max_dets", "value", "position"],
            chunks: classMetrics.finish())
        try insertCounts(rows.classCounts, evaluationID: id)
        var curves = BinaryCopy()
        for curve in rows.curves {
            curves.row(5)
            curves.int64(id)
            curves.int64(curve.categoryID)
            curves.double(curve.iou)
            curves.text(curve.precision)
            curves.text(curve.score)
        }
        try connection.copyBinary(
            table: "pr_curves", columns: ["evaluation_id", "category_id", "iou", "precision", "score"],
            chunks: curves.finish())
        var matches = BinaryCopy()
        for item in rows.imageMatches {
            matches.row(3)
            matches.int64(id)
            matches.int64(item.imageRowID)
            matches.text(item.detections)
        }
        try connection.copyBinary(
            table: "image_matches", columns: ["evaluation_id", "image_id", "detections"], chunks: matches.finish())
        return id
    }
}

extension PostgresAnalyses {
    func all(runID: Int64) throws -> [StoredAnalysis] {
        try connection.query(
            "SELECT \(StoredAnalysis.columns) FROM analyses WHERE run_id = $1 ORDER BY id", [.integer(runID)]
        )
        .valueRows.compactMap(StoredAnalysis.init(row:))
    }

    func insert(copy analysis: StoredAnalysis, runID: Int64) throws -> Int64 {
        try connection.query(
            """
            INSERT INTO analyses (run_id, kind, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                  duration_ms, created_at, result)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json) RETURNING id
            """,
            [
                .integer(runID), .text(analysis.kind.rawValue), .text(analysis.protocolName),
                .text(analysis.parameters), .text(analysis.datasetSHA256), .text(analysis.runSHA256),
                .text(analysis.evaldbVersion), .real(analysis.durationMilliseconds), .text(analysis.createdAt),
                .text(analysis.result),
            ]
        ).firstValue?.int64 ?? 0
    }
}
