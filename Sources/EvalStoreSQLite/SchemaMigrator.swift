import EvalSQLite
import EvalStore

/// Brings an evaldb SQLite file to the schema this binary was built with (`Schema/*.sql`, embedded).
///
/// The schema version is SQLite's `user_version` (the number of migrations applied); evaldb files are marked with
/// `application_id` so that other SQLite files are refused rather than altered.
public enum SchemaMigrator {
    /// `PRAGMA application_id` of evaldb files ("evdb").
    public static let applicationID: Int64 = 0x6576_6462

    /// evaldb's migrations.
    static let schema = Migrations(applicationID: applicationID, steps: embeddedMigrations)

    /// The schema version this binary writes.
    public static var currentVersion: Int { schema.currentVersion }

    /// The migrations embedded in the binary, as (file name, SQL).
    public static var migrations: [(name: String, sql: String)] { embeddedMigrations }

    /// The schema version recorded in `database` (0 for a new file).
    public static func version(of database: Database) throws(DatabaseError) -> Int {
        try schema.version(of: database)
    }

    /// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction.
    /// Throws `StoreError.newerSchema` when the file was written by a newer evaldb, and
    /// `StoreError.notAnEvaldbDatabase` for a SQLite file of another application.
    public static func migrate(_ database: Database) throws {
        try checkCompatible(database)
        try schema.apply(to: database)
    }

    /// Throws when the file cannot be used by this binary (newer schema, or not an evaldb file).
    public static func checkCompatible(_ database: Database) throws {
        switch try schema.compatibility(of: database) {
        case .compatible: return
        case .newer(let version):
            throw StoreError.newerSchema(path: database.path, found: version, supported: currentVersion)
        case .foreign:
            throw StoreError.notAnEvaldbDatabase(path: database.path)
        }
    }
}
