public import EvalFormats

/// Why an import stopped after diagnosis. Nothing was stored.
public struct ImportRejected: Error, CustomStringConvertible, Sendable {
    /// What was being imported (the path).
    public var path: String
    /// The full diagnosis (printed before this error).
    public var report: DiagnosisReport
    /// The findings that stopped it.
    public var blocking: [Finding]
    /// True when warnings were made fatal by `--strict`.
    public var strict: Bool

    public var description: String {
        let codes = blocking.map(\.code).joined(separator: ", ")
        let problems = blocking.count == 1 ? "1 problem" : "\(blocking.count) problems"
        let verb = blocking.count == 1 ? "stops" : "stop"
        return
            "\(path): \(problems) \(verb) the import (\(codes))\(strict ? " under --strict" : ""); nothing was stored. "
            + "Fix them as suggested above, then import again"
    }
}

/// What an import did.
public enum ImportOutcome: String, Sendable {
    case imported
    case replaced
    /// The same content was already stored under that name: nothing changed.
    case unchanged
}

/// The result of importing a dataset.
public struct DatasetImportResult: Sendable {
    public var dataset: StoredDataset
    public var outcome: ImportOutcome
    public var formatWasDetected: Bool
    public var report: DiagnosisReport
    public var images: Int
    public var boxes: Int
    public var ignoredRegions: Int
    public var categories: Int
}

/// The result of importing a run.
public struct RunImportResult: Sendable {
    public var run: StoredRun
    public var dataset: StoredDataset
    public var outcome: ImportOutcome
    public var formatWasDetected: Bool
    public var report: DiagnosisReport
    /// Wall time of each phase, in order: read (parse and hash), diagnose, store.
    public var timings: [(phase: String, seconds: Double)] = []
    /// For content already stored: the metadata this import changed (`tag arch=x`, `param lr=0.1`, `note`).
    public var metadataChanges: [String] = []
}

/// Measures consecutive phases with the monotonic clock.
struct PhaseClock {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    private(set) var phases: [(phase: String, seconds: Double)] = []

    init() { last = clock.now }

