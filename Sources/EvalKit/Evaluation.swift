/// Runs any protocol: the one entry point the store and the bootstrap use, so that which boxes count, how curves
/// are drawn and what is resampled stay next to each evaluator.
public enum Evaluation {
    /// Evaluates `detections` against `groundTruth` under `parameters`.
    public static func evaluate(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, parameters: ProtocolParameters
    ) -> EvaluationResult {
        switch parameters {
        case .coco(let coco):
            let result = CocoEvaluator.evaluate(
                groundTruth, detections, parameters: coco, buildsOutcomeArrays: false)
            return EvaluationResult(coco: result, detections)
        case .voc(let voc):
            let result = VocEvaluator.evaluate(groundTruth, detections, parameters: voc)
            return EvaluationResult(voc: result, detections, parameters: voc)
        case .visdrone(let visDrone):
            let result = VisDroneEvaluator.evaluate(groundTruth, detections, parameters: visDrone)
            return EvaluationResult(visDrone: result, detections, parameters: visDrone)
        }
    }

    /// What the paired bootstrap resamples under `parameters` on `groundTruth`.
    public static func bootstrapDesign(_ groundTruth: EvalGroundTruth, parameters: ProtocolParameters)
        -> BootstrapDesign
    {
        switch parameters {
        case .coco(let coco): return CocoBootstrap.design(groundTruth, parameters: coco)
        case .voc(let voc): return VocBootstrap.design(groundTruth, parameters: voc)
        case .visdrone(let visDrone): return VisDroneBootstrap.design(groundTruth, parameters: visDrone)
        }
    }

    /// Evaluates like `evaluate`, and also returns the run's outcomes for every cell of `design`.
    public static func evaluateResampled(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, parameters: ProtocolParameters,
        design: BootstrapDesign
    ) -> (EvaluationResult, ResampledRun) {
        switch parameters {
        case .coco(let coco):
            let result = CocoEvaluator.evaluate(groundTruth, detections, parameters: coco, recordsAreaOutcomes: true)
            return (
                EvaluationResult(coco: result, detections),
                CocoBootstrap.run(result, detections, groundTruth: groundTruth, design: design)
            )
        case .voc(let voc):
            let result = VocEvaluator.evaluate(groundTruth, detections, parameters: voc)
            return (
                EvaluationResult(voc: result, detections, parameters: voc),
                VocBootstrap.run(result, detections, groundTruth: groundTruth, design: design)
            )
        case .visdrone(let visDrone):
            let result = VisDroneEvaluator.evaluate(
                groundTruth, detections, parameters: visDrone, recordsBudgetOutcomes: true)
            return (
                EvaluationResult(visDrone: result, detections, parameters: visDrone),
                VisDroneBootstrap.run(result, detections, design: design)
            )
        }
    }
}
