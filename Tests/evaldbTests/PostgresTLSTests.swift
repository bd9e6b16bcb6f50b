import Foundation
import Testing

/// The TLS server the tests use, or none: they are skipped.
enum PostgresTLSServer {
    static let url: String? = {
        let value = ProcessInfo.processInfo.environment["EVALDB_TEST_POSTGRES_TLS"] ?? ""
        return value.isEmpty ? nil : value
    }()
}

/// TLS to PostgreSQL (issue 16): `sslmode=require` and `verify-full` against a server that speaks TLS, started with
/// `Scripts/pg-server start --tls` and named by `EVALDB_TEST_POSTGRES_TLS` (its URL names the throwaway CA with
/// `sslrootcert=`), and clear failures when the certificate cannot be verified or the server offers no TLS.
@Suite(
    .enabled(
        if: PostgresTLSServer.url != nil, "set EVALDB_TEST_POSTGRES_TLS to the URL Scripts/pg-server start --tls prints"
    ),
    .serialized)
struct PostgresTLSTests {
    static let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    /// `url` with its query parameter `key` set to `value` (nil: removed).
    static func setting(_ key: String, _ value: String?, in url: String) -> String {
        var base = url
        var pairs: [String] = []
        if let question = url.firstIndex(of: "?") {
            base = String(url[..<question])
            pairs = url[url.index(after: question)...].split(separator: "&").map(String.init)
        }
        pairs.removeAll { $0.hasPrefix(key + "=") }
        if let value { pairs.append(key + "=" + value) }
        return pairs.isEmpty ? base : base + "?" + pairs.joined(separator: "&")
    }

    /// A throwaway database on the TLS server, dropped by `drop()`.
    struct Database {
        let name: String
        let url: String

        init() throws {
            let server = try #require(PostgresTLSServer.url)
            name = "evaldb_tls_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try PostgresTestDatabase.psql(server, "CREATE DATABASE \(name)")
            url = PostgresTestDatabase.url(server, database: name)
        }

        func drop() {
            guard let server = PostgresTLSServer.url else { return }
            _ = try? PostgresTestDatabase.psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Runs `arguments` with a deadline: a TLS failure must end the command, not hang it.
    static func run(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        let start = ContinuousClock.now
        let result = try cli.run(arguments, withDatabase: false)
        #expect(ContinuousClock.now - start < .seconds(60), "\(arguments) took too long")
        return result
    }

    @Test func requireAndVerifyFullConnectOverTLS() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try Database()
        defer { database.drop() }
        let require = Self.setting("sslmode", "require", in: database.url)
        #expect(try Self.run(cli, ["dataset", "import", "fake100", Self.coco, "--db", require]).status == 0)
        let imported = try Self.run(cli, ["import", "a", Self.detections, "--dataset", "fake100", "--db", require])
        #expect(imported.status == 0, "\(imported.stderr)")
        let evaluated = try Self.run(cli, ["eval", "a", "--protocol", "voc07", "--format", "json", "--db", require])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("\"mAP\""), "\(evaluated.stdout)")
        // The server saw these connections encrypted (pg_stat_ssl lists the connection psql makes the same way).
        #expect(
            try PostgresTestDatabase.psql(require, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t")

        // verify-full with the CA that signed the server's certificate, by IP address and by name.
        let verified = Self.setting("sslmode", "verify-full", in: database.url)
        for url in [verified, verified.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:")] {
            let result = try Self.run(
                cli, ["sql", "SELECT count(*) AS n FROM detections", "--format", "csv", "--db", url])
            #expect(result.status == 0, "\(url): \(result.stderr)")
            #expect(result.stdout == "n\n734\n", "\(url)")
        }
        let verifiedCA = Self.setting("sslmode", "verify-ca", in: database.url)
        #expect(try Self.run(cli, ["runs", "--db", verifiedCA]).status == 0)
    }

    @Test func verifyFullRefusesACertificateItCannotVerify() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try Database()
        defer { database.drop() }
        // Another CA than the one that signed the server's certificate.
        let wrongRoot = cli.folder.appendingPathComponent("other-root.crt").path
        let keyFile = cli.folder.appendingPathComponent("other-root.key").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another CA",
            "-keyout", keyFile, "-out", wrongRoot,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a CA")
        let verifyFull = Self.setting("sslmode", "verify-full", in: database.url)
        let missing = cli.folder.appendingPathComponent("none.crt").path
        let cases: [(String, String, String)] = [
            (
                "another CA", Self.setting("sslrootcert", wrongRoot, in: verifyFull),
                "the server's certificate could not be verified (sslmode=verify-full): it is not signed by the CA in sslrootcert=\(wrongRoot)"
            ),
            (
                "the system's roots", Self.setting("sslrootcert", nil, in: verifyFull),
                "it is not signed by a root the system trusts"
            ),
            (
                "a missing file", Self.setting("sslrootcert", missing, in: verifyFull),
                "the root certificate file \(missing) (sslrootcert) cannot be read"
            ),
        ]
        for (label, url, reason) in cases {
            let result = try Self.run(cli, ["runs", "--db", url])
            #expect(result.status == 1, "\(label): \(result.stdout) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(label): \(result.stderr)")
            #expect(result.stderr.hasPrefix("Error: cannot connect to postgres://"), "\(label): \(result.stderr)")
            #expect(
                result.stderr.contains(" over TLS: ") && result.stderr.contains(reason), "\(label): \(result.stderr)")
            print("verify-full with \(label): \(result.stderr)", terminator: "")
        }
    }

    @Test(.enabled(if: PostgresTestDatabase.serverURL != nil, "set EVALDB_TEST_POSTGRES to a server without TLS"))
    func requireFailsClearlyAgainstAServerWithoutTLS() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let plain = try #require(PostgresTestDatabase.serverURL)
        let result = try Self.run(cli, ["runs", "--db", Self.setting("sslmode", "require", in: plain)])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(
            result.stderr.contains("the server does not offer TLS, and the URL's sslmode requires it"),
            "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
