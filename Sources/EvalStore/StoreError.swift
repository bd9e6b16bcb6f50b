/// Failures of the store that a user can cause; each `description` is one line naming the fix.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database was written by a newer evaldb.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file is an SQLite database of another application.
    case notAnEvaldbDatabase(path: String)
    /// The database file does not exist (read-only commands do not create it).
    case databaseMissing(path: String)
    /// The database file is empty (a command that does not import was given it).
    case emptyStore(path: String)
    /// The run was replaced or deleted by another process while this one was evaluating it.
    case runChanged(name: String)
    /// The dataset was replaced or deleted by another process while a run of it was being imported.
    case datasetChanged(name: String)
    /// No dataset of that name.
    case unknownDataset(name: String, known: [String])
    /// No run of that name.
    case unknownRun(name: String, known: [String])
    /// A dataset of that name exists with other content.
    case datasetExists(name: String)
    /// A run of that name exists with other content.
    case runExists(name: String, dataset: String)
    /// The dataset still has runs, so it cannot be replaced.
    case datasetHasRuns(name: String, runs: Int)
    /// The dataset still has runs, so it is not deleted without them.
    case datasetDeletionNeedsRuns(name: String, runs: Int)
    /// A write statement was given to `evaldb sql` without `--write`.
    case writeNotAllowed
    /// A name is empty or unusable.
    case invalidName(String, reason: String)
    /// A stored evaluation holds a metric this evaldb does not report under its parameters.
    case unknownMetric(String, evaluationID: Int64)
    /// A run whose dataset row is missing (the store was changed outside evaldb).
    case runWithoutDataset(run: String, datasetID: Int64)
    /// A dataset whose default protocol this evaldb does not know.
    case unknownProtocol(String, dataset: String)
    /// A stored value this evaldb does not know (written by another version?).
    case unknownStoredValue(String, of: String)
    /// An SQL condition (`--where`) the store cannot run: the store's message.
    case invalidCondition(String)
    /// A sort key that is no listed column, metric, param or tag.
    case unknownSortKey(String, available: [String])
    /// A metric a default evaluation cannot have.
    case unknownListingMetric(String, available: [String])
    /// A parameter given to a statement that has no such parameter.
    case unknownParameter(String)
    /// A run of that name exists (renaming another run to it).
    case runNameTaken(String, dataset: String)
    /// None of the tags (or params) to remove is set on the run.
    case unknownKeys([String], run: String, tags: Bool, known: [String])

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return
                "\(path): written by a newer evaldb (schema version \(found); this evaldb knows up to \(supported)); upgrade evaldb to open it"
        case .notAnEvaldbDatabase(let path):
            return "\(path): an SQLite database of another application, not an evaldb store; choose another --db path"
        case .databaseMissing(let path):
            return "\(path): no evaldb database here; import a dataset first (evaldb dataset import) or pass --db"
        case .emptyStore(let path):
            return
                "\(path): an empty file, not an evaldb store yet; `evaldb dataset import NAME PATH --db \(path)` makes it one, or pass another --db"
        case .runChanged(let name):
            return
                "run '\(name)' was replaced or deleted by another process while this one evaluated it; nothing was stored (evaluate it again)"
        case .datasetChanged(let name):
            return
                "dataset '\(name)' was replaced or deleted by another process while this import read the detections; nothing was stored (import them again)"
        case .unknownDataset(let name, let known):
            return "no dataset named '\(name)'" + Self.suggestion(known, noun: "datasets", command: "evaldb datasets")
        case .unknownRun(let name, let known):
            return "no run named '\(name)'" + Self.suggestion(known, noun: "runs", command: "evaldb runs")
        case .datasetExists(let name):
            return
                "a dataset named '\(name)' already exists with other content; choose another name or pass --replace"
        case .runExists(let name, let dataset):
            return
                "a run named '\(name)' already exists (dataset '\(dataset)') with other content; choose another name or pass --replace"
        case .datasetDeletionNeedsRuns(let name, let runs):
            return
                "dataset '\(name)' has \(runs) run(s); pass --with-runs to delete them with it, or delete them first (evaldb delete RUN)"
        case .datasetHasRuns(let name, let runs):
            return
                "dataset '\(name)' has \(runs) run(s) whose detections refer to its images; delete them first or import under another name"
        case .writeNotAllowed:
            return "the statement writes to the database; evaldb sql is read-only unless you pass --write"
        case .invalidName(let name, let reason):
            return "invalid name '\(name)': \(reason)"
        case .runWithoutDataset(let run, let datasetID):
            return
                "run '\(run)' refers to dataset \(datasetID), which is not in the store (changed outside evaldb?); delete the run (evaldb delete \(run)) and import it again"
        case .unknownProtocol(let name, let dataset):
            return
                "dataset '\(dataset)' names the protocol '\(name)', which this evaldb does not know (coco, voc07, voc12, visdrone); pass --protocol"
        case .unknownStoredValue(let value, let owner):
            return
                "\(owner) has a \(value) this evaldb does not know (written by a newer version?); upgrade evaldb, or delete and import it again"
        case .invalidCondition(let message):
            return "the condition cannot run: \(message)"
        case .runNameTaken(let name, let dataset):
            return "a run named '\(name)' already exists (dataset '\(dataset)'); choose another name"
        case .unknownKeys(let keys, let run, let tags, let known):
            let kind = tags ? "tag" : "param"
            return
                "run '\(run)' has no \(kind) \(keys.map { "'\($0)'" }.joined(separator: ", "))"
                + (known.isEmpty ? "; it has no \(kind)s" : "; its \(kind)s: \(known.joined(separator: ", "))")
        case .unknownSortKey(let key, let available):
            return
                "--sort \(key): no such column, metric, param or tag; sort by one of: \(available.joined(separator: ", ")) (prefix - for descending)"
        case .unknownListingMetric(let name, let available):
            return "--metrics \(name): no such metric; a default evaluation has \(available.joined(separator: ", "))"
        case .unknownParameter(let name):
            return "-p \(name): the statement has no parameter :\(name)"
        case .unknownMetric(let name, let evaluationID):
            return
                "evaluation \(evaluationID) holds a metric '\(name)' this evaldb does not know (written by another version?); evaluate the run again with --force"
        }
    }

    private static func suggestion(_ known: [String], noun: String, command: String) -> String {
        if known.isEmpty { return "; there are no \(noun) yet" }
        let shown = known.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        return "; known \(noun): \(shown)\(known.count > 5 ? ", ..." : "") (see `\(command)`)"
    }
}
