public import EvalFormats
public import EvalKit

/// A store of datasets, runs and evaluations: what import, evaluation, diff and the bootstrap use, in terms that
/// hold for every backend. The services never see SQL; a backend (SQLite, and later others) implements this.
///
/// Reads outside `write` each see a consistent state; everything inside one `write` is one transaction: it is
/// stored whole or not at all, and concurrent writers wait for each other.
public protocol Store: AnyObject {
    /// Where the store is (a path or an address), for messages.
    var location: String { get }
    var datasets: any DatasetRepository { get }
    var runs: any RunRepository { get }
    var evaluations: any EvaluationRepository { get }
    var baselines: any BaselineRepository { get }
    var analyses: any AnalysisRepository { get }

    /// Runs `body` as one write transaction: committed when it returns, rolled back when it throws.
    func write<T>(_ body: () throws -> T) throws -> T

    /// `write` for a bulk insert whose references the caller has checked itself, inside `body`: the store may skip
    /// its own per-row reference checks (SQLite's foreign keys cost a B-tree search per row and key: at 5M
    /// detections, a fifth of the import). `body` must not delete rows: deletes in it would not cascade.
    func writeCheckedByCaller<T>(_ body: () throws -> T) throws -> T

    /// The dataset's ground truth and the run's detections, as the evaluators take them.
    func evaluationInputs(datasetID: Int64, runID: Int64) throws -> EvaluationInputs

    /// The `dataset_summary` view, by name.
    func datasetSummaries() throws -> QueryResult
    /// The runs `listing` asks for, oldest first unless it sorts them: the `run_summary` columns, or for a
    /// leaderboard name, dataset, the metrics, params and tags asked for, detections and created_at. Throws
    /// `StoreError.invalidCondition` for a condition the store cannot run, `StoreError.unknownSortKey` for a sort
    /// key that names nothing listed.
    func runSummaries(_ listing: RunListing) throws -> QueryResult
    /// The names of the runs (of `dataset`, or all) that have no default evaluation yet, oldest first.
    func runsWithoutDefaultEvaluation(dataset: String?) throws -> [String]
    /// Runs one statement a user typed, in the store's SQL, with named or positional parameters, and hands over its
    /// result as it is read: `columns` once with the column names (empty for a statement without a result), then
    /// `row` once per row, in order. Returns the number of rows a writing statement changed. Throws
    /// `StoreError.writeNotAllowed` for a statement that writes unless `allowsWrites`, and what `columns` or `row`
    /// throw, which ends the statement.
    func execute(
        userStatement: String, parameters: [(name: String, value: StoreValue)], allowsWrites: Bool,
        columns: ([String]) throws -> Void, row: ([StoreValue]) throws -> Void
    ) throws -> Int
    /// The schema's migrations, in order: (name, SQL).
    var schemaMigrations: [(name: String, sql: String)] { get }
    /// The store's schema as it is: its tables, indexes and views with the SQL that creates them, tables first.
    func currentSchema() throws -> [(kind: String, name: String, sql: String)]
}

/// Datasets and their ground truth. Writers expect to run inside `Store.write`.
public protocol DatasetRepository {
    /// The dataset called `name` (in any Unicode normalization), or nil.
    func find(name: String) throws -> StoredDataset?
    /// The dataset with id `id`, or nil.
    func find(id: Int64) throws -> StoredDataset?
    /// Every dataset name, sorted.
    func names() throws -> [String]
    /// Everything stored of a dataset's ground truth, as `insert` takes it: images in store order (the order
    /// `catalog(of:)` lists them), boxes and ignored regions in stored order. `evaldb push` and `pull` copy datasets
    /// with it.
    func groundTruth(of dataset: StoredDataset) throws -> GroundTruthDataset
    /// Stores a dataset with its categories, images, boxes and ignored regions; returns its id.
    func insert(_ dataset: GroundTruthDataset, name: String, source: String, sha256: String, defaultProtocol: String)
        throws -> Int64
    /// Deletes a dataset and everything that belongs to it.
    func delete(id: Int64) throws
    /// The number of runs of a dataset.
    func runCount(datasetID: Int64) throws -> Int
    /// A dataset's categories, by id.
    func categories(datasetID: Int64) throws -> [CategoryRecord]
    /// What the diagnosis needs to know about a stored dataset, and each catalog image's id in the store.
    func catalog(of dataset: StoredDataset) throws -> (catalog: DatasetCatalog, imageRowIDs: [Int64])
    /// The ids of the dataset's images that match `condition`, an SQL condition over the images' columns (in the
    /// store's SQL). Throws `EvaluationError.invalidImageFilter` for a condition that cannot run or writes.
    func imageRowIDs(datasetID: Int64, matching condition: String) throws -> Set<Int64>
    /// The file names of images, by id.
    func fileNames(imageRowIDs: [Int64]) throws -> [Int64: String]
}

