import EvalKit
import ArgumentParser
import EvalFormats
import EvalStore

extension BoxLayout: ExpressibleByArgument {}
extension CategoryMatching: ExpressibleByArgument {}
extension PredictionColumns: ExpressibleByArgument {}

/// `--box-format`: a layout, or `cxcywh-normalized` (YOLO's own: center, size, fractions).
struct BoxFormatArgument: ExpressibleByArgument {
    var layout: BoxLayout
    var impliesNormalized: Bool

    init?(argument: String) {
        if argument == BoxEncoding.normalizedCenter.rawValue {
            (layout, impliesNormalized) = (.cxcywh, true)
        } else if let layout = BoxLayout(rawValue: argument) {
            (self.layout, impliesNormalized) = (layout, false)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] {
        BoxLayout.allCases.map(\.rawValue) + [BoxEncoding.normalizedCenter.rawValue]
    }
}

/// `--scale`.
struct ScaleArgument: ExpressibleByArgument {
    var scale: BoxScale
    init?(argument: String) {
        guard let scale = BoxScale(argument: argument) else { return nil }
        self.scale = scale
    }
    static var allValueStrings: [String] { ["pixels", "normalized", "normalized-hw", "swapped", "letterbox-640"] }
}

/// `--normalized-by wh|hw`.
enum NormalizedBy: String, ExpressibleByArgument, CaseIterable {
    case wh, hw
}

/// `--box-offset DX,DY,DW,DH`.
struct BoxOffsetArgument: ExpressibleByArgument {
    var offset: BoxOffset
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard parts.count == 4, let dx = parts[0], let dy = parts[1], let dw = parts[2], let dh = parts[3],
            [dx, dy, dw, dh].allSatisfy(\.isFinite)
        else { return nil }
        offset = BoxOffset(dx: dx, dy: dy, dw: dw, dh: dh)
    }
}

/// The options that correct known input mistakes; shared by `import` and `check`. Every fix the diagnosis
/// prints is made of these, written so that it works pasted as printed.
struct CorrectionOptions: ParsableArguments {
    @Option(
        name: .customLong("box-format"),
        help: ArgumentHelp(
            "Read the four box numbers as xywh, xyxy, yxyx (TensorFlow), cxcywh or xyhw instead of the format's order (cxcywh-normalized: YOLO's own).",
            valueName: "layout"))
    var boxFormat: BoxFormatArgument?
    @Flag(help: "Box coordinates are fractions of the image's width and height; scale them to pixels.")
    var normalized = false
    @Option(
        name: .customLong("normalized-by"),
        help: "Box coordinates are fractions of the image's wh (width, height) or hw (swapped).")
    var normalizedBy: NormalizedBy?
    @Option(help: ArgumentHelp("Boxes are in the pixels of an S x S letterboxed network input.", valueName: "S"))
    var letterbox: Int?
    @Option(
        help: ArgumentHelp(
            "The coordinates' unit: pixels, normalized, normalized-hw, swapped (pixels scaled with width and height swapped) or letterbox-S.",
            valueName: "unit"))
    var scale: ScaleArgument?
    @Option(help: ArgumentHelp("YOLO predictions' column order: class,box,conf or class,conf,box.", valueName: "order"))
    var columns: PredictionColumns = .confidenceLast
    // Unconditional: `--category-offset -1` takes the -1 instead of reading it as an option.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Add N to every numeric category before matching (e.g. -1).", valueName: "n"))
    var categoryOffset: Int64 = 0
    @Option(
        help:
            "Match numeric categories by id, index (position among the dataset's categories sorted by id) or name (the names the run carries)."
    )
    var matchCategoriesBy: CategoryMatching = .id
    @Option(
        help: ArgumentHelp(
            "Map the model's categories to the dataset's: a CSV (model,dataset), JSON or the model's data.yaml / classes.txt; or auto (estimated from the boxes' overlaps).",
            valueName: "file|auto"))
    var categoryMap: String?
    @Option(
        help: ArgumentHelp(
            "A TensorFlow label map (label_map.pbtxt): the model's category ids are its items' ids, mapped to the dataset's categories by name (ground truth: TFRecord category names).",
            valueName: "pbtxt"))
    var labelMap: String?
    @Option(help: "Match images by auto, id, file-name, stem, index (position sorted by id) or file-index.")
    var matchImagesBy: ImageMatching = .automatic
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Add K to every numeric image reference before matching (e.g. -1).", valueName: "k"))
    var imageIDOffset: Int64 = 0
    @Flag(help: "Drop detections that repeat an earlier one exactly.") var dropDuplicates = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Pixels added to every box's x, y, width and height (e.g. -1,-1,0,0).", valueName: "dx,dy,dw,dh"))
    var boxOffset: BoxOffsetArgument?

