import ArgumentParser
import EvalStore
import EvalStorePostgres
import EvalStoreSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--db PATH`, shared by every command.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The evaldb database file, or a postgres:// URL (default: $EVALDB_DB, else ./evaldb.sqlite).",
            valueName: "path"))
    var db: String?

    /// The resolved database path.
    var path: String {
        StoreConnection.resolvePath(db, environment: ProcessEnvironment.variables)
    }

    /// True when the store is a PostgreSQL database (`postgres://` or `postgresql://`).
    var isPostgres: Bool { PostgresLocation.isURL(path) }

    /// Opens the store for `mode`.
    func open(_ mode: StoreAccess) throws -> any Store {
        try Self.open(path, mode)
    }

    /// Opens the store at `path` (a file or a postgres:// URL) for `mode`: the other store of `push` and `pull`.
    static func open(_ path: String, _ mode: StoreAccess) throws -> any Store {
        let environment = ProcessEnvironment.variables
        if PostgresLocation.isURL(path) {
            return try PostgresStore.open(url: path, mode: mode, environment: environment)
        }
        let store = try SQLiteStore.open(
            path: path, mode: mode, busyTimeout: StoreConnection.busyTimeout(environment: environment))
        if store.isImmutable {
            Console.err(
                "note: \(path): its folder is read-only, so it is read as an immutable file (without locks): changes others make while this command runs are not seen"
            )
        }
        return store
    }
}

/// `--format`, shared by every listing command.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json, jsonl, csv, tsv or markdown.")
    var format: OutputFormat = .table
}

/// The process environment, read without Foundation.
enum ProcessEnvironment {
    static var variables: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

/// Writing to stdout and stderr. A write that fails (a full disk, a closed pipe) is remembered, so that the command
/// ends with exit 1 instead of claiming success for output that was lost.
enum Console {
    /// Writes text to standard output as is.
    static func out(_ text: String) {
        writeAll(text, to: 1)
    }

    /// Writes UTF-8 bytes to standard output as they are.
    static func out(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { writeAll($0, to: 1) }
    }

    /// Writes one line to standard error.
    static func err(_ line: String) {
        writeAll(line + "\n", to: 2)
    }

    /// The first failed write: the descriptor and errno; nil while every write succeeded.
    static var writeFailure: (descriptor: Int32, code: Int32)? { failures.first }

    private static let failures = WriteFailures()

    private static func writeAll(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { writeAll($0, to: descriptor) }
    }

    private static func writeAll(_ buffer: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 {
                failures.record(descriptor: descriptor, code: written < 0 ? errno : EIO)
                return
            }
            offset += written
        }
    }

    /// Writes text to standard error as is (no line break: a progress line redraws itself).
    static func errPartial(_ text: String) {
        writeAll(text, to: 2)
    }

    /// True when standard error is a terminal (progress is shown only then).
    static var stderrIsTerminal: Bool { isatty(2) != 0 }
}

/// The first write failure, kept under a lock (the diagnosis may print from worker threads).
private final class WriteFailures: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var recorded: (descriptor: Int32, code: Int32)?

    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    func record(descriptor: Int32, code: Int32) {
        pthread_mutex_lock(&lock)
        if recorded == nil { recorded = (descriptor, code) }
        pthread_mutex_unlock(&lock)
    }

    var first: (descriptor: Int32, code: Int32)? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return recorded
    }
}

/// Parses `key=value` arguments (`--param`, `--tag`).
struct KeyValue: ExpressibleByArgument {
    var key: String
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        key = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }

    static var defaultValueDescription: String { "key=value" }
}

/// Turns repeated `key=value` options into pairs, rejecting a key given twice.
func uniquePairs(_ values: [KeyValue], option: String) throws -> [(key: String, value: String)] {
    var seen = Set<String>()
    for value in values where !seen.insert(value.key).inserted {
        throw ValidationError("\(option) \(value.key) is given twice; give each key once")
    }
    return values.map { (key: $0.key, value: $0.value) }
}
