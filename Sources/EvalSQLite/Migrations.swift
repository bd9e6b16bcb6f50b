/// Numbered migrations of one application's schema: migration i brings `PRAGMA user_version` to i, and files of
/// the application carry its `PRAGMA application_id`, so that other SQLite files are told apart rather than
/// altered.
public struct Migrations: Sendable {
    /// What a database file is to these migrations.
    public enum Compatibility: Sendable, Equatable {
        /// This application's file (or an empty one) at `version` <= the current version.
        case compatible(version: Int)
        /// This application's file, written by a newer version of it.
        case newer(version: Int)
        /// Another application's SQLite file.
        case foreign
    }

    /// The application's `application_id`.
    public var applicationID: Int64
    /// The migrations in order: (name, SQL).
    public var steps: [(name: String, sql: String)]

    public init(applicationID: Int64, steps: [(name: String, sql: String)]) {
        self.applicationID = applicationID
        self.steps = steps
    }

    /// The schema version these migrations reach.
    public var currentVersion: Int { steps.count }

    /// The schema version recorded in `database` (0 for a new file).
    public func version(of database: Database) throws(DatabaseError) -> Int {
        try database.fetchValue("PRAGMA user_version").int ?? 0
    }

    /// What `database` is to these migrations; reads only.
    public func compatibility(of database: Database) throws(DatabaseError) -> Compatibility {
        let version = try self.version(of: database)
        let application = try database.fetchValue("PRAGMA application_id").int64 ?? 0
        if application != applicationID {
            let tables = try database.fetchValue("SELECT count(*) FROM sqlite_schema").int ?? 0
            if application != 0 || tables > 0 { return .foreign }
        }
        return version > currentVersion ? .newer(version: version) : .compatible(version: version)
    }

    /// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction, re-reading the version inside it (another
    /// process may have migrated meanwhile). The caller checks `compatibility` first.
    ///
    /// Foreign-key enforcement is off while the migrations run, as SQLite's procedure for changing a table requires
    /// (a table rebuilt under a new definition is dropped and replaced: enforced, the drop would cascade to every
    /// row referring to it), and `PRAGMA foreign_key_check` must find nothing before the transaction commits.
    /// Throws a `DatabaseError` (`SQLITE_CONSTRAINT_FOREIGNKEY`) naming the first violation otherwise.
    public func apply(to database: Database) throws {
        guard try version(of: database) < currentVersion else { return }
        let enforcesForeignKeys = try database.fetchValue("PRAGMA foreign_keys").int == 1
        if enforcesForeignKeys { try database.execute("PRAGMA foreign_keys = OFF") }
        defer { if enforcesForeignKeys { try? database.execute("PRAGMA foreign_keys = ON") } }
        try database.transaction {
            let version = try self.version(of: database)
            guard version < currentVersion else { return }
            for step in steps[version...] {
                try database.execute(step.sql)
            }
            if let violation = try database.fetchAll("PRAGMA foreign_key_check").first {
                throw DatabaseError(
                    code: 787, message: "a migration left a row of \(violation[0].string ?? "?") without its parent",
                    sql: "PRAGMA foreign_key_check", path: database.path)
            }
            try database.execute("PRAGMA application_id = \(applicationID)")
            try database.execute("PRAGMA user_version = \(currentVersion)")
        }
    }
}
