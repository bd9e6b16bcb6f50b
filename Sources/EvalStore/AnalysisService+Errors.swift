import EvalFormats
import EvalKit

extension AnalysisService {
    /// The TIDE error breakdown (`ErrorAnalysis`) of run `runName` under `evaluationProtocol` (nil: the dataset's
    /// default) with its default parameters, at `foregroundIoU` and `backgroundIoU`.
    public func errors(
        runName: String, evaluationProtocol: EvaluationProtocol?, foregroundIoU: Double = 0.5,
        backgroundIoU: Double = 0.1, force: Bool = false
    ) throws -> AnalysisOutcome {
        let parameters = "{\"background_iou\":\(backgroundIoU),\"foreground_iou\":\(foregroundIoU)}"
        return try analyze(
            runName: runName, kind: .errors,
            protocolName: { try Self.protocolName(evaluationProtocol, dataset: $0) }, parameters: parameters,
            force: force
        ) { _, dataset, categories, inputs in
            let protocolParameters = try Self.parameters(
                evaluationProtocol, dataset: dataset, categories: categories)
            let breakdown = ErrorAnalysis.analyze(
                inputs.groundTruth, inputs.detections, parameters: protocolParameters, foregroundIoU: foregroundIoU,
                backgroundIoU: backgroundIoU)
            return Self.json(
                breakdown, protocolName: protocolParameters.evaluationProtocol.rawValue, categories: categories)
        }
    }

    /// `{"protocol","foreground_iou","background_iou","AP50","errors":{"cls":{"count","dAP"},...},
    /// "special":{"FalsePos":{"dAP"},"FalseNeg":{"dAP"}},"classes":[{"category_id","category","AP50","errors",
    /// "special"}]}` (`classes` last).
    static func json(_ breakdown: ErrorBreakdown, protocolName: String, categories: [CategoryRecord]) -> String {
        let names = names(categories)
        func values(_ values: ErrorBreakdown.Values) -> String {
            let errors = TideError.allCases.map { type in
                let dAP = values.dAP[type] ?? nil
                return "\"\(type.rawValue)\":{\"count\":\(values.counts[type] ?? 0),\"dAP\":\(number(dAP))}"
            }
            return "\"AP50\":\(number(values.ap)),\"errors\":{\(errors.joined(separator: ","))},"
                + "\"special\":{\"FalsePos\":{\"dAP\":\(number(values.falsePositiveDAP))},"
                + "\"FalseNeg\":{\"dAP\":\(number(values.falseNegativeDAP))}}"
        }
        let classes = breakdown.classes.map {
            "{\"category_id\":\($0.categoryID),\"category\":\(JSONText.string(names[$0.categoryID] ?? String($0.categoryID))),"
                + values($0.values) + "}"
        }
        return "{\"protocol\":\(JSONText.string(protocolName)),\"foreground_iou\":\(number(breakdown.foregroundIoU)),"
            + "\"background_iou\":\(number(breakdown.backgroundIoU)),\(values(breakdown.overall)),"
            + "\"classes\":[\(classes.joined(separator: ","))]}"
    }
}
