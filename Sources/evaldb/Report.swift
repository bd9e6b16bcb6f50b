import ArgumentParser
import EvalFormats
import EvalKit
import EvalStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `evaldb report RUN [RUN2] [-o FILE]`: one self-contained HTML file with the run's numbers, curves, errors and
/// the images where it loses most (or, for two runs, where they differ most).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML report of a run, or of two runs compared.",
        discussion: """
            The report holds the summary metrics of the run's default evaluation (as `evaldb eval RUN` prints \
            them; for two runs the change, with bootstrap intervals when --ci is given, as `evaldb diff --ci`), \
            per-class AP bars, the stored precision-recall curves at IoU 0.5 and 0.75 per class and their mean, \
            F1 against the score threshold with the best threshold marked, the confusion matrix, the TIDE error \
            breakdown, and a gallery of the images where the run loses most (false positives + missed boxes at \
            IoU 0.5; for two runs, where their TP/FP/FN differ most), boxes coloured by outcome, with a score \
            slider. It needs no network: the charts are inline SVG drawn by a little JavaScript from one JSON \
            block (id evaldb-data) that holds every number.
            Images come from the dataset's folder (VisDrone and YOLO: images/; VOC: JPEGImages/) or --images DIR \
            (COCO: file_name relative to DIR); files up to 1.5 MB are embedded as they are, others are drawn as \
            a blank canvas of the image's size (evaldb cannot downscale). The file is written whole or not at all.
            """
    )

    @Argument(help: ArgumentHelp("The run, and optionally a second run to compare it with (A B).", valueName: "run"))
    var runs: [String]
    @Option(
        name: [.customShort("o"), .long],
        help: ArgumentHelp(
            "The HTML file to write (default: report-RUN.html or report-RUN-vs-RUN2.html here).", valueName: "file"))
    var output: String?
    @Option(
        help: ArgumentHelp(
            "The folder holding the dataset's images (file names relative to it); needed for COCO.", valueName: "dir"))
    var images: String?
    @Option(help: "How many images the gallery shows.") var maxImages = 12
    @Flag(help: "For two runs: add bootstrap intervals to every change (as `evaldb diff --ci`).") var ci = false
    @Option(help: "Bootstrap replicates (with --ci).") var resamples = 1000
    @Option(help: ArgumentHelp("The intervals' nominal coverage (with --ci), a fraction.", valueName: "0.95"))
    var level = ConfidenceLevel(0.95)
    @Option(help: "Bootstrap seed (with --ci); the same seed gives the same intervals.") var seed: UInt64 = 0
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...2).contains(runs.count) else { throw ValidationError("give one run, or two runs to compare (A B)") }
        guard maxImages >= 0 && maxImages <= 1000 else { throw ValidationError("--max-images must be 0 ... 1000") }
        guard resamples >= 10 && resamples <= 1_000_000 else {
            throw ValidationError("--resamples must be 10 ... 1000000")
        }
        if ci && runs.count != 2 { throw ValidationError("--ci compares two runs: give A and B") }
        if level.value != 0.95 && !ci { throw ValidationError("--level goes with --ci") }
    }

    func run() throws {
        let path = output ?? Self.defaultFileName(runs)
        // Refused before any work: a folder that cannot take the file, an images folder that is not there.
        try ReportFile.checkWritable(path)
        if let images, InputFiles.kind(of: images) != .directory {
            throw ReportError.imagesFolderMissing(images)
        }
        let store = try database.open(.write)
        let runA = try store.runs.require(name: runs[0])
        let dataset = try store.dataset(of: runA)
        if runs.count == 2 {
            let datasetB = try store.dataset(of: try store.runs.require(name: runs[1]))
            guard datasetB.sha256 == dataset.sha256 else {
                throw ReportError.differentDatasets(
                    a: runs[0], datasetA: dataset.name, b: runs[1], datasetB: datasetB.name)
            }
        }
        let request = try EvaluationService.defaultRequest(for: dataset)
        let analyses = try runs.map { try RunAnalysis(runName: $0, request: request, store: store) }
        var diff: DiffReport?
        var gallery: [Int]
        if analyses.count == 2 {
            let intervals =
                ci
                ? try BootstrapService(store).intervals(
                    runA: runs[0], runB: runs[1], request: request, resamples: resamples, seed: seed,
                    level: level.value)
                : nil
            diff = DiffReport(a: analyses[0].report, b: analyses[1].report, intervals: intervals)
            // The images `evaldb diff --images` lists first.
            let changes = try BootstrapService(store).imageChanges(
                runA: runs[0], runB: runs[1], request: request, category: nil, limit: max(maxImages, 1))
            let index = Dictionary(
                analyses[0].inputs.imageRowIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            gallery = changes.images.compactMap { index[$0.imageRowID] }
        } else {
            let loss = analyses[0].lossPerImage(boxOutcomes: analyses[0].boxOutcomes())
            gallery = loss.indices.filter { loss[$0] > 0 }.sorted {
                loss[$0] != loss[$1] ? loss[$0] > loss[$1] : $0 < $1
            }
        }
        gallery = Array(gallery.prefix(maxImages))
        let rowIDs = analyses[0].inputs.imageRowIDs
        let names = try store.datasets.fileNames(imageRowIDs: gallery.map { rowIDs[$0] })
        var fileNames: [Int: String] = [:]
        for image in gallery { fileNames[image] = names[rowIDs[image]] }
        let imageSource = ReportImages(dataset: dataset, imagesFolder: images)
        var notes: [String] = []
        if let reason = imageSource.unavailableReason { notes.append(reason) }
        let data = ReportData(
            runs: analyses, diff: diff, galleryImages: gallery, fileNames: fileNames, images: imageSource,
            notes: notes)
        let title = "evaldb report: " + runs.joined(separator: " vs ")
        try ReportFile.writeAtomically(ReportPage.html(title: title, data: data.json), to: path)
        Console.out(path + "\n")
    }

    /// `report-RUN.html` or `report-RUN-vs-RUN2.html`, with characters other than letters, digits, `.`, `_` and
    /// `-` in the names replaced by `_` (a run name may hold `/`).
    static func defaultFileName(_ runs: [String]) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let parts = runs.map { name in
            var cleaned = String(name.map { safe.contains($0) ? $0 : "_" })
            if cleaned.hasPrefix(".") { cleaned = "_" + cleaned.dropFirst() }
            return cleaned
        }
        return "report-" + parts.joined(separator: "-vs-") + ".html"
    }
}

