import ArgumentParser
import EvalKit
import EvalStore

extension EvaluationProtocol: ExpressibleByArgument {}

/// Protocol parameters shared by `eval` and `diff`. Malformed values are usage errors (exit 64), reported by the
/// parser before the store is opened.
struct ProtocolOptions: ParsableArguments {
    @Option(help: "coco, voc07, voc12 or visdrone (default: the dataset's protocol).")
    var `protocol`: EvaluationProtocol?
    @Option(
        help: ArgumentHelp(
            "IoU thresholds: start:stop:step (as numpy linspace) or a list.", valueName: "0.5:0.95:0.05"),
        transform: IoUThresholdsArgument.parse)
    var iou: IoUThresholdsArgument?
    @Option(
        name: .customLong("max-dets"),
        help: ArgumentHelp("Detections per image (coco, visdrone).", valueName: "1,10,100"),
        transform: MaxDetectionsArgument.parse)
    var maxDets: MaxDetectionsArgument?
    @Option(
        help: ArgumentHelp("Area ranges (coco).", valueName: "all=0:1e10,small=0:1024,..."),
        transform: AreaRangesArgument.parse)
    var areaRanges: AreaRangesArgument?
    @Option(help: "Drop detections scoring below this.") var scoreThreshold: Double?
    @Option(help: ArgumentHelp("Evaluate only these classes (names or ids).", valueName: "a,b")) var classes: String?
    @Option(
        help: ArgumentHelp(
            "Evaluate only the images matching this SQL condition over images' columns.", valueName: "sql"))
    var imagesWhere: String?
    @Flag(help: "Treat all classes as one (coco).") var classAgnostic = false

    /// The request for `dataset` (its default protocol unless --protocol). Throws `StoreError.unknownProtocol` when
    /// the dataset names a protocol this evaldb does not know and none is given.
    func request(for dataset: StoredDataset) throws -> EvaluationRequest {
        guard let evaluationProtocol = self.protocol ?? EvaluationProtocol(rawValue: dataset.defaultProtocol) else {
            throw StoreError.unknownProtocol(dataset.defaultProtocol, dataset: dataset.name)
        }
        return EvaluationRequest(
            evaluationProtocol: evaluationProtocol,
            iouThresholds: iou?.values, maxDetections: maxDets?.values, areaRanges: areaRanges?.values,
            scoreThreshold: scoreThreshold, classes: classes.map { $0.split(separator: ",").map { String($0) } },
            imagesWhere: imagesWhere, isClassAgnostic: classAgnostic)
    }
}

/// Why an option value was refused: what was expected (the parser names the option and the value).
struct OptionValueError: Error, CustomStringConvertible {
    var description: String

    init(_ error: ParameterError) { description = "expected \(error.expected)" }
}

/// `--iou 0.5:0.95:0.05` or `--iou 0.5,0.75`.
struct IoUThresholdsArgument: ExpressibleByArgument {
    var values: [Double]

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    private init(values: [Double]) { self.values = values }

    static func parse(_ text: String) throws -> Self {
        do { return Self(values: try ParameterSyntax.iouThresholds(text)) } catch { throw OptionValueError(error) }
    }
}

/// `--max-dets 1,10,100`.
struct MaxDetectionsArgument: ExpressibleByArgument {
    var values: [Int]

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    private init(values: [Int]) { self.values = values }

    static func parse(_ text: String) throws -> Self {
        do { return Self(values: try ParameterSyntax.maxDetections(text)) } catch { throw OptionValueError(error) }
    }
}

/// `--area-ranges all=0:1e10,small=0:1024,...`.
struct AreaRangesArgument: ExpressibleByArgument {
    var values: [AreaRange]

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    private init(values: [AreaRange]) { self.values = values }

    static func parse(_ text: String) throws -> Self {
        do { return Self(values: try ParameterSyntax.areaRanges(text)) } catch { throw OptionValueError(error) }
    }
}
