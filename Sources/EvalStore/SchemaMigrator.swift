/// Brings a database to the schema this binary was built with.
///
/// The schema version is SQLite's `user_version` (the number of migrations applied); evaldb files are
/// marked with `application_id` so that other SQLite files are refused rather than altered.
public enum SchemaMigrator {
    /// `PRAGMA application_id` of evaldb files ("evdb").
    public static let applicationID: Int64 = 0x6576_6462

    /// The schema version this binary writes.
    public static var currentVersion: Int { embeddedMigrations.count }

    /// The migrations embedded in the binary, as (file name, SQL).
    public static var migrations: [(name: String, sql: String)] { embeddedMigrations }

    /// The schema version recorded in `database` (0 for a new file).
    public static func version(of database: Database) throws(DatabaseError) -> Int {
        try database.fetchValue("PRAGMA user_version").int ?? 0
    }

    /// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction.
    /// Throws `StoreError.newerSchema` when the file was written by a newer evaldb, and
    /// `StoreError.notAnEvaldbDatabase` for a SQLite file of another application.
    public static func migrate(_ database: Database) throws {
        try checkCompatible(database)
        guard try version(of: database) < currentVersion else { return }
        try database.transaction {
            // Re-read inside the write lock: another process may have migrated meanwhile.
            let version = try self.version(of: database)
            guard version < currentVersion else { return }
            for migration in embeddedMigrations[version...] {
                try database.execute(migration.sql)
            }
            try database.execute("PRAGMA application_id = \(applicationID)")
            try database.execute("PRAGMA user_version = \(currentVersion)")
        }
    }

    /// Throws when the file cannot be used by this binary (newer schema, or not an evaldb file).
    public static func checkCompatible(_ database: Database) throws {
        let version = try self.version(of: database)
        if version > currentVersion {
            throw StoreError.newerSchema(path: database.path, found: version, supported: currentVersion)
        }
        let application = try database.fetchValue("PRAGMA application_id").int64 ?? 0
        if application != applicationID {
            let tables = try database.fetchValue("SELECT count(*) FROM sqlite_schema").int ?? 0
            if application != 0 || tables > 0 {
                throw StoreError.notAnEvaldbDatabase(path: database.path)
            }
        }
    }
}
