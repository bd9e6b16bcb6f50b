import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection used synchronously, as evaldb's commands are written.
///
/// postgres-nio is asynchronous; this connection runs it on an event loop of its own (one thread) and waits for each
/// operation on the calling thread. Waiting is safe because the caller is never that event loop's thread. Callers
/// must not use one connection from two threads at once (a store is used by one command).
final class BlockingConnection: @unchecked Sendable {
    let location: PostgresLocation
    private let group: MultiThreadedEventLoopGroup
    private let connection: PostgresConnection
    private let logger: Logger
    private var isClosed = false

    /// Connects and authenticates. Throws `PostgresStoreError.cannotConnect`.
    init(_ location: PostgresLocation) throws {
        self.location = location
        let logger = Logger(label: "evaldb.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        do {
            var configuration: PostgresConnection.Configuration
            if let socket = location.unixSocketPath {
                configuration = .init(
                    unixSocketPath: socket, username: location.user, password: location.password,
                    database: location.database)
            } else {
                configuration = .init(
                    host: location.host, port: location.port, username: location.user, password: location.password,
                    database: location.database, tls: try Self.tls(location))
            }
            configuration.options.connectTimeout = .seconds(30)
            configuration.options.additionalStartupParameters = [("application_name", "evaldb")]
            connection = try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch {
            try? group.syncShutdownGracefully()
            if let reason = Self.tlsFailure(error, location: location) {
                throw PostgresStoreError.tlsFailed(location: location.redacted, reason: reason)
            }
            throw PostgresStoreError.cannotConnect(
                location: location.redacted, reason: Self.reason(error, location: location.redacted))
        }
    }

    deinit { close() }

    /// Closes the connection and stops its thread; an open transaction is rolled back by the server.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    private static func tls(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.tlsMode {
        case .disable: return .disable
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = location.rootCertificate { tls.trustRoots = .file(root) }
        let context = try NIOSSLContext(configuration: tls)
        return location.tlsMode == .allow || location.tlsMode == .prefer ? .prefer(context) : .require(context)
    }

    /// What went wrong, for a failure to connect that TLS caused (nil: another cause), naming the fix.
    static func tlsFailure(_ error: any Error, location: PostgresLocation) -> String? {
        var cause = error
        if let error = error as? PSQLError, let underlying = error.underlying { cause = underlying }
        let mode = "sslmode=\(location.tlsMode.rawValue)"
        if cause is NIOSSLExtraError {
            return "\(cause) (\(mode)); connect by a host name the server's certificate lists, or use sslmode=verify-ca"
        }
        guard let failure = cause as? NIOSSLError else { return nil }
        switch failure {
        case .noSuchFilesystemObject, .failedToLoadCertificate:
            guard let root = location.rootCertificate else { return nil }
            return
                "the root certificate file \(root) (sslrootcert) cannot be read as PEM; name the file of the CA that signed the server's certificate"
        case .handshakeFailed(let reason):
            guard "\(reason)".contains("CERTIFICATE_VERIFY_FAILED") else {
                return "the TLS handshake failed: \(reason)"
            }
            let roots = location.rootCertificate.map { "the CA in sslrootcert=\($0)" } ?? "a root the system trusts"
            let host = location.tlsMode == .verifyFull ? ", or it does not name the host \(location.host)" : ""
            return
                "the server's certificate could not be verified (\(mode)): it is not signed by \(roots)\(host); name the server's CA with sslrootcert=FILE, or use sslmode=require to encrypt without verifying"
        default:
            return "\(failure)"
        }
    }

    /// Runs `sql` with `binds` and returns every row and the command's row count.
    @discardableResult
    func query(_ sql: String, _ binds: [PostgresBind] = []) throws -> PostgresQueryResult {
        let query = PostgresQuery(unsafeSQL: sql, binds: PostgresBind.bindings(binds))
        return try wait(sql) { connection.query(query, logger: logger) }
    }

    /// Runs `sql` and hands each row to `body` as it arrives (on the connection's thread, one row at a time).
    /// Returns the command's row count.
    @discardableResult
    func forEachRow(
        _ sql: String, _ binds: [PostgresBind] = [], _ body: @escaping @Sendable (PostgresRow) throws -> Void
    )
        throws -> Int
    {
        let query = PostgresQuery(unsafeSQL: sql, binds: PostgresBind.bindings(binds))
        return try wait(sql) { connection.query(query, logger: logger, body) }.rows ?? 0
    }

    /// Loads `table` through `COPY table (columns) FROM STDIN (FORMAT binary)`, sending `chunks` (the binary COPY
    /// stream, `BinaryCopy` builds it) in order.
    func copyBinary(table: String, columns: [String], chunks: [ByteBuffer]) throws {
        // postgres-nio 1.33 writes `COPY "<table>" FROM STDIN WITH (FORMAT text)` and offers only the text format.
        // Its table name is used as written (evaldb's own constants here, never user input), so the column list
        // and the binary format are given with it, and the text clause it appends becomes a comment.
        let statement = "\(table)\" (\(columns.joined(separator: ", "))) FROM STDIN WITH (FORMAT binary) --"
        let connection = connection
        let logger = logger
        try wait("COPY \(table)") {
            group.next().makeFutureWithTask {
                try await connection.copyFrom(table: statement, logger: logger) { writer in
                    for chunk in chunks { try await writer.write(chunk) }
                }
            }
        }
    }

    /// Waits for `operation`'s future, turning postgres-nio's failures into `PostgresStoreError`.
    private func wait<T: Sendable>(_ sql: String, _ operation: () -> EventLoopFuture<T>) throws -> T {
        do {
            return try operation().wait()
        } catch let error as PSQLError {
            throw translate(error)
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError.connectionLost(location: location.redacted, reason: "\(error)")
        }
    }

    private func translate(_ error: PSQLError) -> PostgresStoreError {
        if let info = error.serverInfo, let state = info[.sqlState] {
            return .server(
                location: location.redacted, sqlState: state, message: info[.message] ?? "the server refused it",
                detail: info[.detail], hint: info[.hint])
        }
        return .connectionLost(location: location.redacted, reason: Self.reason(error, location: location.redacted))
    }

    /// A readable reason for a failure to connect or talk to the server.
    static func reason(_ error: any Error, location: String) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            switch error.code {
            case .sslUnsupported: return "the server does not offer TLS, and the URL's sslmode requires it"
            case .authMechanismRequiresPassword:
                return "the server asks for a password, and none was given (URL, PGPASSWORD or ~/.pgpass)"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method evaldb cannot use"
            case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
            default:
                if let underlying = error.underlying { return "\(underlying)" }
                return "\(error.code)"
            }
        }
        return "\(error)"
    }
}

/// A value bound to a statement's `$n` parameter.
enum PostgresBind: Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
    /// An `int8[]` (for `= ANY($n)`).
    case integers([Int64])
    /// Text whose type the server infers from where the parameter is used (a user's `-p NAME VALUE`).
    case untyped(String)

    static func bindings(_ binds: [PostgresBind]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .null: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
            case .integers(let value): bindings.append(value)
            case .untyped(let value): bindings.append(UntypedText(text: value))
            }
        }
        return bindings
    }
}

/// Text sent with no declared type (OID 0), as psql sends its parameters: the server types it from its context.
private struct UntypedText: PostgresDynamicTypeEncodable {
    var text: String
    var psqlType: PostgresDataType { PostgresDataType(0) }
    var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(text)
    }
}
