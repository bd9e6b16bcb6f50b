import ArgumentParser
import EvalFormats
import EvalStore

/// The options that correct known input mistakes; shared by `import` and `check`.
struct CorrectionOptions: ParsableArguments {
    @Option(
        name: .customLong("box-format"),
        help: "Read boxes as xywh, xyxy or cxcywh-normalized instead of the format's convention.")
    var boxFormat: BoxEncoding?
    @Flag(help: "Box coordinates are fractions of the image size; scale them to pixels.")
    var normalized = false
    @Option(help: ArgumentHelp("Add N to every numeric category id (e.g. 1 for 0-based ids).", valueName: "n"))
    var categoryOffset: Int64 = 0
    @Option(help: "Match images by auto, id or file-name.") var matchImagesBy: ImageMatching = .automatic

    var diagnosisOptions: DiagnosisOptions {
        DiagnosisOptions(
            boxEncoding: boxFormat, isNormalized: normalized, categoryOffset: categoryOffset,
            imageMatching: matchImagesBy)
    }
}

/// `evaldb import RUN PATH --dataset NAME`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a run's detections against a stored dataset.",
        discussion: """
            Formats: COCO results JSON, a VisDrone result folder, YOLO predictions with confidences \
            (class cx cy w h conf), or VOC per-class result files; detected when --format is omitted.
            The detections are diagnosed first (coordinate conventions, class ids, image ids, values); fatal \
            problems stop the import and leave the database unchanged, warnings are printed (--strict makes \
            them fatal). Importing the same content under the same name again changes nothing.
            """
    )

    @Argument(help: ArgumentHelp("The run's name in the store (unique).", valueName: "run")) var runName: String
    @Argument(help: "The detections file or folder.") var path: String
    @Option(help: "The dataset the detections were made on.") var dataset: String
    @Option(help: "coco, visdrone, yolo or voc (detected when omitted).") var format: DetectionFormat?
    @Option(name: .customLong("param"), help: "A training parameter to record (repeatable).")
    var params: [KeyValue] = []
    @Option(name: .customLong("tag"), help: "A tag to record (repeatable).") var tags: [KeyValue] = []
    @Option(help: "A free-text note.") var note: String?
    @Flag(help: "Replace a run of the same name that has other content.") var replace = false
    @Flag(help: "Treat warnings as fatal.") var strict = false
    @Flag(help: "Print the time of each phase (read, diagnose, store) to stderr.") var timing = false
    @Flag(help: "Do not evaluate the run after importing it (by default: the dataset's protocol).")
    var noEval = false
    @OptionGroup(title: "Corrections") var corrections: CorrectionOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let params = try uniquePairs(self.params, option: "--param")
        let tags = try uniquePairs(self.tags, option: "--tag")
        let db = try database.open(.write)
        let result: RunImportResult
        do {
            result = try Importer(db).importRun(
                name: runName, path: path, datasetName: dataset, format: format, options: corrections.diagnosisOptions,
                params: params, tags: tags, note: note, replace: replace, strict: strict)
        } catch {
            Diagnostics.printRejection(error)
            throw error
        }
        Diagnostics.print(result.report)
        if timing {
            Console.err(
                result.timings.map { "\($0.phase) \(Int(($0.seconds * 1000).rounded())) ms" }.joined(separator: ", "))
        }
        switch result.outcome {
        case .unchanged:
            Console.out(
                "Run '\(runName)' is already stored with the same detections; nothing changed (--replace to re-import).\n"
            )
        case .imported, .replaced:
            let verb = result.outcome == .replaced ? "Replaced" : "Imported"
            let detected = result.formatWasDetected ? " (detected)" : ""
            Console.out(
                "\(verb) run '\(runName)' on dataset '\(dataset)': \(result.run.detectionCount) detections, format \(result.run.format.rawValue)\(detected).\n"
            )
        }
        if !noEval && result.outcome != .unchanged {
            let request = EvaluationRequest(
                evaluationProtocol: EvaluationProtocol(rawValue: result.dataset.defaultProtocol) ?? .coco)
            let outcome = try EvaluationService(db).evaluate(runName: runName, request: request)
            Console.out(
                "\n"
                    + EvaluationRendering.summaryText(
                        try EvaluationReport(outcome: outcome, database: db), markdown: false))
        }
    }
}

/// `evaldb check PATH [--dataset NAME]`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diagnose detections (with --dataset) or a ground-truth dataset without importing anything.",
        discussion: "Exits 1 when a problem would stop the import (warnings too with --strict), 0 otherwise."
    )

    @Argument(help: "The detections (or, without --dataset, the ground truth) to check.") var path: String
    @Option(help: "The stored dataset the detections belong to.") var dataset: String?
    @Option(help: "The input format (detected when omitted).") var format: String?
    @Option(help: ArgumentHelp("Ground truth only: a CSV of image,width,height.", valueName: "csv")) var sizes: String?
    @Flag(help: "Treat warnings as fatal.") var strict = false
    @OptionGroup(title: "Corrections") var corrections: CorrectionOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let format {
            let valid =
                dataset == nil ? DatasetFormat(rawValue: format) != nil : DetectionFormat(rawValue: format) != nil
            if !valid { throw ValidationError("unknown --format '\(format)'; use coco, visdrone, yolo or voc") }
        }
    }

    func run() throws {
        let report: DiagnosisReport
        let summary: String
        if let dataset {
            let db = try database.open(.readOnly)
            let stored = try DatasetStore(db).require(name: dataset)
            let (batch, _, detected) = try InputReading.readDetections(
                path: path, format: format.flatMap(DetectionFormat.init(rawValue:)))
            let (catalog, _) = try DatasetStore(db).catalog(of: stored)
            report = DetectionDiagnosis.diagnose(batch, against: catalog, options: corrections.diagnosisOptions).report
            summary =
                "\(path): \(batch.count) detections, format \(batch.format.rawValue)\(detected ? " (detected)" : ""), checked against dataset '\(dataset)'"
        } else {
            let (read, detected) = try InputReading.readDataset(
                path: path, format: format.flatMap(DatasetFormat.init(rawValue:)),
                options: InputReading.DatasetOptions(sizesPath: sizes))
            report = GroundTruthDiagnosis.diagnose(read)
            summary =
                "\(path): ground truth, format \(read.format.rawValue)\(detected ? " (detected)" : ""), \(read.images.count) images, \(read.boxes.count) boxes"
        }
        Diagnostics.print(report)
        let blocking = report.blocking(strict: strict)
        if blocking.isEmpty {
            Console.out("\(summary): no problem that stops an import.\n")
        } else {
            Console.out("\(summary): \(blocking.count) problem(s) would stop the import.\n")
            throw ExitCode.failure
        }
    }
}
