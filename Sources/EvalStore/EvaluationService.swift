import EvalFormats
import EvalKit

/// The result of `EvaluationService.evaluate`: the stored evaluation and whether it was reused.
public struct EvaluationOutcome: Sendable {
    public var evaluation: StoredEvaluation
    public var run: StoredRun
    public var dataset: StoredDataset
    /// True when an identical stored evaluation was returned instead of recomputing.
    public var wasReused: Bool
    /// The parameters evaluated (their canonical JSON is `evaluation.parameters`).
    public var parameters: EvaluationParameters
    /// The dataset's categories, for names.
    public var categories: [CategoryRecord]
    /// Wall time of loading inputs, computing and storing (zero when reused).
    public var timings: [(phase: String, seconds: Double)] = []
}

/// Why an evaluation cannot run.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case protocolNeedsVisDrone(dataset: String, format: String)
    case unknownClasses([String], known: [String])
    case invalidImageFilter(String, message: String)
    case emptySelection(String)

    public var description: String {
        switch self {
        case .protocolNeedsVisDrone(let dataset, let format):
            return
                "the visdrone protocol needs a VisDrone dataset (its 10 classes and ignored regions); '\(dataset)' is \(format): use --protocol coco, voc07 or voc12"
        case .unknownClasses(let names, let known):
            return
                "--classes: no class \(names.map { "'\($0)'" }.joined(separator: ", ")) in the dataset; known: \(known.prefix(12).joined(separator: ", "))\(known.count > 12 ? ", ..." : "")"
        case .invalidImageFilter(let filter, let message):
            return
                "--images-where \"\(filter)\": \(message); write an SQL condition over the images table's columns (external_id, file_name, width, height)"
        case .emptySelection(let what):
            return "\(what) selects no image; loosen the filter"
        }
    }
}

/// Evaluates stored runs and stores every result in one transaction; identical requests reuse the stored
/// evaluation unless forced.
public struct EvaluationService {
    public let store: any Store
    /// Tests: runs between computing and storing, where another process may act.
    var beforeStoring: (() throws -> Void)?

    public init(_ store: any Store) { self.store = store }

    /// Evaluates run `runName` as `request` asks. Throws `StoreError.unknownRun`, `EvaluationError` for a
    /// request that does not fit the dataset, `SettingsError` for invalid parameters.
    ///
    /// Whatever other processes do meanwhile, what is stored belongs to the content of the run it names: the
    /// run is checked again inside the write transaction, and when it was replaced the new content is
    /// evaluated instead (up to three times); when it was deleted, `StoreError.runChanged` is thrown and
    /// nothing is stored. An identical evaluation another process stored meanwhile is reused.
    public func evaluate(runName: String, request: EvaluationRequest, force: Bool = false) throws
        -> EvaluationOutcome
    {
        var attempt = 0
        while true {
            do {
                return try evaluateOnce(runName: runName, request: request, force: force)
            } catch StoreError.runChanged(let name) where attempt < 2 {
                attempt += 1
                // Replaced: evaluate what it holds now. Deleted: the next attempt says so.
                guard try store.runs.find(name: name) != nil else { throw StoreError.runChanged(name: name) }
            }
        }
    }

    private func evaluateOnce(runName: String, request: EvaluationRequest, force: Bool) throws
        -> EvaluationOutcome
    {
        let run = try store.runs.require(name: runName)
        let dataset = try store.dataset(of: run)
        if request.evaluationProtocol == .visdrone && dataset.format != .visdrone {
            throw EvaluationError.protocolNeedsVisDrone(dataset: dataset.name, format: dataset.format.rawValue)
        }
        let categories = try store.datasets.categories(datasetID: dataset.id)
        let parameters = try EvaluationParameters(request: request, categories: categories)
        let parametersJSON = parameters.canonicalJSON
        let evaluations = store.evaluations
        let existing = try evaluations.find(
            runID: run.id, protocolName: request.evaluationProtocol.rawValue, parameters: parametersJSON)
        if let existing, !force, existing.datasetSHA256 == dataset.sha256, existing.runSHA256 == run.sha256 {
            return EvaluationOutcome(
                evaluation: existing, run: run, dataset: dataset, wasReused: true, parameters: parameters,
                categories: categories)
        }
        var clock = PhaseClock()
        let inputs = try prepare(run: run, dataset: dataset, parameters: parameters)
        clock.lap("load")
        let computeStart = ContinuousClock.now
        let result = Evaluation.evaluate(
            inputs.groundTruth, inputs.detections, parameters: parameters.protocolParameters)
        let record = EvaluationRecord(
            result: result, parameters: parameters, rows: inputs.rows, detectionImages: inputs.detections.image,
            durationMilliseconds: (ContinuousClock.now - computeStart).milliseconds,
            isDefault: try Self.isDefault(parameters, dataset: dataset, categories: categories))
        clock.lap("compute")
        try beforeStoring?()
        let (evaluationID, reused) = try store.write { () throws -> (Int64, Bool) in
            // Inside the write lock: the run must still be the content just evaluated.
            guard let current = try store.runs.find(name: runName), current.id == run.id,
                current.sha256 == run.sha256, current.importOptions == run.importOptions,
                current.datasetID == run.datasetID
            else { throw StoreError.runChanged(name: runName) }
            // Another process may have stored this evaluation meanwhile.
            if let stored = try evaluations.find(
                runID: run.id, protocolName: request.evaluationProtocol.rawValue, parameters: parametersJSON)
            {
                if stored.id != existing?.id && stored.runSHA256 == run.sha256 && stored.datasetSHA256 == dataset.sha256
                {
                    return (stored.id, true)
                }
                try evaluations.delete(id: stored.id)
            }
            return (
                try evaluations.insert(record, runID: run.id, datasetSHA256: dataset.sha256, runSHA256: run.sha256),
                false
            )
        }
        clock.lap("store")
        guard
            let stored = try evaluations.find(
                runID: run.id, protocolName: request.evaluationProtocol.rawValue, parameters: parametersJSON),
            stored.id == evaluationID
        else { throw StoreError.runChanged(name: runName) }
        var outcome = EvaluationOutcome(
            evaluation: stored, run: run, dataset: dataset, wasReused: reused, parameters: parameters,
            categories: categories)
        outcome.timings = clock.phases
        return outcome
    }

