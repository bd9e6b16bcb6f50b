import ArgumentParser
import EvalFormats
import EvalStore

extension EvaluationProtocol: ExpressibleByArgument {}

/// Protocol parameters shared by `eval` (and later `diff`).
struct ProtocolOptions: ParsableArguments {
    @Option(help: "coco, voc07, voc12 or visdrone (default: the dataset's protocol).")
    var `protocol`: EvaluationProtocol?
    @Option(
        help: ArgumentHelp("IoU thresholds: start:stop:step (as numpy linspace) or a list.", valueName: "0.5:0.95:0.05")
    )
    var iou: String?
    @Option(
        name: .customLong("max-dets"),
        help: ArgumentHelp("Detections per image (coco, visdrone).", valueName: "1,10,100"))
    var maxDets: String?
    @Option(help: ArgumentHelp("Area ranges (coco).", valueName: "all=0:1e10,small=0:1024,..."))
    var areaRanges: String?
    @Option(help: "Drop detections scoring below this.") var scoreThreshold: Double?
    @Option(help: ArgumentHelp("Evaluate only these classes (names or ids).", valueName: "a,b")) var classes: String?
    @Option(
        help: ArgumentHelp(
            "Evaluate only the images matching this SQL condition over images' columns.", valueName: "sql"))
    var imagesWhere: String?
    @Flag(help: "Treat all classes as one (coco).") var classAgnostic = false

    /// The request for a dataset whose default protocol is `defaultProtocol`.
    func request(defaultProtocol: String) throws -> EvaluationRequest {
        EvaluationRequest(
            evaluationProtocol: self.protocol ?? EvaluationProtocol(rawValue: defaultProtocol) ?? .coco,
            iouThresholds: try iou.map { text throws(SettingsError) in try SettingsSyntax.iouThresholds(text) },
            maxDetections: try maxDets.map { text throws(SettingsError) in try SettingsSyntax.maxDetections(text) },
            areaRanges: try areaRanges.map { text throws(SettingsError) in try SettingsSyntax.areaRanges(text) },
            scoreThreshold: scoreThreshold,
            classes: classes.map { $0.split(separator: ",").map { String($0) } },
            imagesWhere: imagesWhere, isClassAgnostic: classAgnostic)
    }
}

/// `evaldb eval RUN...`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate runs under a protocol and store every result (summary, per class, PR curves, matches).",
        discussion: """
            The numbers are the reference implementations': pycocotools for coco, the VOC devkit for voc07 \
            (11-point) and voc12 (all-point), the official VisDrone2018-DET toolkit for visdrone. Values are \
            fractions in [0, 1]; undefined values (no ground truth) are null in JSON and "-" in tables.
            An identical evaluation already stored is reused (--force recomputes).
            """
    )

    @Argument(help: ArgumentHelp("The runs to evaluate.", valueName: "run")) var runs: [String]
    @OptionGroup(title: "Protocol") var protocolOptions: ProtocolOptions
    @Flag(help: "Recompute even when an identical evaluation is stored.") var force = false
    @Flag(help: "Also print the per-class table (table and markdown formats).") var perClass = false
    @Flag(help: "Print the time of each phase (load, compute, store) to stderr.") var timing = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.open(.write)
        var reports: [EvaluationReport] = []
        for name in runs {
            let run = try RunStore(db).require(name: name)
            guard let dataset = try DatasetStore(db).find(id: run.datasetID) else { continue }
            let request = try protocolOptions.request(defaultProtocol: dataset.defaultProtocol)
            let outcome = try EvaluationService(db).evaluate(runName: name, request: request, force: force)
            if timing {
                Console.err(
                    outcome.wasReused
                        ? "\(name): reused the stored evaluation"
                        : "\(name): "
                            + outcome.timings.map { "\($0.phase) \(Int(($0.seconds * 1000).rounded())) ms" }
                            .joined(separator: ", "))
            }
            reports.append(try EvaluationReport(outcome: outcome, database: db))
        }
        EvaluationRendering.print(reports, format: output.format, perClass: perClass)
    }
}
