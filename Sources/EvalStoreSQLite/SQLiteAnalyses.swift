import EvalSQLite
import EvalStore

/// Stored analyses in SQLite. Writers expect to run inside the caller's transaction.
struct SQLiteAnalyses: AnalysisRepository {
    let database: Database

    func find(runID: Int64, kind: AnalysisKind, protocolName: String, parameters: String) throws -> StoredAnalysis? {
        try database.fetchOne(
            """
            SELECT id, run_id, kind, protocol, params, dataset_sha256, run_sha256, duration_ms, created_at, result
            FROM analyses WHERE run_id = ? AND kind = ? AND protocol = ? AND params = ?
            """, [.integer(runID), .text(kind.rawValue), .text(protocolName), .text(parameters)]
        ).map {
            StoredAnalysis(
                id: $0[0].int64 ?? 0, runID: $0[1].int64 ?? 0, kind: AnalysisKind(rawValue: $0[2].string ?? "") ?? kind,
                protocolName: $0[3].string ?? "", parameters: $0[4].string ?? "", datasetSHA256: $0[5].string ?? "",
                runSHA256: $0[6].string ?? "", durationMilliseconds: $0[7].double ?? 0, createdAt: $0[8].string ?? "",
                result: $0[9].string ?? "")
        }
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
