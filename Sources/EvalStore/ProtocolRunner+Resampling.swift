import EvalKit

extension ProtocolRunner {
    /// What the paired bootstrap resamples under `settings` on `groundTruth`.
    static func bootstrapDesign(_ groundTruth: EvalGroundTruth, settings: ProtocolSettings) -> BootstrapDesign {
        switch settings.evaluationProtocol {
        case .coco: return CocoBootstrap.design(groundTruth, parameters: cocoParameters(settings))
        case .voc07, .voc12: return VocBootstrap.design(groundTruth, parameters: vocParameters(settings))
        case .visdrone: return VisDroneBootstrap.design(groundTruth, parameters: visDroneParameters(settings))
        }
    }

    /// Evaluates like `run`, and also returns the run's outcomes for every cell of `design`.
    static func runResampled(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, context: ProtocolContext,
        design: BootstrapDesign
    ) -> (EvaluationRecord, ResampledRun) {
        let settings = context.settings
        switch settings.evaluationProtocol {
        case .coco:
            let result = CocoEvaluator.evaluate(
                groundTruth, detections, parameters: cocoParameters(settings), recordsAreaOutcomes: true)
            return (
                cocoRecord(result, detections, context: context),
                CocoBootstrap.run(result, detections, groundTruth: groundTruth, design: design)
            )
        case .voc07, .voc12:
            let result = VocEvaluator.evaluate(groundTruth, detections, parameters: vocParameters(settings))
            return (
                vocRecord(result, detections, context: context),
                VocBootstrap.run(result, detections, groundTruth: groundTruth, design: design)
            )
        case .visdrone:
            let result = VisDroneEvaluator.evaluate(
                groundTruth, detections, parameters: visDroneParameters(settings), recordsBudgetOutcomes: true)
            return (
                visDroneRecord(result, detections, context: context),
                VisDroneBootstrap.run(result, detections, design: design)
            )
        }
    }
}
