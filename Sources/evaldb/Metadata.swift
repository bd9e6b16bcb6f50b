import ArgumentParser
import EvalStore

/// `evaldb tag RUN k=v...`.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set tags of a run (new keys are added, existing ones take the new value).")

    @Argument(help: ArgumentHelp("The run.", valueName: "run")) var runName: String
    @Argument(help: ArgumentHelp("The tags.", valueName: "key=value")) var pairs: [KeyValue]
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let pairs = try uniquePairs(self.pairs, option: "tag")
        let changed = try RunEditor(try database.open(.write)).set(pairs, tags: true, run: runName)
        Console.out(
            changed.isEmpty
                ? "Run '\(runName)' already has these tags; nothing changed.\n"
                : "Run '\(runName)': tagged \(changed.joined(separator: ", ")).\n")
    }
}

/// `evaldb untag RUN k...`.
struct Untag: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove tags of a run, by key.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run")) var runName: String
    @Argument(help: ArgumentHelp("The tags' keys.", valueName: "key")) var keys: [String]
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let removed = try RunEditor(try database.open(.write)).remove(keys, tags: true, run: runName)
        let absent = keys.filter { !removed.contains($0) }
        Console.out(
            "Run '\(runName)': removed tag \(removed.joined(separator: ", "))"
                + (absent.isEmpty ? "" : " (not set: \(absent.joined(separator: ", ")))") + ".\n")
    }
}

/// `evaldb param RUN k=v...` and `evaldb param RUN --remove k`.
struct Param: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set (or --remove) training parameters of a run.",
        discussion: "Values that read as numbers are compared as numbers in `runs --sort` and the params view.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run")) var runName: String
    @Argument(help: ArgumentHelp("The parameters.", valueName: "key=value")) var pairs: [KeyValue] = []
    @Option(help: ArgumentHelp("Remove the parameter with this key (repeatable).", valueName: "key"))
    var remove: [String] = []
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if pairs.isEmpty && remove.isEmpty { throw ValidationError("give key=value pairs, or --remove KEY") }
    }

    func run() throws {
        let editor = RunEditor(try database.open(.write))
        if !remove.isEmpty {
            let removed = try editor.remove(remove, tags: false, run: runName)
            let absent = remove.filter { !removed.contains($0) }
            Console.out(
                "Run '\(runName)': removed param \(removed.joined(separator: ", "))"
                    + (absent.isEmpty ? "" : " (not set: \(absent.joined(separator: ", ")))") + ".\n")
        }
        if !pairs.isEmpty {
            let changed = try editor.set(try uniquePairs(pairs, option: "param"), tags: false, run: runName)
            Console.out(
                changed.isEmpty
                    ? "Run '\(runName)' already has these params; nothing changed.\n"
                    : "Run '\(runName)': set param \(changed.joined(separator: ", ")).\n")
        }
    }
}

/// `evaldb note RUN TEXT`.
struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set a run's note (\"\" clears it).")

    @Argument(help: ArgumentHelp("The run.", valueName: "run")) var runName: String
    @Argument(help: ArgumentHelp("The note.", valueName: "text")) var text: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let changed = try RunEditor(try database.open(.write)).setNote(text, run: runName)
        Console.out(
            !changed
                ? "Run '\(runName)' already has this note; nothing changed.\n"
                : text.isEmpty ? "Run '\(runName)': note cleared.\n" : "Run '\(runName)': note set.\n")
    }
}

/// `evaldb rename OLD NEW`.
struct Rename: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rename a run; its evaluations, baseline, tags and params follow it.")

    @Argument(help: ArgumentHelp("The run's name.", valueName: "old")) var oldName: String
    @Argument(help: ArgumentHelp("Its new name.", valueName: "new")) var newName: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try RunEditor(try database.open(.write)).rename(oldName, to: newName)
        Console.out("Renamed run '\(oldName)' to '\(newName)'.\n")
    }
}