/// Runs and their detections. Writers expect to run inside `Store.write`.
public protocol RunRepository {
    /// The run called `name` (in any Unicode normalization), or nil.
    func find(name: String) throws -> StoredRun?
    /// Every run name, newest first.
    func names() throws -> [String]
    /// A run's params (or, with `tags`, its tags), sorted by key.
    func keyValues(runID: Int64, tags: Bool) throws -> [(key: String, value: String)]
    /// Stores a run and its detections; `imageRowIDs[i]` is the store id of catalog image `i`. Returns its id.
    func insert(_ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64]) throws -> Int64
    /// `insert(_:detections:imageRowIDs:)`, telling `progress` how many rows are stored as it goes.
    func insert(
        _ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64], progress: ProgressHandler?
    ) throws -> Int64
    /// Deletes a run with its detections and evaluations.
    func delete(id: Int64) throws
    /// A run's detections per category: category_id, category, detections, images, min_score, max_score.
    func detectionsPerClass(of run: StoredRun) throws -> QueryResult
    /// The category map applied at import: model, category_id, category.
    func categoryMap(of run: StoredRun) throws -> QueryResult
    /// Sets params (or, with `tags`, tags) of a run: new keys are added, existing ones take the new value.
    func setKeyValues(runID: Int64, _ pairs: [(key: String, value: String)], tags: Bool) throws
    /// Removes params (or tags) of a run by key; returns the keys that were there.
    func removeKeys(runID: Int64, _ keys: [String], tags: Bool) throws -> [String]
    /// Sets (nil: clears) a run's note.
    func setNote(runID: Int64, _ note: String?) throws
    /// Renames a run; its evaluations, baseline and metadata stay with it.
    func rename(runID: Int64, to name: String) throws
}

/// Evaluations and their results. Writers expect to run inside `Store.write`.
public protocol EvaluationRepository {
    /// The evaluation of `runID` under `protocolName` and `parameters` (canonical JSON), or nil.
    func find(runID: Int64, protocolName: String, parameters: String) throws -> StoredEvaluation?
    /// Every evaluation of `runID`, oldest first.
    func all(runID: Int64) throws -> [StoredEvaluation]
    /// Every row `evaluation` has in the result tables, as stored (`evaldb push` and `pull` copy them).
    func rows(of evaluation: StoredEvaluation) throws -> EvaluationRows
    /// Stores `rows` as they are for run `runID` (their `created_at`, evaldb version, duration and default mark
    /// kept); row ids in them must be this store's. Returns the new evaluation's id. Call inside `Store.write`.
    func insert(copy rows: EvaluationRows, runID: Int64) throws -> Int64
    /// Deletes an evaluation and its results.
    func delete(id: Int64) throws
    /// Stores an evaluation with every result; returns its id.
    func insert(_ record: EvaluationRecord, runID: Int64, datasetSHA256: String, runSHA256: String) throws -> Int64
    /// The summary values of an evaluation stored under `parameters`, in display order. Throws
    /// `StoreError.unknownMetric` for a stored name the parameters do not report.
    func summary(evaluationID: Int64, parameters: EvaluationParameters) throws -> [EvaluationResult.SummaryValue]
    /// The per-class values of an evaluation, in stored order.
    func classValues(evaluationID: Int64, evaluationProtocol: EvaluationProtocol) throws
        -> [EvaluationResult.ClassValue]
    /// The per-class counts of an evaluation, by category id.
    func classCounts(evaluationID: Int64) throws -> [EvaluationResult.ClassCounts]
    /// The PR curves of an evaluation (one per class and IoU threshold, at the 101 recall points
    /// `PrecisionRecallCurve.cocoRecallPoints`), by category id, then threshold.
    func curves(evaluationID: Int64) throws -> [EvaluationResult.Curve]
}

