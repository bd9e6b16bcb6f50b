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
            DatasetGroup.self, Import.self, Eval.self, Diff.self, Report.self, BaselineGroup.self, Demo.self,
            Check.self,
            Datasets.self,
            Errors.self, Confusion.self, Thresholds.self,
            Runs.self, Show.self, Tag.self, Untag.self, Param.self, Note.self, Rename.self, Delete.self,
            Schema.self, SQL.self, Push.self, Pull.self,
        ]
    )

    /// evaldb's short options are single letters (`-h`, `-p`, `-f`); the parser would read `-dash` (a run name
    /// starting with `-`) as `-d -a -s -h` and print help. Such words are refused with the way to pass them (after
    /// `--`).
    static func refuseRunTogetherShortOptions(_ arguments: [String]) throws {
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return }
            // The value of an option that takes one starting with '-' (`--sort -AP`).
            if index > 0 && optionsTakingDashedValues.contains(arguments[index - 1]) { continue }
            let body = argument.dropFirst()
            guard argument.hasPrefix("-"), !argument.hasPrefix("--"), body.count > 1,
                body.first?.isLetter == true
            else { continue }
            throw ValidationError(
                "'\(argument)' is not an option (evaldb's short options are single letters); to pass a name that starts with '-', put it after `--`, e.g. evaldb import --dataset NAME -- \(argument) PATH"
            )
        }
    }

    /// Options whose value may start with '-' (they parse it unconditionally).
    static let optionsTakingDashedValues: Set<String> = [
        "--sort", "--category-offset", "--image-id-offset", "--box-offset",
    ]

    /// Runs the command. A closed standard output (`evaldb import ... | head`) must not kill the process
    /// between two transactions: SIGPIPE is ignored, and writes to a closed pipe are dropped instead.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        let arguments = protectingComments(Array(CommandLine.arguments.dropFirst()))
        var command: any ParsableCommand
        do {
            try refuseRunTogetherShortOptions(arguments)
        } catch let error as ValidationError {
            exitWithUsage(error, arguments: arguments, type: commandType(arguments))
        } catch {
            exit(withError: error)
        }
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
            try checkOutput()
        } catch let error as DatabaseError {
            // SQLite's failures, in the store's words.
            exit(withError: StoreFailure(description: error.storeDescription))
        } catch let error as ValidationError {
            // A usage error found while running: the usage shown is the subcommand's, not the root's.
            exitWithUsage(error, arguments: arguments, type: type(of: command))
        } catch {
            exit(withError: error)
        }
    }

    /// Prints a usage error with the usage of the (sub)command `type` that `arguments` name, and exits 64.
    static func exitWithUsage(_ error: ValidationError, arguments: [String], type: any ParsableCommand.Type) -> Never {
        let path = commandPath(arguments)
        let prefix = (["evaldb"] + path.dropLast()).joined(separator: " ")
        Console.err("Error: \(error.message)")
        Console.err("Usage: \(path.isEmpty ? "evaldb <subcommand>" : "\(prefix) \(type.usageString())")")
        Console.err("  See '\((["evaldb"] + path).joined(separator: " ")) --help' for more information.")
        exit(withError: ExitCode.validationFailure)
    }

    /// The (sub)command type that `arguments` name.
    static func commandType(_ arguments: [String]) -> any ParsableCommand.Type {
        var type: any ParsableCommand.Type = Evaldb.self
        for word in commandPath(arguments) {
            guard let next = type.configuration.subcommands.first(where: { commandName(of: $0) == word }) else { break }
            type = next
        }
        return type
    }

    /// Arguments that start with an SQL comment (`-- note\nSELECT ...`) are text, not options: they are moved after
    /// a `--`, where the parser takes them as they are.
    static func protectingComments(_ arguments: [String]) -> [String] {
        let terminator = arguments.firstIndex(of: "--") ?? arguments.endIndex
        func isComment(_ argument: String) -> Bool {
            argument.hasPrefix("--")
                && argument.dropFirst(2).first.map { $0 == " " || $0 == "\t" || $0 == "\n" } == true
        }
        let protected = arguments[..<terminator].filter(isComment)
        guard !protected.isEmpty else { return arguments }
        let others = arguments[..<terminator].filter { !isComment($0) }
        let rest = terminator < arguments.endIndex ? Array(arguments[arguments.index(after: terminator)...]) : []
        return others + ["--"] + protected + rest
    }

    /// The subcommand words at the start of `arguments` (`dataset`, `import`), for the usage and help hint.
    static func commandPath(_ arguments: [String]) -> [String] {
        var type: any ParsableCommand.Type = Evaldb.self
        var words: [String] = []
        for argument in arguments {
            guard let next = type.configuration.subcommands.first(where: { commandName(of: $0) == argument }) else {
                break
            }
            words.append(argument)
            type = next
        }
        return words
    }

    /// A command's name as typed: its configured name, else its type name in kebab case (the parser's rule).
    static func commandName(of type: any ParsableCommand.Type) -> String {
        if let name = type.configuration.commandName { return name }
        var name = ""
        for character in String(describing: type) {
            if character.isUppercase && !name.isEmpty { name.append("-") }
            name += character.lowercased()
        }
        return name
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