    mutating func lap(_ phase: String) {
        let now = clock.now
        let elapsed = now - last
        phases.append((phase, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
        last = now
    }
}

/// Thrown inside a bulk write that finds it must replace a run: deletes cascade only on the checked path.
private struct ReplaceNeedsCascade: Error {}

/// Imports datasets and runs: read, diagnose, then store in one transaction, so that a failure at any
/// point leaves the database as it was.
public struct Importer {
    public let store: any Store
    /// Tests: runs after the diagnosis and before the write transaction, where another process may act.
    var beforeStoring: (() throws -> Void)?

    public init(_ store: any Store) { self.store = store }

    /// Imports the ground truth at `path` as dataset `name`.
    /// Throws `ReadError` for unreadable input, `ImportRejected` when the diagnosis finds blocking problems,
    /// `StoreError.datasetExists` when the name is taken by other content and `replace` is false.
    public func importDataset(
        name: String, path: String, format: DatasetFormat?, options: InputReading.DatasetOptions,
        replace: Bool, strict: Bool
    ) throws -> DatasetImportResult {
        try Self.validate(name: name)
        let (dataset, detected) = try InputReading.readDataset(path: path, format: format, options: options)
        let sha = ContentHash.ofDataset(dataset)
        let report = GroundTruthDiagnosis.diagnose(dataset)
        let datasets = store.datasets
        func result(_ stored: StoredDataset, _ outcome: ImportOutcome) -> DatasetImportResult {
            DatasetImportResult(
                dataset: stored, outcome: outcome, formatWasDetected: detected, report: report,
                images: dataset.images.count, boxes: dataset.boxes.count,
                ignoredRegions: dataset.ignoredRegions.count, categories: dataset.categories.count)
        }
        if let existing = try datasets.find(name: name), existing.sha256 == sha, existing.format == dataset.format {
            return result(existing, .unchanged)
        }
        let blocking = report.blocking(strict: strict)
        if !blocking.isEmpty {
            throw ImportRejected(path: path, report: report, blocking: blocking, strict: strict)
        }
        return try store.write {
            var outcome = ImportOutcome.imported
            if let existing = try datasets.find(name: name) {
                // Another process may have imported the same content since it was looked up.
                if existing.sha256 == sha && existing.format == dataset.format { return result(existing, .unchanged) }
                guard replace else { throw StoreError.datasetExists(name: name) }
                let runs = try datasets.runCount(datasetID: existing.id)
                if runs > 0 { throw StoreError.datasetHasRuns(name: name, runs: runs) }
                try datasets.delete(id: existing.id)
                outcome = .replaced
            }
            let id = try datasets.insert(
                dataset, name: name, source: path, sha256: sha,
                defaultProtocol: InputReading.defaultProtocol(for: dataset.format))
            guard let stored = try datasets.find(id: id) else { throw StoreError.unknownDataset(name: name, known: []) }
            return result(stored, outcome)
        }
    }

    /// Imports the detections at `path` as run `name` of dataset `datasetName`.
    /// Throws `StoreError.unknownDataset`, `ReadError`, `ImportRejected`, or `StoreError.runExists` when the
    /// name is taken by other content and `replace` is false. `progress` hears what the import is doing.
    public func importRun(
        name: String, path: String, datasetName: String, format: DetectionFormat?, options: DiagnosisOptions,
        params: [(key: String, value: String)], tags: [(key: String, value: String)], note: String?,
        replace: Bool, strict: Bool, progress: ProgressHandler? = nil
    ) throws -> RunImportResult {
        try Self.validate(name: name)
        let datasets = store.datasets
        let runs = store.runs
        let dataset = try datasets.require(name: datasetName)
        var clock = PhaseClock()
        var batch: DetectionBatch
        let hash: Background<String>?
        let detected: Bool
        // The dataset's catalog is loaded from the store while the file is read (at 50k images, 0.3 s).
        var read: Result<(DetectionBatch, Background<String>?, Bool), any Error>?
        var loaded: Result<(catalog: DatasetCatalog, imageRowIDs: [Int64]), any Error>?
        let readFile = {
            read = Result {
                try InputReading.readDetections(path: path, format: format) { read, total in
                    progress?(.reading(bytes: read, total: total))
                }
            }
        }
        let loadCatalog = { loaded = Result { try datasets.catalog(of: dataset) } }
        if !SideBySide.run(readFile, loadCatalog) {
            readFile()
            loadCatalog()
        }
        guard let readResult = read.take(), let catalogResult = loaded.take() else {
            preconditionFailure("both sides ran")
        }
        (batch, hash, detected) = try readResult.get()
        guard let hash else { preconditionFailure("read with hashing") }
        clock.lap("read")
        let optionsText = Self.canonical(options)
        // A run of this name may hold this content already: the hash tells. A new name needs the hash only when
        // storing, and the diagnosis runs while it is computed.
        let runBefore = try runs.find(name: name)
        if let existing = runBefore, existing.sha256 == hash.value(), existing.datasetID == dataset.id,
            existing.importOptions == optionsText, existing.format == batch.format
        {
            let sha = hash.value()
            // The same detections: only what describes them may change.
            let changes = try store.write { () throws -> [String] in
                // Re-read inside the write lock: only the same content takes the metadata.
                guard let current = try runs.find(name: name), current.id == existing.id, current.sha256 == sha else {
                    return []
                }
                return try Self.applyMetadata(store, to: current, params: params, tags: tags, note: note)
            }
            var result = RunImportResult(
                run: try runs.find(name: name) ?? existing, dataset: dataset, outcome: .unchanged,
                formatWasDetected: detected, report: DiagnosisReport())
            result.metadataChanges = changes
            return result
        }
        let (catalog, imageRowIDs) = try catalogResult.get()
        progress?(.diagnosing(detections: batch.count))
        let diagnosis = DetectionDiagnosis.diagnoseExplained(batch, against: catalog, options: options)
        let (report, detections) = (diagnosis.report, diagnosis.detections)
        // The raw columns are not needed any more: free them before storing (at 5M detections, 200 MB).
        let batchFormat = batch.format
        batch = DetectionBatch(format: batchFormat, boxEncoding: batch.boxEncoding)
        // Hand the freed columns back to the system: the allocator keeps them otherwise, and the store phase
        // would come on top of them (at 5M detections, 25 MB more at the peak).
        ReleaseMemory.returnFreedPages()
        clock.lap("diagnose")
        let blocking = report.blocking(strict: strict)
        if !blocking.isEmpty {
            throw ImportRejected(path: path, report: report, blocking: blocking, strict: strict)
        }
        try beforeStoring?()
        let sha = hash.value()
        let metadata = RunMetadata(
            name: name, datasetID: dataset.id, format: batchFormat, source: path, sha256: sha,
            importOptions: optionsText, params: params, tags: tags, note: note,
            categoryMap: diagnosis.appliedCategoryMap.map { (Self.keyText($0.model), $0.categoryID) })
        // A new name takes the bulk path: the store skips its per-row reference checks (at 5M detections, a fifth
        // of the import) and this import checks the references itself, once, inside the transaction. Replacing
        // a run deletes rows, which must cascade: the checked path.
        func storeRun(checkedByCaller: Bool) throws -> RunImportResult {
            try (checkedByCaller ? store.writeCheckedByCaller : store.write) {
                try storeRunInTransaction(checkedByCaller: checkedByCaller)
            }
        }
        func storeRunInTransaction(checkedByCaller: Bool) throws -> RunImportResult {
            var outcome = ImportOutcome.imported
            var wasBaseline = false
            // The references the rows hold: the run inserted below, and the images of the catalog read before
            // this transaction, which another process may have replaced or deleted since.
            guard try datasets.find(id: dataset.id)?.sha256 == dataset.sha256,
                try datasets.imageRowIDs(datasetID: dataset.id, matching: "TRUE") == Set(imageRowIDs)
            else { throw StoreError.datasetChanged(name: dataset.name) }
            // Inside the write lock: another process may have imported this name since it was looked up.
            if let existing = try runs.find(name: name) {
                if existing.sha256 == sha, existing.datasetID == dataset.id, existing.importOptions == optionsText,
                    existing.format == batchFormat
                {
                    let changes = try Self.applyMetadata(store, to: existing, params: params, tags: tags, note: note)
                    var result = RunImportResult(
                        run: try runs.find(name: name) ?? existing, dataset: dataset, outcome: .unchanged,
                        formatWasDetected: detected, report: report)
                    result.metadataChanges = changes
                    return result
                }
                guard replace else {
                    let owner = try datasets.find(id: existing.datasetID)?.name ?? "?"
                    throw StoreError.runExists(name: name, dataset: owner)
                }
                guard !checkedByCaller else { throw ReplaceNeedsCascade() }
                wasBaseline = try store.baselines.baseline(datasetID: existing.datasetID) == existing.name
                try runs.delete(id: existing.id)
                outcome = .replaced
            }
            _ = try runs.insert(metadata, detections: detections, imageRowIDs: imageRowIDs, progress: progress)
            guard let stored = try runs.find(name: name) else { throw StoreError.unknownRun(name: name, known: []) }
            // A replaced baseline stays its dataset's baseline (deleting the old run cleared it).
            if wasBaseline && stored.datasetID == dataset.id { try store.baselines.set(stored) }
            return RunImportResult(
                run: stored, dataset: dataset, outcome: outcome, formatWasDetected: detected, report: report)
        }
        var result: RunImportResult
        do {
            result = try storeRun(checkedByCaller: runBefore == nil)
        } catch is ReplaceNeedsCascade {
            // Another process imported this name meanwhile, and --replace replaces it.
            result = try storeRun(checkedByCaller: false)
        }
        clock.lap("store")
        result.timings = clock.phases
        return result
    }

    /// Gives a stored run the params, tags and note an import of the same content names (keys not named are kept;
    /// no note keeps the note). Call inside a write transaction. Returns what changed.
    static func applyMetadata(
        _ store: any Store, to run: StoredRun, params: [(key: String, value: String)],
        tags: [(key: String, value: String)], note: String?
    ) throws -> [String] {
        var changes: [String] = []
        for (pairs, isTags) in [(params, false), (tags, true)] where !pairs.isEmpty {
            let current = Dictionary(
                try store.runs.keyValues(runID: run.id, tags: isTags).map { ($0.key, $0.value) },
                uniquingKeysWith: { a, _ in a })
            let changed = pairs.filter { current[$0.key] != $0.value }
            try store.runs.setKeyValues(runID: run.id, changed, tags: isTags)
            changes += changed.map { "\(isTags ? "tag" : "param") \($0.key)=\($0.value)" }
        }
        if let note, note != run.note {
            try store.runs.setNote(runID: run.id, note.isEmpty ? nil : note)
            changes.append("note")
        }
        return changes
    }

    /// The canonical text of the import corrections, stored with the run.
    public static func canonical(_ options: DiagnosisOptions) -> String {
        var parts: [String] = []
        if let layout = options.boxLayout { parts.append("box-format=\(layout.rawValue)") }
        if let scale = options.boxScale { parts.append("scale=\(scale.argument)") }
        if options.columns != .confidenceLast { parts.append("columns=\(options.columns.rawValue)") }
        if options.imageMatching != .automatic { parts.append("match-images-by=\(options.imageMatching.rawValue)") }
        if options.imageIDOffset != 0 { parts.append("image-id-offset=\(options.imageIDOffset)") }
        if options.categoryMatching != .id {
            parts.append("match-categories-by=\(options.categoryMatching.rawValue)")
        }
        if options.categoryOffset != 0 { parts.append("category-offset=\(options.categoryOffset)") }
        if let map = options.categoryMap {
            parts.append(
                (options.categoryMapIsLabelMap ? "label-map=" : "category-map=")
                    + map.pairs.map { "\(keyText($0.model))>\(keyText($0.dataset))" }.joined(separator: ";"))
        }
        if options.estimatesCategoryMap { parts.append("category-map=auto") }
        if options.dropsDuplicates { parts.append("drop-duplicates") }
        if let offset = options.boxOffset {
            parts.append(
                "box-offset=\([offset.dx, offset.dy, offset.dw, offset.dh].map { "\($0)" }.joined(separator: ","))")
        }
        return parts.joined(separator: " ")
    }

    /// A category key as the map table and the canonical options write it: the id, or the name.
    static func keyText(_ key: CategoryKey) -> String {
        switch key {
        case .id(let id): return "\(id)"
        case .name(let name): return name
        }
    }

    /// Refuses names that would print like another or not at all: empty, control characters, invisible
    /// format characters (zero-width spaces and joiners, bidirectional overrides), line or paragraph
    /// separators, unassigned code points, and white space at either end. (Names that differ only in Unicode
    /// normalization, NFC against NFD, are found as the same name by the stores.)
    static func validate(name: String) throws {
        if name.isEmpty { throw StoreError.invalidName(name, reason: "names cannot be empty") }
        for scalar in name.unicodeScalars {
            let reason: String?
            switch scalar.properties.generalCategory {
            case .control: reason = "names cannot hold control characters"
            case .format:
                reason =
                    "names cannot hold invisible format characters (U+\(String(scalar.value, radix: 16, uppercase: true)): zero-width or bidirectional controls)"
            case .lineSeparator, .paragraphSeparator: reason = "names cannot hold line separators"
            case .unassigned, .surrogate, .privateUse:
                reason = "names cannot hold unassigned or private-use code points"
            default: reason = nil
            }
            if let reason { throw StoreError.invalidName(name, reason: reason) }
        }
        if name.first?.isWhitespace == true || name.last?.isWhitespace == true {
            throw StoreError.invalidName(name, reason: "names cannot start or end with white space")
        }
    }
}
