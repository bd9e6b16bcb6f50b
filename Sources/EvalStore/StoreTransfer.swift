import EvalFormats
import EvalKit

/// What copying one run to another store did.
public enum TransferOutcome: String, Sendable {
    /// The destination had no run of that name: it has it now.
    case copied
    /// The destination's run of that name held other content and `replace` was given.
    case replaced
    /// The destination holds the same content already: nothing was copied (its params, tags and note may have
    /// been brought in line, see `TransferResult.metadataChanges`).
    case unchanged
}

/// The result of `StoreTransfer.copy(runName:replace:)`.
public struct TransferResult: Sendable {
    public var run: String
    public var dataset: String
    public var outcome: TransferOutcome
    /// True when the run's dataset was missing at the destination and was copied with it.
    public var copiedDataset: Bool
    /// The params, tags and note given to an unchanged run (`param lr=0.01`, `tag arch=x`, `note`).
    public var metadataChanges: [String]
    /// The number of the run's evaluations copied (those the destination's run lacked).
    public var copiedEvaluations: Int
    /// The number of the run's analyses copied (those the destination's run lacked).
    public var copiedAnalyses: Int
    /// True when the run became its dataset's baseline at the destination (it is the source's baseline and the
    /// destination had none).
    public var setBaseline: Bool
    /// True when the default evaluation was computed at the destination: the source had none (imported with
    /// `--no-eval`, say), and neither had the destination.
    public var evaluated: Bool
    public var detections: Int
}

/// Why a run cannot be copied.
public enum TransferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The destination has a run of that name with other detections, import options or dataset.
    case runConflict(run: String, destination: String)
    /// The destination has a dataset of that name with other ground truth.
    case datasetConflict(dataset: String, destination: String)
    /// A detection names an image the destination's copy of the dataset lacks (a store changed outside evaldb).
    case missingImage(run: String, externalID: Int64, destination: String)
    /// The destination's copy of the dataset holds its ground-truth boxes in another order or with other values,
    /// so the boxes a stored evaluation matched cannot be named there (a store changed outside evaldb).
    case groundTruthMismatch(dataset: String, destination: String)

    public var description: String {
        switch self {
        case .runConflict(let run, let destination):
            return
                "\(destination) already has a run named '\(run)' with other content (detections, import options or dataset); pass --replace to overwrite it there, or rename one of them (evaldb rename)"
        case .datasetConflict(let dataset, let destination):
            return
                "\(destination) already has a dataset named '\(dataset)' with other ground truth; --replace does not replace datasets: rename one of them (evaldb dataset import under another name) or delete it there first (evaldb dataset delete)"
        case .missingImage(let run, let externalID, let destination):
            return
                "run '\(run)': image \(externalID) is not in the dataset at \(destination); its copy there differs, delete it there and copy again"
        case .groundTruthMismatch(let dataset, let destination):
            return
                "dataset '\(dataset)' at \(destination) holds its ground-truth boxes differently from this store's copy, so stored evaluations cannot be copied; delete it there and copy again"
        }
    }
}

/// Copies runs between two stores of any backend (`evaldb push` and `evaldb pull`), through the `Store` interface
/// only: the run's dataset when the destination lacks it, its detections (same `seq`, same content hash), import
/// options, category map, params, tags and note, every stored evaluation and analysis of the run, and its baseline
/// role when the destination's dataset has none.
///
/// Evaluations are copied row by row as stored (their values, `created_at`, evaldb version, duration and default
/// mark), with the row ids they name (`image_matches.image_id`, the matched `gt_boxes.id`) translated to the
/// destination's: images by their external id, ground-truth boxes by their position in the dataset (the same on
/// both sides for the same dataset content, which is checked). Analyses name no row ids and are copied as stored.
/// When the source has no default evaluation (a run imported with `--no-eval`), the destination computes it.
///
/// Copying is idempotent: the same content already at the destination is left as it is; only params, tags and
/// note the source has are brought in line, and evaluations and analyses the destination's run lacks (by protocol
/// and parameters) are added. Evaluations and analyses the destination's run has and the source's lacks are kept:
/// they are derived from the same content, so they are as valid as the source's. Other run content under the same
/// name is refused unless `replace` (which replaces the run with everything stored of it there).
public struct StoreTransfer {
    public let source: any Store
    public let destination: any Store

