import ArgumentParser
import EvalSQLite
import EvalStore
import EvalStoreSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `evaldb` command: configuration only; the work is in the subcommands.
@main
struct Evaldb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaldb",
        abstract: "Store object-detection runs next to their ground truth, diagnose bad input, and query it all.",
        discussion: """
            The database is one SQLite file: --db PATH, else $EVALDB_DB, else ./evaldb.sqlite.
            Start with `evaldb dataset import NAME PATH`, then `evaldb import RUN PATH --dataset NAME`.
            """,
        version: EvaldbVersion.current,
        subcommands: [
            DatasetGroup.self, Import.self, Eval.self, Diff.self, BaselineGroup.self, Demo.self, Check.self,
            Datasets.self,
            Runs.self, Show.self, Delete.self,
            Schema.self, SQL.self,
        ]
    )

    /// evaldb's only single-letter option is `-h`; the parser would read `-dash` (a run name starting with `-`)
    /// as `-d -a -s -h` and print help. Such words are refused with the way to pass them (after `--`).
    static func refuseRunTogetherShortOptions(_ arguments: [String]) throws {
        for argument in arguments {
            if argument == "--" { return }
            let body = argument.dropFirst()
            guard argument.hasPrefix("-"), !argument.hasPrefix("--"), body.count > 1,
                body.first?.isLetter == true
            else { continue }
            throw ValidationError(
                "'\(argument)' is not an option (evaldb has no single-letter options but -h); to pass a name that starts with '-', put it after `--`, e.g. evaldb import --dataset NAME -- \(argument) PATH"
            )
        }
    }

    /// Runs the command. A closed standard output (`evaldb import ... | head`) must not kill the process
    /// between two transactions: SIGPIPE is ignored, and writes to a closed pipe are dropped instead.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        do {
            try refuseRunTogetherShortOptions(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            try command.run()
            try checkOutput()
        } catch let error as DatabaseError {
            // SQLite's failures, in the store's words.
            exit(withError: StoreFailure(description: error.storeDescription))
        } catch {
            exit(withError: error)
        }
    }
}

extension Evaldb {
    /// Throws when a write to stdout or stderr failed: the output is incomplete, so the command did not succeed. A
    /// closed pipe (`| head`) ends with exit 1 and no message; other failures (a full disk) say what happened.
    static func checkOutput() throws {
        guard let failure = Console.writeFailure else { return }
        if failure.code == EPIPE { throw ExitCode.failure }
        let stream = failure.descriptor == 1 ? "standard output" : "standard error"
        throw StoreFailure(
            description:
                "writing to \(stream) failed: \(String(cString: strerror(failure.code))); the output is incomplete")
    }
}

/// A store failure already put into words.
struct StoreFailure: Error, CustomStringConvertible {
    var description: String
}