/// Stored analyses (`evaldb errors`, `confusion`, `thresholds`). Writers expect to run inside `Store.write`.
public protocol AnalysisRepository {
    /// The stored analysis of `runID` of `kind` under `protocolName` and `parameters` (canonical JSON), or nil.
    func find(runID: Int64, kind: AnalysisKind, protocolName: String, parameters: String) throws -> StoredAnalysis?
    /// Every analysis of `runID`, oldest first.
    func all(runID: Int64) throws -> [StoredAnalysis]
    /// Stores an analysis, replacing one of the same run, kind, protocol and parameters; returns its id. Call
    /// inside `Store.write`.
    func insert(_ analysis: StoredAnalysis) throws -> Int64
    /// Stores `analysis` as it is for run `runID` (its `created_at` and evaldb version kept), as `evaldb push` and
    /// `pull` copy it; throws when the run has an analysis of the same kind, protocol and parameters. Returns its
    /// id. Call inside `Store.write`.
    func insert(copy analysis: StoredAnalysis, runID: Int64) throws -> Int64
    /// An analysis' values as rows of its documented view (`tide_errors`, `confusion`, `thresholds`), in the
    /// order the analysis lists them, without the view's run, dataset and id columns.
    func rows(of analysis: StoredAnalysis) throws -> QueryResult
}

/// The baseline run of each dataset (what `evaldb diff RUN` compares against).
public protocol BaselineRepository {
    /// Makes `run` its dataset's baseline, replacing any other.
    func set(_ run: StoredRun) throws
    /// Removes a dataset's baseline; false when there was none.
    func clear(datasetID: Int64) throws -> Bool
    /// The name of a dataset's baseline run, or nil.
    func baseline(datasetID: Int64) throws -> String?
    /// Every baseline: dataset name, run name, when it was set.
    func all() throws -> [(dataset: String, run: String, setAt: String)]
}

extension DatasetRepository {
    /// The dataset called `name`; throws `StoreError.unknownDataset` listing the known names.
    public func require(name: String) throws -> StoredDataset {
        if let found = try find(name: name) { return found }
        throw StoreError.unknownDataset(name: name, known: try names())
    }
}

extension RunRepository {
    /// The run called `name`; throws `StoreError.unknownRun` listing the known names.
    public func require(name: String) throws -> StoredRun {
        if let found = try find(name: name) { return found }
        throw StoreError.unknownRun(name: name, known: try names())
    }
}

extension Store {
    /// Runs one statement a user typed (see `execute(userStatement:parameters:allowsWrites:columns:row:)`) and
    /// returns its whole result.
    public func execute(userStatement: String, parameters: [(name: String, value: StoreValue)], allowsWrites: Bool)
        throws -> QueryResult
    {
        var result = QueryResult(columns: [], rows: [])
        result.changes = try execute(
            userStatement: userStatement, parameters: parameters, allowsWrites: allowsWrites,
            columns: { result.columns = $0 }, row: { result.rows.append($0) })
        return result
    }

    /// The dataset a run belongs to; throws `StoreError.runWithoutDataset` when it is missing (a store changed
    /// outside evaldb).
    public func dataset(of run: StoredRun) throws -> StoredDataset {
        guard let dataset = try datasets.find(id: run.datasetID) else {
            throw StoreError.runWithoutDataset(run: run.name, datasetID: run.datasetID)
        }
        return dataset
    }
}

/// How a command uses a store.
public enum StoreAccess: Sendable {
    /// Create the store when missing and bring its schema up to date (import commands).
    case create
    /// The store must exist; its schema is brought up to date (commands that may write).
    case write
    /// The store must exist; it is read only (listings, `evaldb sql` without --write).
    case readOnly
}

/// A value read from or bound to a store.
public enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// An integer, or a real that is a whole number; else nil.
    public var int64: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// A number as Double; else nil.
    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }

    /// The text of a text value; else nil.
    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// The rows of a query, with its column names; `changes` counts the rows a writing statement changed.
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[StoreValue]]
    public var changes: Int

    public init(columns: [String], rows: [[StoreValue]], changes: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.changes = changes
    }
}

extension Store {
    public func writeCheckedByCaller<T>(_ body: () throws -> T) throws -> T { try write(body) }
}
