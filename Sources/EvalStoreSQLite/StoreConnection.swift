import EvalFormats
public import EvalSQLite
public import EvalStore

/// Opens evaldb databases the way every command needs them: created and migrated for writers, checked
/// for readers.
///
/// A file is looked at read-only before anything is written to it, so that a store of a newer evaldb, another
/// application's SQLite file or an empty file is refused exactly as it was found (no switch to WAL, no schema).
public enum StoreConnection {
    /// How a command uses the store.
    public typealias Mode = StoreAccess

    /// The database path from `--db`, else `$EVALDB_DB`, else `./evaldb.sqlite`.
    public static func resolvePath(_ option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let variable = environment["EVALDB_DB"], !variable.isEmpty { return variable }
        return "evaldb.sqlite"
    }

    /// The busy timeout from `$EVALDB_BUSY_TIMEOUT` (seconds, at least 0), else `Database.defaultBusyTimeout`.
    public static func busyTimeout(environment: [String: String]) -> Duration {
        guard let text = environment["EVALDB_BUSY_TIMEOUT"], let seconds = Double(text), seconds >= 0,
            seconds.isFinite
        else { return Database.defaultBusyTimeout }
        return .milliseconds(Int64(min(seconds, 1e9) * 1000))
    }

    /// Opens the database at `path` for `mode`. Throws `StoreError.databaseMissing` when a reader finds no
    /// file, `StoreError.emptyStore` for an empty file a reader was given, `StoreError.newerSchema` /
    /// `.notAnEvaldbDatabase` for files this binary must not touch, and `DatabaseError` when SQLite cannot open
    /// or write it. A read-only opening in a folder where SQLite cannot create its shared-memory file is made
    /// immutable (`Database.isImmutable`).
    public static func open(
        path: String, mode: Mode, busyTimeout: Duration = Database.defaultBusyTimeout
    ) throws -> Database {
        if path == ":memory:" {
            let database = try Database(path: path)
            try SchemaMigrator.migrate(database)
            return database
        }
        switch InputFiles.kind(of: path) {
        case .missing:
            if mode != .create {
                if InputFiles.isSymbolicLinkLoop(path) || InputFiles.isDanglingSymbolicLink(path) {
                    throw ReadError.notFound(path: path)
                }
                throw StoreError.databaseMissing(path: path)
            }
        case .directory:
            throw StoreError.notAnEvaldbDatabase(path: path)
        case .file:
            if InputFiles.size(of: path) == 0 {
                // An empty file is no store yet: only an importing command may make it one.
                if mode != .create { throw StoreError.emptyStore(path: path) }
            } else {
                // Look before touching.
                let reader = try openForReading(path, busyTimeout: busyTimeout)
                try SchemaMigrator.checkCompatible(reader)
                let version = try SchemaMigrator.version(of: reader)
                if version == 0 && mode != .create { throw StoreError.emptyStore(path: path) }
                if mode == .readOnly && version == SchemaMigrator.currentVersion { return reader }
            }
        }
        let database = try Database(path: path, readOnly: false, create: mode == .create, busyTimeout: busyTimeout)
        try SchemaMigrator.migrate(database)
        if mode == .readOnly { return try openForReading(path, busyTimeout: busyTimeout) }
        return database
    }

    /// A read-only connection; immutable when the folder does not let SQLite create its `-shm` file.
    static func openForReading(_ path: String, busyTimeout: Duration) throws -> Database {
        do {
            let reader = try Database(path: path, readOnly: true, busyTimeout: busyTimeout)
            // The first read is what needs the shared-memory file of a WAL database.
            _ = try SchemaMigrator.version(of: reader)
            return reader
        } catch  where error.isReadOnlyDirectory {
            let reader = try Database(path: path, readOnly: true, immutable: true)
            _ = try SchemaMigrator.version(of: reader)
            return reader
        }
    }
}
