import EvalFormats
import EvalKit
import EvalStore

/// Everything the report shows about one run: its stored default evaluation (the numbers `evaldb eval RUN`
/// prints, and the stored PR curves), and the analyses computed in memory from the same inputs (the per-detection
/// outcomes, F1 against the score threshold, the confusion matrix and the TIDE breakdown).
struct RunAnalysis {
    var name: String
    var outcome: EvaluationOutcome
    var report: EvaluationReport
    var curves: [EvaluationResult.Curve]
    var inputs: EvaluationInputs
    var result: EvaluationResult
    var thresholds: ThresholdAnalysis
    var confusion: ConfusionMatrix
    var errors: ErrorBreakdown
    /// The index of IoU 0.5 among the evaluated thresholds (the first threshold when 0.5 is not evaluated).
    var countingThreshold: Int

    /// The IoU at which outcomes, F1, the confusion matrix and the gallery are given.
    static let iou = 0.5

    /// Evaluates (or reuses) the run's default evaluation under `request`, reads it back, and computes the
    /// in-memory analyses.
    init(runName: String, request: EvaluationRequest, store: any Store) throws {
        name = runName
        outcome = try EvaluationService(store).evaluate(runName: runName, request: request)
        report = try EvaluationReport(outcome: outcome, store: store)
        curves = try store.evaluations.curves(evaluationID: outcome.evaluation.id)
        // The default request filters nothing: the evaluated inputs are the stored ones as they are.
        inputs = try store.evaluationInputs(datasetID: outcome.dataset.id, runID: outcome.run.id)
        let parameters = outcome.parameters.protocolParameters
        result = Evaluation.evaluate(inputs.groundTruth, inputs.detections, parameters: parameters)
        countingThreshold = parameters.iouThresholds.firstIndex(of: Self.iou) ?? 0
        thresholds = ThresholdSearch.analyze(result, inputs.detections, inputs.groundTruth, iouThreshold: Self.iou)
        confusion = ConfusionAnalysis.compute(inputs.groundTruth, inputs.detections, iouThreshold: Self.iou)
        errors = ErrorAnalysis.analyze(inputs.groundTruth, inputs.detections, parameters: parameters)
    }

    /// A detection's outcome at IoU 0.5.
    enum DetectionOutcome: String {
        case truePositive = "tp"
        case falsePositive = "fp"
        case ignored
    }

    /// A ground-truth box's outcome at IoU 0.5.
    enum BoxOutcome: String {
        case found
        case missed
        case ignored
    }

    func detectionOutcome(_ index: Int) -> DetectionOutcome {
        let bit = Int64(1) << Int64(countingThreshold)
        if result.outcomes.truePositiveMask[index] & bit != 0 { return .truePositive }
        if result.outcomes.ignoredMask[index] & bit != 0 { return .ignored }
        return .falsePositive
    }

    /// Each ground-truth box's outcome: crowd, ignore and difficult boxes are ignored; the others are found when a
    /// true positive at IoU 0.5 matched them.
    func boxOutcomes() -> [BoxOutcome] {
        let truth = inputs.groundTruth
        var found = [Bool](repeating: false, count: truth.count)
        for index in 0..<result.outcomes.count where detectionOutcome(index) == .truePositive {
            let box = Int(result.outcomes.matched50[index])
            if box >= 0 && box < found.count { found[box] = true }
        }
        return (0..<truth.count).map { box in
            if truth.isCrowd[box] || truth.isIgnored[box] || truth.isDifficult[box] { return .ignored }
            return found[box] ? .found : .missed
        }
    }

    /// False positives plus missed boxes at IoU 0.5, per image.
    func lossPerImage(boxOutcomes: [BoxOutcome]) -> [Int] {
        var loss = [Int](repeating: 0, count: inputs.groundTruth.imageCount)
        for index in 0..<inputs.detections.count where detectionOutcome(index) == .falsePositive {
            loss[Int(inputs.detections.image[index])] += 1
        }
        for (box, outcome) in boxOutcomes.enumerated() where outcome == .missed {
            loss[Int(inputs.groundTruth.image[box])] += 1
        }
        return loss
    }
}
