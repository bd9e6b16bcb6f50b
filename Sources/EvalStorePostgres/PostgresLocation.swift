/// Where a PostgreSQL store is, read from a `postgres://` (or `postgresql://`) URL as libpq reads it:
/// `postgres://user[:password]@host[:port]/dbname?sslmode=MODE&host=/socket/dir&sslrootcert=FILE`.
///
/// The password comes from the URL, else `PGPASSWORD`, else the password file (`PGPASSFILE`, default `~/.pgpass`),
/// as libpq takes it. A `host` that starts with `/` (in the URL's query or percent-encoded in its host part) is the
/// folder of a Unix socket. The user defaults to `PGUSER`, then `USER`; the database to the user's name.
public struct PostgresLocation: Sendable, Equatable {
    /// How the connection uses TLS (libpq's `sslmode`).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's `allow` and `prefer`).
        case allow, prefer
        /// TLS or no connection; the certificate is not checked (as libpq's `require` without a root certificate).
        case require
        /// TLS with the certificate checked against the trusted roots, not the host name.
        case verifyCA = "verify-ca"
        /// TLS with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    /// A host name or address, or the folder of a Unix socket (starting with `/`).
    public var host: String
    public var port: Int
    public var database: String
    public var tlsMode: TLSMode
    /// `sslrootcert`: a PEM file of the roots to trust (verify-ca, verify-full); nil: the system's.
    public var rootCertificate: String?

    /// True when `text` names a PostgreSQL store rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The Unix socket file, when `host` is a folder.
    public var unixSocketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        let hostPart = host.hasPrefix("/") ? "" : (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        var text = "postgres://\(user)@\(hostPart)/\(database)"
        var query: [String] = []
        if host.hasPrefix("/") { query += ["host=\(host)", "port=\(port)"] }
        query.append("sslmode=\(tlsMode.rawValue)")
        text += "?" + query.joined(separator: "&")
        return text
    }

    /// Reads `url` with `environment` (PGPASSWORD, PGPASSFILE, PGUSER, USER, HOME) for what it leaves out.
    /// Throws `PostgresStoreError.invalidURL` naming what is wrong.
    public init(url: String, environment: [String: String]) throws {
        guard let schemeEnd = url.firstRange(of: "://"), Self.isURL(url) else {
            throw PostgresStoreError.invalidURL(url: url, reason: "it must start with postgres:// or postgresql://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var queryText: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if let hash = queryText.firstIndex(of: "#") { queryText = queryText[..<hash] }
        let authority: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
        }
        var userInfo: Substring?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }
        var user: String?
        var password: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decoded(userInfo[..<colon], url: url)
                password = try Self.decoded(userInfo[userInfo.index(after: colon)...], url: url)
            } else {
                user = try Self.decoded(userInfo, url: url)
            }
        }
        var host = ""
        var port: Int?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw PostgresStoreError.invalidURL(url: url, reason: "an IPv6 address needs its closing ]")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(after.dropFirst(), url: url) }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = try Self.decoded(hostPort[..<colon], url: url)
            port = try Self.port(hostPort[hostPort.index(after: colon)...], url: url)
        } else {
            host = try Self.decoded(hostPort, url: url)
        }
        var database = try Self.decoded(path, url: url)
        var mode = TLSMode.prefer
        var rootCertificate: String?
        for pair in queryText.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decoded(parts[0], url: url)
            let value = parts.count > 1 ? try Self.decoded(parts[1], url: url) : ""
            switch key {
            case "sslmode":
                guard let parsed = TLSMode(rawValue: value) else {
                    throw PostgresStoreError.invalidURL(
                        url: url,
                        reason:
                            "sslmode=\(value) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                mode = parsed
            case "host": host = value
            case "port": port = try Self.port(Substring(value), url: url)
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "sslrootcert": rootCertificate = value
            case "application_name", "connect_timeout": break
            default:
                throw PostgresStoreError.invalidURL(
                    url: url,
                    reason:
                        "the parameter '\(key)' is not supported (sslmode, host, port, user, password, dbname, sslrootcert)"
                )
            }
        }
        let resolvedUser = user.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGUSER"] ?? environment["USER"]
        guard let resolvedUser, !resolvedUser.isEmpty else {
            throw PostgresStoreError.invalidURL(url: url, reason: "it names no user (postgres://USER@HOST/DB)")
        }
        self.user = resolvedUser
        self.host = host.isEmpty ? (environment["PGHOST"] ?? "localhost") : host
        self.port = port ?? environment["PGPORT"].flatMap { Int($0) } ?? 5432
        self.database = database.isEmpty ? resolvedUser : database
        self.tlsMode = mode
        self.rootCertificate = rootCertificate
        self.password =
            password ?? environment["PGPASSWORD"]
            ?? PassFile.password(
                path: environment["PGPASSFILE"] ?? environment["HOME"].map { "\($0)/.pgpass" },
                host: self.host.hasPrefix("/") ? "localhost" : self.host, port: self.port, database: self.database,
                user: resolvedUser)
    }

    private static func port(_ text: Substring, url: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw PostgresStoreError.invalidURL(url: url, reason: "the port '\(text)' is not a number from 1 to 65535")
        }
        return port
    }

    /// Percent-decoding (`%2F` is `/`); `+` stays `+`, as libpq reads it.
    static func decoded(_ text: Substring, url: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = utf8.next(), let low = utf8.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else {
                    throw PostgresStoreError.invalidURL(url: url, reason: "a % must be followed by two hex digits")
                }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
