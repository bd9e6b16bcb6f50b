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

    /// A migration whose SQL holds this line runs with foreign-key enforcement off: SQLite's procedure for changing
    /// a table that others refer to (rebuild it, drop the old one, rename the new one) needs it, since an enforced
    /// drop would cascade to every row referring to the table.
    public static let foreignKeysOffMarker = "-- migration: foreign keys off"

    /// Applies the pending migrations in `BEGIN IMMEDIATE` transactions, re-reading the version inside each (another
    /// process may have migrated meanwhile). The caller checks `compatibility` first.
    ///
    /// Consecutive migrations run in one transaction. A migration marked with `foreignKeysOffMarker` runs in a
    /// transaction of its own (with the marked ones that follow it) with foreign-key enforcement off, and
    /// `PRAGMA foreign_key_check` must find nothing before it commits; the others keep enforcement, and with it the
    /// cascades they may rely on. Each transaction records the version it reached, so an interrupted upgrade leaves
    /// a file at an earlier version, whole. Throws a `DatabaseError` (`SQLITE_CONSTRAINT_FOREIGNKEY`) naming the
    /// table of the first violation.
    public func apply(to database: Database) throws {
        while true {
            let version = try self.version(of: database)
            guard version < currentVersion else { return }
            let keysOff = steps[version].sql.contains(Self.foreignKeysOffMarker)
            var end = version
            while end < currentVersion && steps[end].sql.contains(Self.foreignKeysOffMarker) == keysOff { end += 1 }
            let enforced = try database.fetchValue("PRAGMA foreign_keys").int == 1
            if keysOff && enforced { try database.execute("PRAGMA foreign_keys = OFF") }
            defer { if keysOff && enforced { try? database.execute("PRAGMA foreign_keys = ON") } }
            try database.transaction {
                // Another process may have migrated since the version was read: look again.
                guard try self.version(of: database) == version else { return }
                for step in steps[version..<end] {
                    try database.execute(step.sql)
                }
                if keysOff, let violation = try database.fetchAll("PRAGMA foreign_key_check").first {
                    throw DatabaseError(
                        code: 787,
                        message: "a migration left a row of \(violation[0].string ?? "?") without its parent",
                        sql: "PRAGMA foreign_key_check", path: database.path)
                }
                try database.execute("PRAGMA application_id = \(applicationID)")
                try database.execute("PRAGMA user_version = \(end)")
            }
        }
    }
}