    /// Whether `parameters` are the default ones of runs of `dataset`: its default protocol, that protocol's
    /// defaults, no filter.
    static func isDefault(_ parameters: EvaluationParameters, dataset: StoredDataset, categories: [CategoryRecord])
        throws -> Bool
    {
        guard let evaluationProtocol = EvaluationProtocol(rawValue: dataset.defaultProtocol),
            parameters.evaluationProtocol == evaluationProtocol
        else { return false }
        let defaults = try EvaluationParameters(
            request: EvaluationRequest(evaluationProtocol: evaluationProtocol), categories: categories)
        return parameters == defaults
    }

    /// The request for a run's default evaluation: its dataset's default protocol with its defaults. Throws
    /// `StoreError.unknownProtocol` for a protocol this evaldb does not know.
    public static func defaultRequest(for dataset: StoredDataset) throws -> EvaluationRequest {
        guard let evaluationProtocol = EvaluationProtocol(rawValue: dataset.defaultProtocol) else {
            throw StoreError.unknownProtocol(dataset.defaultProtocol, dataset: dataset.name)
        }
        return EvaluationRequest(evaluationProtocol: evaluationProtocol)
    }

    /// Loads a run's evaluation inputs with `parameters`' image, class and score filters applied.
    func prepare(run: StoredRun, dataset: StoredDataset, parameters: EvaluationParameters) throws
        -> PreparedInputs
    {
        let inputs = try store.evaluationInputs(datasetID: dataset.id, runID: run.id)
        var (groundTruth, imageRowIDs, boxRowIDs) = (inputs.groundTruth, inputs.imageRowIDs, inputs.boxRowIDs)
        var (detections, seq) = (inputs.detections, inputs.seq)
        if let filter = parameters.imagesWhere {
            let keep = try selectedImages(datasetID: dataset.id, filter: filter, imageRowIDs: imageRowIDs)
            (groundTruth, boxRowIDs, detections, seq) = InputSelection.keepImages(
                keep, groundTruth, boxRowIDs, detections, seq)
            imageRowIDs = zip(imageRowIDs, keep).filter(\.1).map(\.0)
        }
        (groundTruth, boxRowIDs, detections, seq) = InputSelection.filter(
            groundTruth, boxRowIDs, detections, seq, categories: parameters.categoryIDs,
            scoreThreshold: parameters.scoreThreshold)
        return PreparedInputs(
            groundTruth: groundTruth, detections: detections,
            rows: InputRows(imageRowIDs: imageRowIDs, boxRowIDs: boxRowIDs, seq: seq))
    }

    private func selectedImages(datasetID: Int64, filter: String, imageRowIDs: [Int64]) throws -> [Bool] {
        let selected = try store.datasets.imageRowIDs(datasetID: datasetID, matching: filter)
        if selected.isEmpty { throw EvaluationError.emptySelection("--images-where \"\(filter)\"") }
        return imageRowIDs.map { selected.contains($0) }
    }
}

/// A run's evaluation inputs after the filters, with the store rows they came from.
struct PreparedInputs {
    var groundTruth: EvalGroundTruth
    var detections: EvalDetections
    var rows: InputRows
}

extension Duration {
    /// The duration in milliseconds.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) * 1e-15
    }
}