    func validate() throws {
        var scales: [(String, BoxScale)] = []
        if normalized { scales.append(("--normalized", .normalized)) }
        if let normalizedBy {
            scales.append(("--normalized-by", normalizedBy == .wh ? .normalized : .normalizedHeightWidth))
        }
        if let letterbox {
            guard letterbox > 0 else {
                throw ValidationError("--letterbox takes the network input's side in pixels, e.g. 640")
            }
            scales.append(("--letterbox", .letterbox(letterbox)))
        }
        if let scale { scales.append(("--scale", scale.scale)) }
        if boxFormat?.impliesNormalized == true { scales.append(("--box-format cxcywh-normalized", .normalized)) }
        if Set(scales.map(\.1)).count > 1 {
            throw ValidationError(
                "\(scales.map(\.0).joined(separator: ", ")) name different units for the coordinates: give one")
        }
        if categoryMap != nil && (categoryOffset != 0 || matchCategoriesBy != .id) {
            throw ValidationError(
                "--category-map replaces --category-offset and --match-categories-by: give one of them")
        }
        if labelMap != nil && (categoryMap != nil || categoryOffset != 0 || matchCategoriesBy != .id) {
            throw ValidationError(
                "--label-map maps the categories by name: give it without --category-map, --category-offset and --match-categories-by"
            )
        }
    }

    /// The corrections, with the category map file read.
    func diagnosisOptions() throws -> DiagnosisOptions {
        var scaleChoice: BoxScale?
        if normalized || boxFormat?.impliesNormalized == true { scaleChoice = .normalized }
        if let normalizedBy { scaleChoice = normalizedBy == .wh ? .normalized : .normalizedHeightWidth }
        if let letterbox { scaleChoice = .letterbox(letterbox) }
        if let scale { scaleChoice = scale.scale }
        var options = DiagnosisOptions(
            boxLayout: boxFormat?.layout, boxScale: scaleChoice, columns: columns, categoryOffset: categoryOffset,
            categoryMatching: matchCategoriesBy, imageMatching: matchImagesBy, imageIDOffset: imageIDOffset,
            dropsDuplicates: dropDuplicates, boxOffset: boxOffset?.offset)
        if let labelMap {
            options.categoryMap = try LabelMap.read(path: labelMap).categoryMap
            options.categoryMapIsLabelMap = true
        }
        if let categoryMap {
            if categoryMap == "auto" {
                options.estimatesCategoryMap = true
            } else {
                options.categoryMap = try CategoryMapFile.read(path: categoryMap)
            }
        }
        return options
    }
}

