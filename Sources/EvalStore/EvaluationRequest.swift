public import EvalKit

/// What the user asked for, before defaults: every field nil means "the protocol's default".
public struct EvaluationRequest: Sendable, Equatable {
    public var evaluationProtocol: EvaluationProtocol
    public var iouThresholds: [Double]?
    public var maxDetections: [Int]?
    public var areaRanges: [AreaRange]?
    public var scoreThreshold: Double?
    public var classes: [String]?
    public var imagesWhere: String?
    public var isClassAgnostic: Bool

    public init(
        evaluationProtocol: EvaluationProtocol, iouThresholds: [Double]? = nil, maxDetections: [Int]? = nil,
        areaRanges: [AreaRange]? = nil, scoreThreshold: Double? = nil, classes: [String]? = nil,
        imagesWhere: String? = nil, isClassAgnostic: Bool = false
    ) {
        self.evaluationProtocol = evaluationProtocol
        self.iouThresholds = iouThresholds
        self.maxDetections = maxDetections
        self.areaRanges = areaRanges
        self.scoreThreshold = scoreThreshold
        self.classes = classes
        self.imagesWhere = imagesWhere
        self.isClassAgnostic = isClassAgnostic
    }
}

/// Parsing of the CLI's parameter syntax. Each failure is a message naming the option and the fix.
public enum ParameterSyntax {
    /// `--iou 0.5:0.95:0.05` (start:stop:step, inclusive, as numpy linspace so that the default range is
    /// bit-identical to pycocotools') or `--iou 0.5,0.75`.
    public static func iouThresholds(_ text: String) throws(ParameterError) -> [Double] {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            guard let start = Double(parts[0]), let stop = Double(parts[1]), let step = Double(parts[2]), step > 0,
                stop >= start
            else { throw ParameterError(option: "--iou", value: text, expected: "start:stop:step with step > 0") }
            let count = Int(((stop - start) / step).rounded()) + 1
            return try validated(CocoParameters.linspace(start, stop, count), text)
        }
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters()) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ParameterError(option: "--iou", value: text, expected: "0.5:0.95:0.05 or a list such as 0.5,0.75")
        }
        return try validated(values.compactMap { $0 }, text)
    }

    private static func validated(_ values: [Double], _ text: String) throws(ParameterError) -> [Double] {
        guard values.allSatisfy({ $0 > 0 && $0 <= 1 }), values.count <= 63 else {
            throw ParameterError(option: "--iou", value: text, expected: "at most 63 thresholds in (0, 1]")
        }
        return values
    }

    /// `--max-dets 1,10,100`.
    public static func maxDetections(_ text: String) throws(ParameterError) -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters()) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ParameterError(option: "--max-dets", value: text, expected: "positive integers such as 1,10,100")
        }
        return values.compactMap { $0 }
    }

    /// `--area-ranges all=0:1e10,small=0:1024,...`.
    public static func areaRanges(_ text: String) throws(ParameterError) -> [AreaRange] {
        var ranges: [AreaRange] = []
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            let bounds = pair.count == 2 ? pair[1].split(separator: ":") : []
            guard pair.count == 2, bounds.count == 2, let lower = Double(bounds[0]), let upper = Double(bounds[1]),
                lower <= upper, !pair[0].isEmpty
            else {
                throw ParameterError(
                    option: "--area-ranges", value: text, expected: "name=lower:upper pairs such as small=0:1024")
            }
            ranges.append(AreaRange(name: String(pair[0]), lower: lower, upper: upper))
        }
        guard !ranges.isEmpty else {
            throw ParameterError(option: "--area-ranges", value: text, expected: "name=lower:upper pairs")
        }
        return ranges
    }
}

/// A malformed or unsuitable evaluation parameter: the option, the value given and what was expected.
public struct ParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    public var option: String
    public var value: String
    public var expected: String

    public var description: String { "\(option) '\(value)': expected \(expected)" }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
