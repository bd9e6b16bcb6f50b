import EvalSQLite
import EvalStore

/// Stored analyses in SQLite. Writers expect to run inside the caller's transaction.
struct SQLiteAnalyses: AnalysisRepository {
    let database: Database

    private static func stored(_ row: Row) -> StoredAnalysis? { StoredAnalysis(row: row.values.map(StoreValue.init)) }

    func find(runID: Int64, kind: AnalysisKind, protocolName: String, parameters: String) throws -> StoredAnalysis? {
        try database.fetchOne(
            "SELECT \(StoredAnalysis.columns) FROM analyses WHERE run_id = ? AND kind = ? AND protocol = ? AND params = ?",
            [.integer(runID), .text(kind.rawValue), .text(protocolName), .text(parameters)]
        ).flatMap(Self.stored)
    }

    func all(runID: Int64) throws -> [StoredAnalysis] {
        try database.fetchAll(
            "SELECT \(StoredAnalysis.columns) FROM analyses WHERE run_id = ? ORDER BY id", [.integer(runID)]
        )
        .compactMap(Self.stored)
    }

    func insert(copy analysis: StoredAnalysis, runID: Int64) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO analyses (run_id, kind, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                  duration_ms, created_at, result)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(runID), .text(analysis.kind.rawValue), .text(analysis.protocolName),
                .text(analysis.parameters), .text(analysis.datasetSHA256), .text(analysis.runSHA256),
                .text(analysis.evaldbVersion), .real(analysis.durationMilliseconds), .text(analysis.createdAt),
                .text(analysis.result),
            ])
        return database.lastInsertedRowID
    }

    func insert(_ analysis: StoredAnalysis) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO analyses (run_id, kind, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                  duration_ms, created_at, result)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, kind, protocol, params) DO UPDATE SET
                dataset_sha256 = excluded.dataset_sha256, run_sha256 = excluded.run_sha256,
                evaldb_version = excluded.evaldb_version, duration_ms = excluded.duration_ms,
                created_at = excluded.created_at, result = excluded.result
            """,
            [
                .integer(analysis.runID), .text(analysis.kind.rawValue), .text(analysis.protocolName),
                .text(analysis.parameters), .text(analysis.datasetSHA256), .text(analysis.runSHA256),
                .text(EvaldbVersion.current), .real(analysis.durationMilliseconds), .text(Timestamp.now()),
                .text(analysis.result),
            ])
        return try database.fetchOne(
            "SELECT id FROM analyses WHERE run_id = ? AND kind = ? AND protocol = ? AND params = ?",
            [
                .integer(analysis.runID), .text(analysis.kind.rawValue), .text(analysis.protocolName),
                .text(analysis.parameters),
            ])?[0].int64 ?? 0
    }

    func rows(of analysis: StoredAnalysis) throws -> QueryResult {
        let sql: String
        switch analysis.kind {
        case .errors:
            sql = "SELECT category_id, category, AP50, error, count, dAP FROM tide_errors WHERE analysis_id = ?"
        case .confusion:
            sql = """
                SELECT gt_category_id, gt_category, predicted_category_id, predicted_category, count
                FROM confusion WHERE analysis_id = ?
                """
        case .thresholds:
            sql = """
                SELECT category_id, category, n_gt, threshold, precision, recall, F1, TP, FP, FN, target_precision,
                       target_threshold, target_reached, target_recall
                FROM thresholds WHERE analysis_id = ?
                """
        }
        return try database.prepare(sql).queryResult([.integer(analysis.id)])
    }
}
