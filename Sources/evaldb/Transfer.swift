import ArgumentParser
import EvalStore

/// `evaldb push RUN... --to STORE`.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy runs from this store to another (a team's PostgreSQL store, or another file).",
        discussion: """
            Each run goes with its dataset (when the other store lacks it), detections, import options, category \
            map, params, tags, note, every stored evaluation (any protocol and options) and analysis (errors, \
            confusion, thresholds), and its baseline role when the other store's dataset has none; a default \
            evaluation the run lacks is computed there. A run already there with the same content is left as it \
            is: its params, tags and note are brought in line and the evaluations and analyses it lacks are added \
            (those only it has are kept). One with other content is refused unless --replace. A dataset of the \
            same name with other ground truth is always refused.
            """)

    @Argument(help: ArgumentHelp("The runs to copy.", valueName: "run")) var runs: [String]
    @Option(help: ArgumentHelp("The store to copy to: a postgres:// URL or a database file.", valueName: "store"))
    var to: String
    @Flag(help: "Overwrite runs of the same name that hold other content there.") var replace = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let source = try database.open(.readOnly)
        try Transfer.requireRuns(runs, in: source)
        let destination = try DatabaseOptions.open(to, .create)
        try Transfer.copy(runs, from: source, to: destination, replace: replace, verb: "pushed to")
    }
}

/// `evaldb pull RUN... --from STORE`.
struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy runs from another store (a team's PostgreSQL store, or another file) into this one.",
        discussion: """
            The same copy as `evaldb push`, the other way: each run comes with its dataset when missing here, its \
            detections, metadata, stored evaluations and analyses. Same content: nothing changes (evaluations and \
            analyses missing here are added); other content under the same name: refused unless --replace.
            """)

    @Argument(help: ArgumentHelp("The runs to copy.", valueName: "run")) var runs: [String]
    @Option(help: ArgumentHelp("The store to copy from: a postgres:// URL or a database file.", valueName: "store"))
    var from: String
    @Flag(help: "Overwrite runs of the same name that hold other content here.") var replace = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let source = try DatabaseOptions.open(from, .readOnly)
        try Transfer.requireRuns(runs, in: source)
        let destination = try database.open(.create)
        try Transfer.copy(runs, from: source, to: destination, replace: replace, verb: "pulled into")
    }
}

/// What `push` and `pull` share: copying and saying what happened, one line per run on stdout.
enum Transfer {
    /// Throws `StoreError.unknownRun` unless every run is in `source`: checked before the other store is opened
    /// (or created), so that a typo copies and creates nothing.
    static func requireRuns(_ runs: [String], in source: any Store) throws {
        for name in runs { _ = try source.runs.require(name: name) }
    }

    static func copy(_ runs: [String], from source: any Store, to destination: any Store, replace: Bool, verb: String)
        throws
    {
        let transfer = StoreTransfer(from: source, to: destination)
        for name in runs {
            let result = try transfer.copy(runName: name, replace: replace)
            Console.out(line(result, verb: verb, destination: destination.location) + "\n")
        }
    }

    /// `Run 'a' pushed to URL: 734 detections, 2 evaluations, 1 analysis; with dataset 'fake100'.`, or what stayed.
    static func line(_ result: TransferResult, verb: String, destination: String) -> String {
        var extras: [String] = []
        if result.copiedDataset { extras.append("with dataset '\(result.dataset)'") }
        if result.setBaseline { extras.append("its dataset's baseline there") }
        if result.evaluated { extras.append("evaluated there") }
        let tail = extras.isEmpty ? "" : "; " + extras.joined(separator: "; ")
        let results = [
            counted(result.copiedEvaluations, "evaluation", "evaluations"),
            counted(result.copiedAnalyses, "analysis", "analyses"),
        ].compactMap { $0 }
        let contents = (["\(result.detections) detections"] + results).joined(separator: ", ")
        switch result.outcome {
        case .copied:
            return "Run '\(result.run)' \(verb) \(destination): \(contents)\(tail)."
        case .replaced:
            return "Run '\(result.run)' \(verb) \(destination), replacing the run of that name: \(contents)\(tail)."
        case .unchanged:
            var changes: [String] = []
            if !result.metadataChanges.isEmpty {
                changes.append("updated there: " + result.metadataChanges.joined(separator: ", "))
            }
            if !results.isEmpty { changes.append("copied there: " + results.joined(separator: ", ")) }
            let changed = changes.isEmpty ? "nothing changed" : changes.joined(separator: "; ")
            return "Run '\(result.run)' is in \(destination) with the same content already: \(changed)\(tail)."
        }
    }

    /// `1 evaluation`, `2 evaluations`; nil for none.
    private static func counted(_ count: Int, _ one: String, _ many: String) -> String? {
        count == 0 ? nil : "\(count) \(count == 1 ? one : many)"
    }
}
