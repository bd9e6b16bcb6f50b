import ArgumentParser
import EvalFormats
import EvalStore

extension DatasetFormat: ExpressibleByArgument {}
extension DetectionFormat: ExpressibleByArgument {}
extension BoxEncoding: ExpressibleByArgument {}
extension ImageMatching: ExpressibleByArgument {}

/// `evaldb dataset ...`: ground-truth datasets.
struct DatasetGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Import or delete ground-truth datasets.",
        subcommands: [DatasetImport.self, DatasetDelete.self]
    )
}

/// `evaldb dataset import NAME PATH`.
struct DatasetImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a ground-truth dataset (COCO JSON, VisDrone-DET, YOLO or PASCAL VOC folder, TFRecord files).",
        discussion: """
            The format is detected when --format is omitted: a .json file is COCO; a folder with annotations/ \
            is VisDrone; with labels/ or data.yaml, YOLO; with Annotations/ or .xml files, VOC; a file with \
            TFRecord framing (GZIP-compressed too), a folder of such shards or a glob ('data-?????-of-?????'), \
            TFRecord (tf.train.Example with the TensorFlow Object Detection API's keys).
            The ground truth is checked first; fatal problems stop the import and leave the database unchanged.
            Importing the same content under the same name again changes nothing.
            """
    )

    @Argument(help: "The dataset's name in the store.") var name: String
    @Argument(help: "The annotation file or folder.") var path: String
    @Option(
        help:
            "The input format here (elsewhere --format chooses the output): coco, visdrone, yolo, voc or tfrecord; detected when omitted."
    )
    var format: DatasetFormat?
    @Option(help: ArgumentHelp("A CSV of image,width,height to use instead of image headers.", valueName: "csv"))
    var sizes: String?
    @Option(
        help: ArgumentHelp("YOLO class names, comma-separated (instead of data.yaml/classes.txt).", valueName: "a,b,c"))
    var names: String?
    @Option(
        help: ArgumentHelp(
            "YOLO only: pixels when the labels are written in pixels instead of fractions of the image.",
            valueName: "pixels"))
    var scale: ScaleArgument?
    @Option(
        help: ArgumentHelp(
            "TFRecord only: the label map (label_map.pbtxt) giving the categories' ids and names.", valueName: "pbtxt"))
    var labelMap: String?
    @Flag(help: "Replace a dataset of the same name that has other content (only while it has no runs).")
    var replace = false
    @Flag(help: "Treat warnings as fatal.") var strict = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if let scale, scale.scale != .pixels {
            throw ValidationError("--scale for a dataset can only be pixels (YOLO labels written in pixels)")
        }
    }

    func run() throws {
        if scale != nil, try (format ?? FormatDetection.datasetFormat(at: path)) != .yolo {
            throw ValidationError("--scale pixels applies to YOLO labels only: other formats are read in pixels")
        }
        if labelMap != nil, try (format ?? FormatDetection.datasetFormat(at: path)) != .tfrecord {
            throw ValidationError(
                "--label-map names the categories of TFRecord ground truth; other formats carry their own names")
        }
        let store = try database.open(.create)
        let options = InputReading.DatasetOptions(
            sizesPath: sizes, names: names.map { $0.split(separator: ",").map { String($0) } },
            labelsInPixels: scale != nil, labelMapPath: labelMap)
        let result: DatasetImportResult
        do {
            result = try Importer(store).importDataset(
                name: name, path: path, format: format, options: options, replace: replace, strict: strict)
        } catch {
            Diagnostics.printRejection(error)
            throw error
        }
        Diagnostics.print(result.report)
        let detected = result.formatWasDetected ? " (detected)" : ""
        switch result.outcome {
        case .unchanged:
            Console.out("Dataset '\(name)' is already stored with the same content; nothing changed.\n")
        case .imported, .replaced:
            let verb = result.outcome == .replaced ? "Replaced" : "Imported"
            var counts = "\(result.images) images, \(result.boxes) boxes, \(result.categories) categories"
            if result.ignoredRegions > 0 { counts += ", \(result.ignoredRegions) ignored regions" }
            Console.out(
                "\(verb) dataset '\(name)' from \(path): format \(result.dataset.format.rawValue)\(detected), \(counts).\n"
            )
        }
    }
}

/// `evaldb dataset delete NAME`.
struct DatasetDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a dataset, with its runs when --with-runs is given.")

    @Argument(help: "The dataset's name.") var name: String
    @Flag(help: "Also delete the dataset's runs.") var withRuns = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.write)
        let datasets = store.datasets
        let dataset = try datasets.require(name: name)
        let runs = try datasets.runCount(datasetID: dataset.id)
        if runs > 0 && !withRuns {
            throw StoreError.datasetDeletionNeedsRuns(name: name, runs: runs)
        }
        try store.write { try datasets.delete(id: dataset.id) }
        Console.out("Deleted dataset '\(name)'\(runs > 0 ? " and its \(runs) run(s)" : "").\n")
    }
}