/// `evaldb import RUN PATH --dataset NAME`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a run's detections against a stored dataset.",
        discussion: """
            Formats: COCO results JSON, a VisDrone result folder, YOLO predictions with confidences \
            (class cx cy w h conf), VOC per-class result files, or TFRecord files with the TensorFlow Object \
            Detection API's image/detection/* keys; detected when --format is omitted.
            The detections are diagnosed first (coordinate conventions, class ids, image ids, values); fatal \
            problems stop the import and leave the database unchanged, warnings are printed (--strict makes \
            them fatal). Importing the same content under the same name again changes nothing.
            """
    )

    @Argument(help: ArgumentHelp("The run's name in the store (unique).", valueName: "run")) var runName: String
    @Argument(help: "The detections file or folder.") var path: String
    @Option(help: "The dataset the detections were made on.") var dataset: String
    @Option(
        help:
            "The input format here (elsewhere --format chooses the output): coco, visdrone, yolo, voc or tfrecord; detected when omitted."
    )
    var format: DetectionFormat?
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
        let store = try database.open(.write)
        let result: RunImportResult
        let progress = ProgressLine()
        do {
            defer { progress.finish() }
            result = try Importer(store).importRun(
                name: runName, path: path, datasetName: dataset, format: format,
                options: try corrections.diagnosisOptions(),
                params: params, tags: tags, note: note, replace: replace, strict: strict, progress: progress.handler)
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
        case .unchanged where result.metadataChanges.isEmpty:
            Console.out(
                "Run '\(runName)' is already stored with the same detections; nothing changed (--replace to re-import).\n"
            )
        case .unchanged:
            Console.out(
                "Run '\(runName)' is already stored with the same detections; updated its \(result.metadataChanges.joined(separator: ", ")).\n"
            )
        case .imported, .replaced:
            let verb = result.outcome == .replaced ? "Replaced" : "Imported"
            let detected = result.formatWasDetected ? " (detected)" : ""
            Console.out(
                "\(verb) run '\(runName)' on dataset '\(dataset)': \(result.run.detectionCount) detections, format \(result.run.format.rawValue)\(detected).\n"
            )
        }
        // The default evaluation runs in its own transaction after the import's: an import interrupted between
        // the two (killed, disk full, closed output) is completed here the next time the same content is imported.
        if !noEval {
            let request = try EvaluationService.defaultRequest(for: result.dataset)
            let outcome = try EvaluationService(store).evaluate(runName: runName, request: request)
            if result.outcome == .unchanged && !outcome.wasReused {
                Console.out("Its evaluation with the dataset's protocol was missing; evaluated it now.\n")
            }
            if result.outcome != .unchanged || !outcome.wasReused {
                Console.out(
                    "\n"
                        + EvaluationRendering.summaryText(
                            try EvaluationReport(outcome: outcome, store: store), markdown: false))
            }
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
    @Option(
        help:
            "The input format (detected when omitted); with --explain also the output format (table, json, jsonl, csv, tsv, markdown)."
    ) var format: String?
    @Option(help: ArgumentHelp("Ground truth only: a CSV of image,width,height.", valueName: "csv")) var sizes: String?
    @Flag(help: "Treat warnings as fatal.") var strict = false
    @Flag(
        help:
            "Detections: also print every reading of the export that was tried (box layout and unit, image and class numbering) with its evidence."
    ) var explain = false
    @OptionGroup(title: "Corrections") var corrections: CorrectionOptions
    @OptionGroup var database: DatabaseOptions

    /// `--format` as the output format of `--explain`, when it names one.
    var outputFormat: OutputFormat? { explain ? format.flatMap(OutputFormat.init(rawValue:)) : nil }

    /// `--format` as the input format, when it names one.
    var inputFormat: String? { outputFormat == nil ? format : nil }

    func validate() throws {
        if explain && dataset == nil { throw ValidationError("--explain goes with --dataset (it explains detections)") }
        if let format = inputFormat {
            let valid =
                dataset == nil ? DatasetFormat(rawValue: format) != nil : DetectionFormat(rawValue: format) != nil
            if !valid {
                throw ValidationError(
                    "unknown --format '\(format)'; use coco, visdrone, yolo, voc or tfrecord\(explain ? " (or an output format: table, json, jsonl, csv, tsv, markdown)" : "")"
                )
            }
        }
    }

    func run() throws {
        let report: DiagnosisReport
        let summary: String
        if let dataset {
            let store = try database.open(.readOnly)
            let stored = try store.datasets.require(name: dataset)
            let (batch, _, detected) = try InputReading.readDetections(
                path: path, format: inputFormat.flatMap(DetectionFormat.init(rawValue:)), hashing: false)
            let (catalog, _) = try store.datasets.catalog(of: stored)
            let explanation = DetectionDiagnosis.diagnoseExplained(
                batch, against: catalog, options: try corrections.diagnosisOptions())
            report = explanation.report
            if explain {
                ExplainRendering.print(explanation, batch: batch, catalog: catalog, format: outputFormat ?? .table)
            }
            summary =
                "\(path): \(batch.count) detections, format \(batch.format.rawValue)\(detected ? " (detected)" : ""), checked against dataset '\(dataset)'"
        } else {
            let (read, detected) = try InputReading.readDataset(
                path: path, format: inputFormat.flatMap(DatasetFormat.init(rawValue:)),
                options: InputReading.DatasetOptions(
                    sizesPath: sizes, labelsInPixels: corrections.scale?.scale == .pixels,
                    labelMapPath: corrections.labelMap))
            report = GroundTruthDiagnosis.diagnose(read)
            summary =
                "\(path): ground truth, format \(read.format.rawValue)\(detected ? " (detected)" : ""), \(read.images.count) images, \(read.boxes.count) boxes"
        }
        Diagnostics.print(report)
        let blocking = report.blocking(strict: strict)
        // With --explain, stdout holds the readings (JSON when asked): the verdict goes with the diagnostics.
        let say: (String) -> Void = explain ? { Console.err($0) } : { Console.out($0 + "\n") }
        if blocking.isEmpty {
            say("\(summary): no problem that stops an import.")
        } else {
            say("\(summary): \(blocking.count) problem(s) would stop the import.")
            throw ExitCode.failure
        }
    }
}