    public init(from source: any Store, to destination: any Store) {
        self.source = source
        self.destination = destination
    }

    /// Copies run `runName`. Throws `StoreError.unknownRun` when the source lacks it, `TransferError` for conflicting
    /// content at the destination. The dataset, when missing there, is copied in one transaction at the destination;
    /// the run with its metadata, evaluations and analyses in the next one (all or nothing); the baseline role and a
    /// default evaluation the source lacked follow in their own, as after `evaldb import`.
    public func copy(runName: String, replace: Bool) throws -> TransferResult {
        let run = try source.runs.require(name: runName)
        let sourceDataset = try source.dataset(of: run)
        let (datasetAtDestination, copiedDataset) = try ensureDataset(sourceDataset)
        let params = try source.runs.keyValues(runID: run.id, tags: false)
        let tags = try source.runs.keyValues(runID: run.id, tags: true)
        var result = TransferResult(
            run: run.name, dataset: sourceDataset.name, outcome: .unchanged, copiedDataset: copiedDataset,
            metadataChanges: [], copiedEvaluations: 0, copiedAnalyses: 0, setBaseline: false, evaluated: false,
            detections: run.detectionCount)
        // Read at the source before the destination's transaction: what the destination lacks, as it stands now
        // (looked at again inside the transaction).
        let existing = try destination.runs.find(name: run.name)
        let isUnchanged = existing.map { Self.isSameContent($0, run, datasetID: datasetAtDestination.id) } ?? false
        var held = Set<String>()
        var heldAnalyses = Set<String>()
        if let existing, isUnchanged {
            held = Set(try destination.evaluations.all(runID: existing.id).map(Self.key))
            heldAnalyses = Set(try destination.analyses.all(runID: existing.id).map(Self.key))
        }
        let evaluations = try source.evaluations.all(runID: run.id).filter { !held.contains(Self.key($0)) }
            .map { try source.evaluations.rows(of: $0) }
        let analyses = try source.analyses.all(runID: run.id).filter { !heldAnalyses.contains(Self.key($0)) }
        var sourceInputs: EvaluationInputs?
        func inputs() throws -> EvaluationInputs {
            if let sourceInputs { return sourceInputs }
            let read = try source.evaluationInputs(datasetID: sourceDataset.id, runID: run.id)
            sourceInputs = read
            return read
        }
        let detections =
            isUnchanged ? nil : try resolvedDetections(of: run, inputs: try inputs(), to: datasetAtDestination)
        let categoryMap = try source.runs.categoryMap(of: run).rows.map {
            (modelKey: $0[0].string ?? "", categoryID: $0[1].int64 ?? 0)
        }
        let metadata = RunMetadata(
            name: run.name, datasetID: datasetAtDestination.id, format: run.format, source: run.source,
            sha256: run.sha256, importOptions: run.importOptions, params: params, tags: tags, note: run.note,
            categoryMap: categoryMap)
        try destination.write {
            // Inside the write lock: another process may have stored this name since it was looked up.
            result.outcome = .copied
            result.metadataChanges = []
            let runID: Int64
            if let current = try destination.runs.find(name: run.name),
                Self.isSameContent(current, run, datasetID: datasetAtDestination.id)
            {
                result.outcome = .unchanged
                result.metadataChanges = try Importer.applyMetadata(
                    destination, to: current, params: params, tags: tags, note: run.note)
                runID = current.id
            } else {
                var wasBaseline = false
                if let current = try destination.runs.find(name: run.name) {
                    guard replace else {
                        throw TransferError.runConflict(run: run.name, destination: destination.location)
                    }
                    wasBaseline = try destination.baselines.baseline(datasetID: current.datasetID) == current.name
                    try destination.runs.delete(id: current.id)
                    result.outcome = .replaced
                }
                let resolved =
                    try detections ?? resolvedDetections(of: run, inputs: try inputs(), to: datasetAtDestination)
                runID = try destination.runs.insert(
                    metadata, detections: resolved.detections, imageRowIDs: resolved.imageRowIDs)
                if wasBaseline, let stored = try destination.runs.find(name: run.name) {
                    try destination.baselines.set(stored)
                }
            }
            (result.copiedEvaluations, result.copiedAnalyses) = try copyResults(
                evaluations, analyses, toRun: runID, dataset: datasetAtDestination, sourceInputs: inputs)
        }
        result.setBaseline = try adoptBaseline(run, sourceDataset: sourceDataset, at: datasetAtDestination)
        let request = try EvaluationService.defaultRequest(for: datasetAtDestination)
        result.evaluated = !(try EvaluationService(destination).evaluate(runName: run.name, request: request).wasReused)
        return result
    }

