import EvalFormats
import EvalKit

/// The result of an `AnalysisService` call: the stored analysis and whether it was reused.
public struct AnalysisOutcome: Sendable {
    public var analysis: StoredAnalysis
    public var run: StoredRun
    public var dataset: StoredDataset
    public var categories: [CategoryRecord]
    /// True when an identical stored analysis was returned instead of recomputing.
    public var wasReused: Bool
}

/// Computes, stores and reuses error analyses (`errors`, `confusion`, `thresholds`) like evaluations: one per
/// run, kind, protocol and parameters, reused while the run's and the dataset's content are those it was
/// computed from, stored in one transaction after checking the run is still the content analysed.
public struct AnalysisService {
    public let store: any Store

    public init(_ store: any Store) { self.store = store }

    /// The detection confusion matrix (`ConfusionAnalysis`) of run `runName`.
    public func confusion(runName: String, iouThreshold: Double, scoreThreshold: Double, force: Bool = false)
        throws -> AnalysisOutcome
    {
        let parameters = "{\"iou\":\(iouThreshold),\"score_threshold\":\(scoreThreshold)}"
        return try analyze(
            runName: runName, kind: .confusion, protocolName: { _ in "" }, parameters: parameters, force: force
        ) { _, _, categories, inputs in
            let matrix = ConfusionAnalysis.compute(
                inputs.groundTruth, inputs.detections, iouThreshold: iouThreshold, scoreThreshold: scoreThreshold)
            return Self.json(matrix, categories: categories)
        }
    }

    /// Best-F1 score thresholds (`ThresholdSearch`) of run `runName` under `evaluationProtocol` (nil: the
    /// dataset's default) at `iouThreshold`.
    public func thresholds(
        runName: String, evaluationProtocol: EvaluationProtocol?, iouThreshold: Double, targetPrecision: Double?,
        force: Bool = false
    ) throws -> AnalysisOutcome {
        let target = targetPrecision.map { "\($0)" } ?? "null"
        let parameters = "{\"iou\":\(iouThreshold),\"target_precision\":\(target)}"
        return try analyze(
            runName: runName, kind: .thresholds,
            protocolName: { try Self.protocolName(evaluationProtocol, dataset: $0) }, parameters: parameters,
            force: force
        ) { _, dataset, categories, inputs in
            let protocolParameters = try Self.parameters(
                evaluationProtocol, dataset: dataset, categories: categories, iouThreshold: iouThreshold)
            let result = Evaluation.evaluate(inputs.groundTruth, inputs.detections, parameters: protocolParameters)
            let analysis = ThresholdSearch.analyze(
                result, inputs.detections, inputs.groundTruth, iouThreshold: iouThreshold,
                targetPrecision: targetPrecision)
            return Self.json(analysis, categories: categories)
        }
    }

    /// The protocol an analysis uses: the one asked for, else the dataset's default.
    static func protocolName(_ evaluationProtocol: EvaluationProtocol?, dataset: StoredDataset) throws -> String {
        if let evaluationProtocol { return evaluationProtocol.rawValue }
        return try EvaluationService.defaultRequest(for: dataset).evaluationProtocol.rawValue
    }

    /// The protocol's default parameters (`evaluationProtocol`, else the dataset's), at the single threshold
    /// `iouThreshold` when one is given.
    static func parameters(
        _ evaluationProtocol: EvaluationProtocol?, dataset: StoredDataset, categories: [CategoryRecord],
        iouThreshold: Double? = nil
    ) throws -> ProtocolParameters {
        var request = try EvaluationService.defaultRequest(for: dataset)
        if let evaluationProtocol { request.evaluationProtocol = evaluationProtocol }
        if request.evaluationProtocol == .visdrone && dataset.format != .visdrone {
            throw EvaluationError.protocolNeedsVisDrone(dataset: dataset.name, format: dataset.format.rawValue)
        }
        if let iouThreshold { request.iouThresholds = [iouThreshold] }
        return try EvaluationParameters(request: request, categories: categories).protocolParameters
    }

