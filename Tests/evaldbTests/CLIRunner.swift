import Foundation
import Testing

/// Runs the built `evaldb` binary in a scratch folder with its own database, and captures its output.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The scratch folder; the database is `evaldb.sqlite` inside it.
    let folder: URL
    var database: String { folder.appendingPathComponent("evaldb.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaldb-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// The evaldb binary: `$EVALDB_BINARY` when set, else the `evaldb` SwiftPM builds next to the test bundle
    /// (`swift test` builds the executable with the tests, into the same products folder).
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["EVALDB_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        for folder in productFolders() {
            let candidate = folder.appendingPathComponent("evaldb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        // Not found: the first candidate, so that the failure names a path (set EVALDB_BINARY to override).
        return (productFolders().first ?? URL(fileURLWithPath: ".")).appendingPathComponent("evaldb")
    }()

    /// The folders that may hold the products, most specific first: the folder of the bundle holding this code
    /// and of every loaded `.xctest` bundle (macOS loads the tests from `evaldbPackageTests.xctest`), the main
    /// bundle's folder (Linux runs `evaldbPackageTests.xctest` as an executable in the products folder), and the
    /// folder of the executable.
    static func productFolders() -> [URL] {
        var folders: [URL] = []
        let own = Bundle(for: OutputCollector.self).bundleURL
        folders.append(own.pathExtension == "xctest" ? own.deletingLastPathComponent() : own)
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL)
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var folder = executable.deletingLastPathComponent()
            while folder.pathExtension == "xctest" || ["MacOS", "Contents"].contains(folder.lastPathComponent) {
                folder = folder.deletingLastPathComponent()
            }
            folders.append(folder)
        }
        return folders
    }

    /// The reference fixtures folder.
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    static func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

    /// Runs `evaldb` with `arguments` (plus `--db` unless `withDatabase` is false), in `folder`, reading
    /// stdout and stderr while it runs.
    @discardableResult
    func run(_ arguments: [String], withDatabase: Bool = true, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + (withDatabase ? ["--db", database] : [])
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "EVALDB_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let outData = OutputCollector(out.fileHandleForReading)
        let errData = OutputCollector(err.fileHandleForReading)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: outData.text(), stderr: errData.text())
    }

    /// Writes a file in the scratch folder and returns its path.
    @discardableResult
    func write(_ name: String, _ content: String) throws -> String {
        try write(name, Data(content.utf8))
    }

    @discardableResult
    func write(_ name: String, _ content: Data) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url)
        return url.path
    }

    /// The row count of every table in the store (`table=count` lines, tables from `sqlite_master`, so a table a
    /// later migration adds is counted too), to show that a failed command changed nothing.
    func snapshot() throws -> String {
        let listing = try run([
            "sql", "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            "--format", "csv",
        ])
        #expect(listing.status == 0, "\(listing.stderr)")
        let tables = listing.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(!tables.isEmpty, "no tables in \(database)")
        let sql = tables.map { "SELECT '\($0)=' || count(*) FROM \"\($0)\"" }.joined(separator: " UNION ALL ")
        let result = try run(["sql", sql, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n"
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Reads a pipe to its end on a background thread, so a chatty child never blocks on a full pipe.
final class OutputCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
