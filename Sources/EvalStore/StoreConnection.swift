import EvalFormats

/// Opens evaldb databases the way every command needs them: created and migrated for writers, checked
/// for readers.
public enum StoreConnection {
    /// How a command uses the database.
    public enum Mode: Sendable {
        /// Create the file when missing and migrate it (import commands).
        case create
        /// The file must exist; migrate it when older (commands that may write).
        case write
        /// The file must exist; opened read-only after any pending migration (`evaldb sql`, listings).
        case readOnly
    }

    /// The database path from `--db`, else `$EVALDB_DB`, else `./evaldb.sqlite`.
    public static func resolvePath(_ option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let variable = environment["EVALDB_DB"], !variable.isEmpty { return variable }
        return "evaldb.sqlite"
    }

    /// Opens the database at `path` for `mode`. Throws `StoreError.databaseMissing` when a reader finds no
    /// file, `StoreError.newerSchema` / `.notAnEvaldbDatabase` for files this binary must not touch, and
    /// `DatabaseError` when SQLite cannot open it.
    public static func open(path: String, mode: Mode) throws -> Database {
        if mode != .create && path != ":memory:" {
            switch InputFiles.kind(of: path) {
            case .missing: throw StoreError.databaseMissing(path: path)
            case .directory: throw StoreError.notAnEvaldbDatabase(path: path)
            case .file: break
            }
        }
        if mode == .readOnly {
            let reader = try Database(path: path, readOnly: true)
            try SchemaMigrator.checkCompatible(reader)
            if try SchemaMigrator.version(of: reader) == SchemaMigrator.currentVersion { return reader }
            // An older file: migrate with a writer first, then reopen read-only.
            _ = try open(path: path, mode: .write)
            return try Database(path: path, readOnly: true)
        }
        let database = try Database(path: path, readOnly: false, create: mode == .create)
        try SchemaMigrator.migrate(database)
        return database
    }
}