/// Why no report is written.
enum ReportError: Error, CustomStringConvertible {
    case imagesFolderMissing(String)
    case cannotWrite(path: String, reason: String)
    case differentDatasets(a: String, datasetA: String, b: String, datasetB: String)

    var description: String {
        switch self {
        case .imagesFolderMissing(let path):
            return "--images \(path): no such folder; give the folder that holds the dataset's image files"
        case .cannotWrite(let path, let reason):
            return "cannot write the report \(path): \(reason); give another path with -o FILE"
        case .differentDatasets(let a, let datasetA, let b, let datasetB):
            return
                "'\(a)' was evaluated on dataset '\(datasetA)' and '\(b)' on '\(datasetB)', whose contents differ: a report compares runs of one dataset"
        }
    }
}

/// Writing the report whole or not at all: into a temporary file next to it, then renamed over it.
enum ReportFile {
    /// Throws `ReportError.cannotWrite` unless the folder of `path` exists and is writable, and `path` is not a
    /// folder.
    static func checkWritable(_ path: String) throws {
        let folder = ReportImages.parent(of: path)
        if InputFiles.kind(of: path) == .directory {
            throw ReportError.cannotWrite(path: path, reason: "it is a folder")
        }
        guard InputFiles.kind(of: folder) == .directory else {
            throw ReportError.cannotWrite(path: path, reason: "no folder \(folder)")
        }
        guard access(folder, W_OK) == 0 else {
            throw ReportError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes `text` to a temporary file in the folder of `path`, flushes it to disk and renames it to `path`. On
    /// failure the temporary file is removed and `path` is left as it was.
    static func writeAtomically(_ text: String, to path: String) throws {
        let folder = ReportImages.parent(of: path)
        var template = Array(InputFiles.join(folder, ".evaldb-report-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw ReportError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func fail(_ code: Int32) -> ReportError {
            close(descriptor)
            unlink(temporary)
            return ReportError.cannotWrite(path: path, reason: String(cString: strerror(code)))
        }
        var text = text
        let failure: Int32? = text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return written < 0 ? errno : EIO }
                offset += written
            }
            return nil
        }
        if let failure { throw fail(failure) }
        // Readable like any file the user writes (mkstemp makes it 0600).
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
        guard fsync(descriptor) == 0 else { throw fail(errno) }
        guard close(descriptor) == 0 else {
            let code = errno
            unlink(temporary)
            throw ReportError.cannotWrite(path: path, reason: String(cString: strerror(code)))
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw ReportError.cannotWrite(path: path, reason: String(cString: strerror(code)))
        }
    }
}
