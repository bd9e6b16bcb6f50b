import EvalFormats
import EvalKit
import EvalStore

extension EvaluationParameters {
    /// The settings that differ from the protocol's defaults, for headers: `IoU 0.5,0.75`, `maxDets 1,10`,
    /// `area ranges tiny=0:256,big=256:1e+10`, `class-agnostic`, `classes person, car`, `images where width < 640`,
    /// `score >= 0.5`. Empty for a default evaluation.
    func nonDefaultSettings(categories: [CategoryRecord]) -> [String] {
        let defaults = try? EvaluationParameters(
            request: EvaluationRequest(evaluationProtocol: evaluationProtocol), categories: categories)
        func numbers(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        var settings: [String] = []
        if iouThresholds != defaults?.iouThresholds { settings.append("IoU \(numbers(iouThresholds))") }
        if maxDetections != defaults?.maxDetections {
            settings.append("maxDets \(maxDetections.map(String.init).joined(separator: ","))")
        }
        if areaRanges != defaults?.areaRanges {
            settings.append(
                "area ranges "
                    + areaRanges.map { "\($0.name)=\($0.lower):\($0.upper)" }.joined(separator: ","))
        }
        if isClassAgnostic { settings.append("class-agnostic") }
        if let categoryIDs {
            let names = Dictionary(categories.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            settings.append("classes " + categoryIDs.map { names[$0] ?? "\($0)" }.joined(separator: ", "))
        }
        if let imagesWhere { settings.append("images where \(imagesWhere)") }
        if let scoreThreshold { settings.append("score >= \(scoreThreshold)") }
        return settings
    }
}