    /// Whether `stored` (at the destination) holds what `run` (at the source) holds.
    static func isSameContent(_ stored: StoredRun, _ run: StoredRun, datasetID: Int64) -> Bool {
        stored.sha256 == run.sha256 && stored.importOptions == run.importOptions && stored.format == run.format
            && stored.detectionCount == run.detectionCount && stored.datasetID == datasetID
    }

    /// The destination's dataset of the same name and content, copied there when missing. Throws
    /// `TransferError.datasetConflict` when it holds other ground truth.
    private func ensureDataset(_ dataset: StoredDataset) throws -> (StoredDataset, copied: Bool) {
        if let existing = try destination.datasets.find(name: dataset.name) {
            guard existing.sha256 == dataset.sha256 else {
                throw TransferError.datasetConflict(dataset: dataset.name, destination: destination.location)
            }
            return (existing, false)
        }
        let groundTruth = try source.datasets.groundTruth(of: dataset)
        let copied = try destination.write { () throws -> Bool in
            if let existing = try destination.datasets.find(name: dataset.name) {
                guard existing.sha256 == dataset.sha256 else {
                    throw TransferError.datasetConflict(dataset: dataset.name, destination: destination.location)
                }
                return false
            }
            _ = try destination.datasets.insert(
                groundTruth, name: dataset.name, source: dataset.source, sha256: dataset.sha256,
                defaultProtocol: dataset.defaultProtocol)
            return true
        }
        return (try destination.datasets.require(name: dataset.name), copied)
    }

    /// The run's detections (in `inputs`, read at the source) as the destination's `RunRepository.insert` takes
    /// them: input positions are the stored `seq`, images are matched by the dataset's own (external) image id.
    private func resolvedDetections(of run: StoredRun, inputs: EvaluationInputs, to dataset: StoredDataset)
        throws -> (detections: ResolvedDetections, imageRowIDs: [Int64])
    {
        let (catalog, imageRowIDs) = try destination.datasets.catalog(of: dataset)
        var indexByExternalID: [Int64: Int32] = [:]
        for (index, image) in catalog.images.enumerated() { indexByExternalID[image.id] = Int32(index) }
        // Each input image index, as an index of the destination's catalog.
        var imageIndex: [Int32] = []
        imageIndex.reserveCapacity(inputs.imageRowIDs.count)
        for externalID in inputs.groundTruth.imageIDs {
            guard let index = indexByExternalID[externalID] else {
                throw TransferError.missingImage(
                    run: run.name, externalID: externalID, destination: destination.location)
            }
            imageIndex.append(index)
        }
        // In `seq` order: the stored positions are the input positions, which `RowNumbers` takes increasing.
        let order = inputs.seq.indices.sorted { inputs.seq[$0] < inputs.seq[$1] }
        let source = inputs.detections
        var detections = ResolvedDetections()
        for i in order {
            detections.boxes.append(
                image: imageIndex[Int(source.image[i])], category: source.category[i], score: source.score[i],
                x: source.x[i], y: source.y[i], width: source.width[i], height: source.height[i])
            detections.row.append(Int32(truncatingIfNeeded: inputs.seq[i]))
        }
        return (detections, imageRowIDs)
    }

    /// Makes the copied run its dataset's baseline at the destination when it is the source's baseline and the
    /// destination's dataset has none. Returns whether it did.
    private func adoptBaseline(_ run: StoredRun, sourceDataset: StoredDataset, at dataset: StoredDataset) throws
        -> Bool
    {
        guard try source.baselines.baseline(datasetID: sourceDataset.id) == run.name else { return false }
        return try destination.write {
            guard try destination.baselines.baseline(datasetID: dataset.id) == nil,
                let stored = try destination.runs.find(name: run.name)
            else { return false }
            try destination.baselines.set(stored)
            return true
        }
    }
}
