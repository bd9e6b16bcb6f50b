import EvalStore

/// `evaldb runs` on PostgreSQL: the same columns, filters and sort keys as the SQLite store's listing, in
/// PostgreSQL's SQL (mixed-case metric columns quoted, names ordered byte-wise as SQLite orders them).
struct PostgresRunListing {
    let store: PostgresStore

    /// The columns `evaldb runs` lists.
    static let runColumns = ["name", "dataset", "format", "detections", "tags", "params", "note", "created_at"]

    /// `name` as an SQL identifier.
    static func quoted(_ name: String) -> String { "\"" + name.replacing("\"", with: "\"\"") + "\"" }

    func summaries(_ listing: RunListing) throws -> QueryResult {
        var binds: [PostgresBind] = []
        func parameter(_ value: String) -> String {
            binds.append(.text(value))
            return "$\(binds.count)"
        }
        var select = listing.isLeaderboard ? ["s.name", "s.dataset"] : Self.runColumns.map { "s.\($0)" }
        var shown = listing.isLeaderboard ? ["name", "dataset"] : Self.runColumns
        func columnName(_ key: String, kind: String) -> String {
            shown.contains(key) || RunListing.metricNames.contains(key) ? "\(kind).\(key)" : key
        }
        for metric in listing.metrics {
            guard RunListing.metricNames.contains(metric) else {
                throw StoreError.unknownListingMetric(metric, available: RunListing.metricNames)
            }
            select.append("m.\(Self.quoted(metric))")
            shown.append(metric)
        }
        for (keys, kind, table) in [(listing.params, "param", "run_params"), (listing.tags, "tag", "run_tags")] {
            for key in keys {
                let name = columnName(key, kind: kind)
                select.append(
                    "(SELECT v.value FROM \(table) v WHERE v.run_id = s.run_id AND v.key = \(parameter(key))) AS \(Self.quoted(name))"
                )
                shown.append(name)
            }
        }
        if listing.isLeaderboard {
            select += ["s.detections", "s.created_at"]
            shown += ["detections", "created_at"]
        }
        var runs = "SELECT *, (SELECT id FROM runs WHERE runs.name = run_summary.name) AS run_id FROM run_summary"
        if let condition = listing.condition { runs += " WHERE (\(condition))" }
        var sql = """
            SELECT \(select.joined(separator: ", "))
            FROM (\(runs)) s LEFT JOIN run_metrics m ON m.run = s.name
            WHERE true
            """
        if let dataset = listing.dataset { sql += " AND s.dataset = \(parameter(dataset))" }
        for (pairs, table) in [(listing.tagFilters, "run_tags"), (listing.paramFilters, "run_params")] {
            for pair in pairs {
                sql +=
                    " AND EXISTS (SELECT 1 FROM \(table) f WHERE f.run_id = s.run_id AND f.key = \(parameter(pair.key)) AND f.value = \(parameter(pair.value)))"
            }
        }
        if let sort = listing.sort {
            let order = try sortExpression(sort.key, shown: shown, parameter: parameter)
            let direction = sort.descending ? "DESC" : "ASC"
            sql += " ORDER BY " + order.map { "\($0) \(direction) NULLS LAST" }.joined(separator: ", ")
            sql += ", s.created_at, s.name COLLATE \"C\""
        } else {
            sql += " ORDER BY s.created_at, s.name COLLATE \"C\""
        }
        // The user's condition runs in a read-only transaction: it may read anything, change nothing.
        let rows = try store.readOnly {
            do {
                return try store.connection.query(sql, binds).valueRows
            } catch let error as PostgresStoreError where listing.condition != nil {
                // Syntax errors, unknown columns and functions, wrong types: the condition's fault.
                if let state = error.sqlState, state.hasPrefix("42") || state.hasPrefix("22") || state == "25006",
                    case .server(_, _, let message, _, _) = error
                {
                    throw StoreError.invalidCondition(message)
                }
                throw error
            }
        }
        return QueryResult(columns: shown, rows: rows)
    }

    /// The ORDER BY terms for a sort key: a listed column or metric; else a param (as a number where it is one,
    /// then as text), else a tag. Throws `StoreError.unknownSortKey` otherwise.
    private func sortExpression(_ key: String, shown: [String], parameter: (String) -> String) throws -> [String] {
        if RunListing.metricNames.contains(key) { return ["m.\(Self.quoted(key))"] }
        let runColumns = Self.runColumns + ["import_options", "source", "sha256", "images_with_detections"]
        if runColumns.contains(key) {
            return ["s.\(key)" + (["name", "dataset", "tags", "params", "note"].contains(key) ? " COLLATE \"C\"" : "")]
        }
        var key = key
        let onlyTags = key.hasPrefix("tag.") && shown.contains(key)
        if key.hasPrefix("param.") || key.hasPrefix("tag."), shown.contains(key) {
            key = String(key.drop { $0 != "." }.dropFirst())
        }
        let connection = store.connection
        let isParam =
            onlyTags
            ? 0
            : try connection.query("SELECT count(*) FROM run_params WHERE key = $1", [.text(key)]).firstValue?.int64
                ?? 0
        if isParam > 0 {
            return [
                "(SELECT v.number FROM run_params v WHERE v.run_id = s.run_id AND v.key = \(parameter(key)))",
                "(SELECT v.value FROM run_params v WHERE v.run_id = s.run_id AND v.key = \(parameter(key))) COLLATE \"C\"",
            ]
        }
        let isTag =
            try connection.query("SELECT count(*) FROM run_tags WHERE key = $1", [.text(key)]).firstValue?.int64 ?? 0
        if isTag > 0 {
            return [
                "(SELECT v.value FROM run_tags v WHERE v.run_id = s.run_id AND v.key = \(parameter(key))) COLLATE \"C\""
            ]
        }
        throw StoreError.unknownSortKey(key, available: shown + RunListing.metricNames.filter { !shown.contains($0) })
    }
}

extension PostgresStore {
    /// Runs `body` in a READ ONLY transaction (or in the open write transaction, where a user's condition is run
    /// inside a savepoint-free read; conditions there come from evaldb's own callers).
    func readOnly<T>(_ body: () throws -> T) throws -> T { try reading(begin: "BEGIN READ ONLY", body) }
}