    /// Reuses or computes and stores one analysis.
    func analyze(
        runName: String, kind: AnalysisKind, protocolName: (StoredDataset) throws -> String, parameters: String,
        force: Bool,
        compute: (StoredRun, StoredDataset, [CategoryRecord], EvaluationInputs) throws -> String
    ) throws -> AnalysisOutcome {
        var attempt = 0
        while true {
            let run = try store.runs.require(name: runName)
            let dataset = try store.dataset(of: run)
            let categories = try store.datasets.categories(datasetID: dataset.id)
            let protocolName = try protocolName(dataset)
            let analyses = store.analyses
            if !force,
                let existing = try analyses.find(
                    runID: run.id, kind: kind, protocolName: protocolName, parameters: parameters),
                existing.runSHA256 == run.sha256, existing.datasetSHA256 == dataset.sha256
            {
                return AnalysisOutcome(
                    analysis: existing, run: run, dataset: dataset, categories: categories, wasReused: true)
            }
            let inputs = try store.evaluationInputs(datasetID: dataset.id, runID: run.id)
            let start = ContinuousClock.now
            let result = try compute(run, dataset, categories, inputs)
            let record = StoredAnalysis(
                runID: run.id, kind: kind, protocolName: protocolName, parameters: parameters,
                datasetSHA256: dataset.sha256, runSHA256: run.sha256,
                durationMilliseconds: (ContinuousClock.now - start).milliseconds, result: result)
            do {
                try store.write {
                    guard let current = try store.runs.find(name: runName), current.id == run.id,
                        current.sha256 == run.sha256, current.importOptions == run.importOptions,
                        current.datasetID == run.datasetID
                    else { throw StoreError.runChanged(name: runName) }
                    _ = try analyses.insert(record)
                }
            } catch StoreError.runChanged(let name) where attempt < 2 {
                attempt += 1
                guard try store.runs.find(name: name) != nil else { throw StoreError.runChanged(name: name) }
                continue
            }
            guard
                let stored = try analyses.find(
                    runID: run.id, kind: kind, protocolName: protocolName, parameters: parameters)
            else { throw StoreError.runChanged(name: runName) }
            return AnalysisOutcome(
                analysis: stored, run: run, dataset: dataset, categories: categories, wasReused: false)
        }
    }

    // MARK: JSON

    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return "\(value)"
    }

    static func names(_ categories: [CategoryRecord]) -> [Int64: String] {
        Dictionary(categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// `{"iou","score_threshold","classes":[..., "background"],"category_ids":[..., null],"matrix":[[...]],
    /// "rows":"ground truth","columns":"predicted"}`.
    static func json(_ matrix: ConfusionMatrix, categories: [CategoryRecord]) -> String {
        let names = names(categories)
        let classes = matrix.categoryIDs.map { JSONText.string(names[$0] ?? String($0)) } + ["\"background\""]
        let ids = matrix.categoryIDs.map(String.init) + ["null"]
        let rows = matrix.counts.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
        return "{\"iou\":\(number(matrix.iouThreshold)),\"score_threshold\":\(number(matrix.scoreThreshold)),"
            + "\"classes\":[\(classes.joined(separator: ","))],\"category_ids\":[\(ids.joined(separator: ","))],"
            + "\"matrix\":[\(rows.joined(separator: ","))],\"rows\":\"ground truth\",\"columns\":\"predicted\"}"
    }

    static func json(_ point: ThresholdPoint?) -> String {
        guard let point else { return "null" }
        return "{\"threshold\":\(number(point.threshold)),\"precision\":\(number(point.precision)),"
            + "\"recall\":\(number(point.recall)),\"F1\":\(number(point.f1)),\"TP\":\(point.truePositives),"
            + "\"FP\":\(point.falsePositives),\"FN\":\(point.falseNegatives)}"
    }

    /// `{"iou","target_precision","overall":{"n_gt","best":{threshold, precision, recall, F1, TP, FP, FN},
    /// "target":{...}},"classes":[{"category_id","category","n_gt","best","target"}]}` (target null without a
    /// target precision or when none reaches it; best null without any true positive).
    static func json(_ analysis: ThresholdAnalysis, categories: [CategoryRecord]) -> String {
        let names = names(categories)
        func curve(_ curve: ThresholdCurve) -> String {
            "\"n_gt\":\(curve.groundTruth),\"best\":\(json(curve.best)),\"target\":\(json(curve.atTargetPrecision))"
        }
        let classes = analysis.classes.map {
            "{\"category_id\":\($0.categoryID),\"category\":\(JSONText.string(names[$0.categoryID] ?? String($0.categoryID))),"
                + curve($0.curve) + "}"
        }
        return "{\"iou\":\(number(analysis.iouThreshold)),\"target_precision\":\(number(analysis.targetPrecision)),"
            + "\"overall\":{\(curve(analysis.overall))},\"classes\":[\(classes.joined(separator: ","))]}"
    }
}
