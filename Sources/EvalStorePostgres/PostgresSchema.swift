import EvalStore

/// Brings a PostgreSQL database to the schema this binary was built with (`Schema/postgres/*.sql`, embedded).
///
/// The version is the highest `evaldb_schema.version`. A database whose version is newer than this binary's is
/// refused before anything is written; a database holding evaldb's table names without `evaldb_schema` belongs to
/// another application and is refused too. Pending migrations run in one transaction under an advisory lock, so
/// that concurrent first commands (16 importers starting at once) migrate once and the others wait.
public enum PostgresSchema {
    /// The schema version this binary writes.
    public static var currentVersion: Int { embeddedMigrations.count }

    /// The migrations embedded in the binary, as (file name, SQL).
    public static var migrations: [(name: String, sql: String)] { embeddedMigrations }

    /// The advisory lock key migrations take ("evdb" and 0: a key of evaldb's own).
    static let migrationLock: (Int32, Int32) = (0x6576_6462, 0)

    /// The recorded version (0: no evaldb schema). Throws `PostgresStoreError.foreignDatabase` when the database has
    /// evaldb's table names but no version table.
    static func version(of connection: BlockingConnection) throws -> Int {
        let found =
            try connection.query(
                "SELECT to_regclass('evaldb_schema') IS NOT NULL, to_regclass('datasets') IS NOT NULL, to_regclass('runs') IS NOT NULL"
            ).valueRows.first ?? []
        if found.first?.int64 == 1 {
            return Int(
                try connection.query("SELECT coalesce(max(version), 0) FROM evaldb_schema").firstValue?.int64 ?? 0)
        }
        for (index, table) in ["datasets", "runs"].enumerated()
        where found.count > index + 1 && found[index + 1].int64 == 1 {
            throw PostgresStoreError.foreignDatabase(location: connection.location.redacted, table: table)
        }
        return 0
    }

    /// Checks the database and applies the pending migrations (unless `mode` only reads). Throws
    /// `StoreError.newerSchema` for a newer database, `PostgresStoreError.noSchema` when a reader finds no schema.
    static func prepare(_ connection: BlockingConnection, mode: StoreAccess) throws {
        let version = try version(of: connection)
        try refuseNewer(version, connection: connection)
        if version == currentVersion { return }
        if mode != .create && version == 0 { throw PostgresStoreError.noSchema(location: connection.location.redacted) }
        try connection.query("BEGIN")
        do {
            try connection.query(
                "SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
                [
                    .integer(Int64(migrationLock.0)), .integer(Int64(migrationLock.1)),
                ])
            // Another process may have migrated while this one waited for the lock.
            let locked = try Self.version(of: connection)
            try refuseNewer(locked, connection: connection)
            for (index, migration) in migrations.enumerated() where index + 1 > locked {
                for statement in statements(of: migration.sql) { try connection.query(statement) }
                try connection.query(
                    "INSERT INTO evaldb_schema (version, migration, applied_at, evaldb_version) VALUES ($1, $2, $3, $4)",
                    [
                        .integer(Int64(index + 1)), .text(migration.name), .text(Timestamp.now()),
                        .text(EvaldbVersion.current),
                    ])
            }
            try connection.query("COMMIT")
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
    }

    private static func refuseNewer(_ version: Int, connection: BlockingConnection) throws {
        if version > currentVersion {
            throw StoreError.newerSchema(path: connection.location.redacted, found: version, supported: currentVersion)
        }
    }

    /// The statements of a migration: split at `;` outside quotes, dollar quotes and comments; comments dropped.
    static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var characters = Array(sql)[...]
        var quote: Character?
        var dollarTag: String?
        while let character = characters.popFirst() {
            if let tag = dollarTag {
                current.append(character)
                if current.hasSuffix(tag) && current.count > tag.count { dollarTag = nil }
                continue
            }
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                current.append(character)
            case "-" where characters.first == "-":
                while let next = characters.first, next != "\n" { characters.removeFirst() }
            case "$":
                let rest = characters.prefix(while: { $0.isLetter || $0 == "_" })
                if characters.dropFirst(rest.count).first == "$" {
                    let tag = "$" + String(rest) + "$"
                    characters.removeFirst(rest.count + 1)
                    current += tag
                    dollarTag = tag
                } else {
                    current.append(character)
                }
            case ";":
                let statement = current.trimmingWhitespace
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            default:
                current.append(character)
            }
        }
        let last = current.trimmingWhitespace
        if !last.isEmpty { statements.append(last) }
        return statements
    }
}
