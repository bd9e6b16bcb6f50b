import EvalSQLite
import EvalStore

/// The baseline run of each dataset in SQLite.
struct SQLiteBaselines: BaselineRepository {
    let database: Database

    /// Makes `run` its dataset's baseline (replacing any other).
    func set(_ run: StoredRun) throws {
        try database.execute(
            """
            INSERT INTO baselines (dataset_id, run_id, set_at) VALUES (?, ?, ?)
            ON CONFLICT (dataset_id) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at
            """, [.integer(run.datasetID), .integer(run.id), .text(Timestamp.now())])
    }

    /// Removes the baseline of a dataset; false when there was none.
    func clear(datasetID: Int64) throws -> Bool {
        try database.execute("DELETE FROM baselines WHERE dataset_id = ?", [.integer(datasetID)])
        return database.changes > 0
    }

    /// The baseline run's name of a dataset, or nil.
    func baseline(datasetID: Int64) throws -> String? {
        try database.fetchValue(
            "SELECT r.name FROM baselines b JOIN runs r ON r.id = b.run_id WHERE b.dataset_id = ?",
            [.integer(datasetID)]
        ).string
    }

    /// Every baseline: dataset name, run name, when it was set.
    func all() throws -> [(dataset: String, run: String, setAt: String)] {
        try database.fetchAll(
            """
            SELECT d.name, r.name, b.set_at FROM baselines b JOIN datasets d ON d.id = b.dataset_id
            JOIN runs r ON r.id = b.run_id ORDER BY d.name
            """
        ).map { ($0[0].string ?? "", $0[1].string ?? "", $0[2].string ?? "") }
    }
}
