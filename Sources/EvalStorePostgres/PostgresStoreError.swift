/// Failures of the PostgreSQL store, each `description` one line for the user that names the store and the fix.
public enum PostgresStoreError: Error, Sendable, CustomStringConvertible {
    /// The `--db` URL cannot be read.
    case invalidURL(url: String, reason: String)
    /// No connection: the server is not there, refused us, or TLS failed.
    case cannotConnect(location: String, reason: String)
    /// TLS failed: the server's certificate could not be verified, the root certificate file cannot be read, or
    /// the handshake failed.
    case tlsFailed(location: String, reason: String)
    /// The server refused a statement; `sqlState` is PostgreSQL's code (`23505`, `42P01`, ...).
    case server(location: String, sqlState: String, message: String, detail: String?, hint: String?)
    /// The connection failed while in use.
    case connectionLost(location: String, reason: String)
    /// The database holds tables of another application where evaldb's would go.
    case foreignDatabase(location: String, table: String)
    /// The database has no evaldb schema and the command only reads.
    case noSchema(location: String)

    /// PostgreSQL's SQLSTATE, for a failure the server reported.
    public var sqlState: String? {
        if case .server(_, let state, _, _, _) = self { return state }
        return nil
    }

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "--db \(Self.redactingPassword(url)): not a PostgreSQL URL evaldb can use: \(reason)"
        case .cannotConnect(let location, let reason):
            return
                "cannot connect to \(location): \(reason); check that the server runs and the URL's host, port, user and database (a password comes from the URL, PGPASSWORD or ~/.pgpass)"
        case .tlsFailed(let location, let reason):
            return "cannot connect to \(location) over TLS: \(reason)"
        case .server(let location, let state, let message, let detail, let hint):
            var text = "\(location): \(message) (SQLSTATE \(state))"
            if let detail, !detail.isEmpty { text += "; \(detail)" }
            if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
            return text.replacing("\n", with: " ")
        case .connectionLost(let location, let reason):
            return "the connection to \(location) failed: \(reason); nothing of the unfinished transaction was stored"
        case .foreignDatabase(let location, let table):
            return
                "\(location): the database holds a table '\(table)' but no evaldb schema (table evaldb_schema): it belongs to another application; use another database"
        case .noSchema(let location):
            return
                "\(location): no evaldb store in this database yet; import a dataset first (evaldb dataset import NAME PATH --db URL)"
        }
    }

    /// `url` with any password replaced by `***`.
    static func redactingPassword(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var redacted = url
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            redacted.replaceSubrange(authority.index(after: colon)..<at, with: "***")
        }
        if let range = redacted.firstRange(of: "password=") {
            let end = redacted[range.upperBound...].firstIndex(of: "&") ?? redacted.endIndex
            redacted.replaceSubrange(range.upperBound..<end, with: "***")
        }
        return redacted
    }
}
