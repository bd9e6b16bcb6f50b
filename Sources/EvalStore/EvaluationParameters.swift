public import EvalFormats
public import EvalKit

/// The parameters of one evaluation: the protocol's, with its defaults filled in and validated, and the filters
/// (classes, score threshold, images). Its canonical JSON is what the store keeps (`evaluations.params`, the
/// cache key with the run and protocol), so the parameters of a stored evaluation are those that found it.
public struct EvaluationParameters: Sendable, Equatable {
    public var evaluationProtocol: EvaluationProtocol
    public var iouThresholds: [Double]
    /// COCO and VisDrone only (empty for VOC); COCO's sorted, as pycocotools sorts them.
    public var maxDetections: [Int]
    /// COCO only (empty for others).
    public var areaRanges: [AreaRange]
    public var isClassAgnostic: Bool
    /// The categories evaluated (`--classes`), nil = all.
    public var categoryIDs: [Int64]?
    public var scoreThreshold: Double?
    /// An SQL condition over the dataset's images (`--images-where`).
    public var imagesWhere: String?

    /// The parameters `request` asks for on a dataset with `categories`. Throws `ParameterError` for values the
    /// protocol does not take, `EvaluationError.unknownClasses` for `--classes` the dataset lacks.
    public init(request: EvaluationRequest, categories: [CategoryRecord]) throws {
        evaluationProtocol = request.evaluationProtocol
        scoreThreshold = request.scoreThreshold
        imagesWhere = request.imagesWhere
        isClassAgnostic = request.isClassAgnostic
        switch request.evaluationProtocol {
        case .coco:
            iouThresholds = request.iouThresholds ?? CocoParameters.defaultIoUThresholds
            maxDetections = (request.maxDetections ?? CocoParameters.defaultMaxDetections).sorted()
            areaRanges = request.areaRanges ?? CocoParameters.defaultAreaRanges
        case .voc07, .voc12:
            let thresholds = request.iouThresholds ?? [0.5]
            guard thresholds.count == 1 else {
                throw ParameterError(
                    option: "--iou", value: thresholds.map { "\($0)" }.joined(separator: ","),
                    expected: "one threshold for \(request.evaluationProtocol.rawValue) (e.g. --iou 0.5)")
            }
            if request.maxDetections != nil {
                throw ParameterError(
                    option: "--max-dets", value: "", expected: "no --max-dets: VOC counts every detection")
            }
            iouThresholds = thresholds
            maxDetections = []
            areaRanges = []
        case .visdrone:
            iouThresholds = request.iouThresholds ?? VisDroneParameters.defaultIoUThresholds
            maxDetections = request.maxDetections ?? VisDroneParameters.defaultMaxDetections
            areaRanges = []
        }
        if request.areaRanges != nil && request.evaluationProtocol != .coco {
            throw ParameterError(
                option: "--area-ranges", value: "", expected: "--area-ranges with --protocol coco only")
        }
        if request.isClassAgnostic && request.evaluationProtocol != .coco {
            throw ParameterError(
                option: "--class-agnostic", value: "", expected: "--class-agnostic with --protocol coco only")
        }
        if let names = request.classes {
            var ids: [Int64] = []
            var unknown: [String] = []
            for name in names {
                if let match = categories.first(where: { $0.name == name })
                    ?? Int64(name).flatMap({ id in categories.first { $0.id == id } })
                {
                    ids.append(match.id)
                } else {
                    unknown.append(name)
                }
            }
            if !unknown.isEmpty { throw EvaluationError.unknownClasses(unknown, known: categories.map(\.name)) }
            categoryIDs = Array(Set(ids)).sorted()
        } else {
            categoryIDs = nil
        }
    }

    /// The evaluator's parameters.
    public var protocolParameters: ProtocolParameters {
        switch evaluationProtocol {
        case .coco:
            return .coco(
                CocoParameters(
                    iouThresholds: iouThresholds, recallThresholds: CocoParameters.defaultRecallThresholds,
                    maxDetections: maxDetections, areaRanges: areaRanges, useCategories: !isClassAgnostic))
        case .voc07, .voc12:
            return .voc(
                VocParameters(
                    metric: evaluationProtocol == .voc07 ? .elevenPoint : .allPoint, iouThreshold: iouThresholds[0]))
        case .visdrone:
            return .visdrone(VisDroneParameters(iouThresholds: iouThresholds, maxDetections: maxDetections))
        }
    }

    /// Canonical JSON of the parameters, keys sorted, numbers in shortest round-trip form.
    public var canonicalJSON: String {
        func number(_ value: Double) -> String { "\(value)" }
        let string = JSONText.string
        var fields: [String] = []
        if !areaRanges.isEmpty {
            fields.append(
                "\"area_ranges\":["
                    + areaRanges.map { "[\(string($0.name)),\(number($0.lower)),\(number($0.upper))]" }
                    .joined(separator: ",") + "]")
        }
        if isClassAgnostic { fields.append("\"class_agnostic\":true") }
        if let categoryIDs {
            fields.append("\"classes\":[" + categoryIDs.map(String.init).joined(separator: ",") + "]")
        }
        if let imagesWhere { fields.append("\"images_where\":" + string(imagesWhere)) }
        fields.append("\"iou\":[" + iouThresholds.map(number).joined(separator: ",") + "]")
        if !maxDetections.isEmpty {
            fields.append("\"max_dets\":[" + maxDetections.map(String.init).joined(separator: ",") + "]")
        }
        if let scoreThreshold { fields.append("\"score_threshold\":" + number(scoreThreshold)) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
