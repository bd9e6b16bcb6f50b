/// Tells which format a dataset or detection path holds, from its layout and a look at a few lines.
///
/// Detection only decides which reader to call: the reader still validates everything. When the layout
/// does not decide, the error names what was looked for so the user can pass `--format` instead.
public enum FormatDetection {
    /// The ground-truth format at `path`.
    ///
    /// A `.json` file is COCO; another file with TFRecord framing (a first record header whose length CRC matches,
    /// or a GZIP / ZLIB stream that starts with one) is TFRecord, as is a glob matching only such files. A folder
    /// with `annotations/` holding `.txt` files is VisDrone; with `labels/` or `data.yaml` it is YOLO; with
    /// `Annotations/` or `.xml` files it is VOC; holding TFRecord files (shards), TFRecord. Folder names are compared exactly
    /// (`annotations` is VisDrone, `Annotations` is VOC), whatever the file system's case rules.
    /// Throws `.notFound`, or `.unknownFormat` with the reason.
    public static func datasetFormat(at path: String) throws(ReadError) -> DatasetFormat {
        switch InputFiles.kind(of: path) {
        case .missing:
            if isTFRecordPattern(path) { return .tfrecord }
            throw .notFound(path: path)
        case .file:
            if hasExtension(path, "json") { return .coco }
            if TFRecordFile.looksLikeTFRecord(path: path) { return .tfrecord }
            throw .unknownFormat(
                path: path,
                reason: "a file that is neither .json nor a TFRecord file; VisDrone, YOLO and VOC datasets are folders")
        case .directory:
            break
        }
        let entries = try InputFiles.list(path)
        let folders = Set(entries.filter { InputFiles.kind(of: InputFiles.join(path, $0)) == .directory })
        if folders.contains("annotations") {
            let inside = try InputFiles.list(InputFiles.join(path, "annotations"))
            if inside.contains(where: { hasExtension($0, "txt") }) { return .visdrone }
            if inside.contains(where: { hasExtension($0, "json") }) {
                throw .unknownFormat(
                    path: path, reason: "annotations/ holds JSON files: give the COCO JSON file inside it")
            }
        }
        if folders.contains("labels") || entries.contains("data.yaml") || entries.contains("data.yml") {
            return .yolo
        }
        if folders.contains("Annotations") || entries.contains(where: { hasExtension($0, "xml") }) {
            return .voc
        }
        if holdsTFRecords(path, entries) { return .tfrecord }
        throw .unknownFormat(
            path: path,
            reason:
                "no annotations/*.txt (VisDrone), labels/ or data.yaml (YOLO), Annotations/ or *.xml (VOC), nor TFRecord files"
        )
    }

    /// Whether a missing path is a glob pattern whose matches are all TFRecord files (`data-?????-of-?????`).
    static func isTFRecordPattern(_ path: String) -> Bool {
        guard TFRecordInput.isPattern(path) else { return false }
        let matches = TFRecordInput.expand(path).filter { InputFiles.kind(of: $0) == .file }
        return !matches.isEmpty && matches.allSatisfy { TFRecordFile.looksLikeTFRecord(path: $0) }
    }

    /// Whether the folder's files include TFRecord files (shards, perhaps beside a label map).
    static func holdsTFRecords(_ path: String, _ entries: [String]) -> Bool {
        entries.contains {
            let file = InputFiles.join(path, $0)
            return InputFiles.kind(of: file) == .file && !hasExtension($0, "txt") && !hasExtension($0, "pbtxt")
                && TFRecordFile.looksLikeTFRecord(path: file)
        }
    }

    /// The detection format at `path`.
    ///
    /// A `.json` file is COCO; a TFRecord file, a glob of them or a folder of them (without `.txt` files) is
    /// TFRecord. In a folder of `.txt` files (or its `labels/` subfolder, as Ultralytics saves
    /// them): names containing `_det_`, or a first column that is not a number, mean VOC per-class files;
    /// 8 comma-separated numbers mean VisDrone; 6 whitespace-separated numbers mean YOLO
    /// (`class cx cy w h conf`) when the class is a whole number and the rest lie in [0, 1], or when the second
    /// is above 1 and the last in [0, 1] (YOLO in pixels); else VOC with numeric image names
    /// (`<image> <score> x1 y1 x2 y2`, the score second). The first 20 lines vote between YOLO and VOC, the
    /// majority wins (a tie is VOC). Throws `.notFound` or `.unknownFormat`.
    public static func detectionFormat(at path: String) throws(ReadError) -> DetectionFormat {
        switch InputFiles.kind(of: path) {
        case .missing:
            if isTFRecordPattern(path) { return .tfrecord }
            throw .notFound(path: path)
        case .file:
            if hasExtension(path, "json") { return .coco }
            if TFRecordFile.looksLikeTFRecord(path: path) { return .tfrecord }
            throw .unknownFormat(
                path: path,
                reason: "a file that is neither .json nor a TFRecord file; VisDrone, YOLO and VOC results are folders")
        case .directory:
            break
        }
        let folder = try resultsFolder(path)
        let names = try InputFiles.list(folder).filter { hasExtension($0, "txt") }
        if names.isEmpty {
            let entries = try InputFiles.list(path)
            if holdsTFRecords(path, entries) { return .tfrecord }
        }
        if names.isEmpty {
            throw .unknownFormat(path: path, reason: "no .txt result files and no .json file")
        }
        if names.contains(where: { $0.contains("_det_") }) { return .voc }
        // Space-separated lines vote between YOLO and VOC: one line with a broken value must not turn a folder of
        // YOLO predictions into VOC results (the diagnosis of the import then names that line).
        var sampled = 0
        var commaSeparated = 0
        var votes: [DetectionFormat: Int] = [:]
        for name in names where sampled < 20 {
            for line in try InputFiles.readLines(InputFiles.join(folder, name)) where !TextFields.isBlank(line.text) {
                sampled += 1
                guard let format = detectionFormat(ofLine: line.text) else {
                    throw .unknownFormat(
                        path: path, reason: "line \(line.number) of \(name) is neither VisDrone, YOLO nor VOC results")
                }
                if format == .visdrone { commaSeparated += 1 }
                if commaSeparated > 0 && commaSeparated < sampled {
                    throw .unknownFormat(path: path, reason: "\(name) does not have the layout of the other files")
                }
                votes[format, default: 0] += 1
                if sampled >= 20 { break }
            }
        }
        if sampled == 0 { throw .unknownFormat(path: path, reason: "every result file is empty") }
        if commaSeparated > 0 { return .visdrone }
        return votes[.yolo, default: 0] > votes[.voc, default: 0] ? .yolo : .voc
    }

    /// The folder that holds per-image result files: `path` itself, or its `labels/` subfolder when only that
    /// holds them (Ultralytics `save_txt` output).
    static func resultsFolder(_ path: String) throws(ReadError) -> String {
        let entries = try InputFiles.list(path)
        if !entries.contains(where: { hasExtension($0, "txt") }) && entries.contains("labels") {
            let labels = InputFiles.join(path, "labels")
            if InputFiles.kind(of: labels) == .directory { return labels }
        }
        return path
    }

    /// The format one non-blank result line suggests, or nil when none fits.
    private static func detectionFormat(ofLine line: Substring) -> DetectionFormat? {
        if line.contains(",") {
            let fields = TextFields.commaSeparated(line)
            return fields.count == 8 && fields.allSatisfy({ Double($0) != nil }) ? .visdrone : nil
        }
        let fields = TextFields.whitespaceSeparated(line)
        guard fields.count == 6 else { return nil }
        let numbers = fields.dropFirst().compactMap { Double($0) }
        guard numbers.count == 5 else { return nil }
        guard let first = Double(fields[0]) else { return .voc }
        let isWholeClass = first >= 0 && first == first.rounded()
        guard isWholeClass else { return .voc }
        if numbers.allSatisfy({ $0 >= 0 && $0 <= 1 }) { return .yolo }
        // A VOC line with a numeric image name has its score second; YOLO predictions written in pixels have a
        // coordinate there and the confidence last.
        let second = numbers[0]
        let last = numbers[4]
        if second >= 0 && second <= 1 { return .voc }
        return last >= 0 && last <= 1 ? .yolo : .voc
    }

    /// Whether `name` ends with `.ext`, ignoring case.
    static func hasExtension(_ name: String, _ ext: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return name[name.index(after: dot)...].lowercased() == ext
    }
}

/// Splitting text rows into fields and reading numbers from them, shared by the text readers. Every failure is a
/// `.malformed` error at the row's file:line.
enum TextFields {
    /// Whether the line holds only spaces and tabs.
    static func isBlank(_ line: Substring) -> Bool {
        line.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// The line without leading and trailing spaces, tabs and carriage returns.
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return text[text.endIndex...] }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        return Substring(utf8[first...last])
    }

    /// Comma-separated fields, each trimmed; one trailing empty field (a trailing comma) is dropped.
    static func commaSeparated(_ line: Substring) -> [Substring] {
        var fields = line.utf8.split(separator: 0x2C, omittingEmptySubsequences: false).map {
            trimmed(Substring($0))
        }
        if fields.count > 1 && fields[fields.count - 1].isEmpty { fields.removeLast() }
        return fields
    }

    /// Fields separated by runs of spaces and tabs.
    static func whitespaceSeparated(_ line: Substring) -> [Substring] {
        line.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }).map { Substring($0) }
    }

    /// The field as a Double. With `finite`, NaN and infinities are refused too.
    static func number(
        _ field: Substring, _ name: String, at location: SourceLocation, finite: Bool = false
    ) throws(ReadError) -> Double {
        guard let value = Double(field) else {
            throw .malformed(
                location, problem: "\(name) is '\(field)', not a number", fix: "write plain decimal numbers")
        }
        if finite && !value.isFinite {
            throw .malformed(
                location, problem: "\(name) is '\(field)', not a finite number", fix: "write plain decimal numbers")
        }
        return value
    }

    /// The field as a whole number (`3`, or `3.0` as some exporters write it).
    static func integer(_ field: Substring, _ name: String, at location: SourceLocation) throws(ReadError) -> Int64 {
        if let value = Int64(field) { return value }
        if let value = Double(field), value == value.rounded(), abs(value) < 9.0e15 { return Int64(value) }
        throw .malformed(location, problem: "\(name) is '\(field)', not a whole number", fix: "write a whole number")
    }

    /// The `.txt` files of a folder that must hold some, as (name, path) pairs in sorted name order.
    /// `expected` describes the folder for the messages.
    static func textFiles(in folder: String, expected: String) throws(ReadError) -> [(name: String, path: String)] {
        let names = try InputFiles.list(folder, expected: expected).filter { FormatDetection.hasExtension($0, "txt") }
        guard !names.isEmpty else {
            throw .malformed(
                SourceLocation(file: folder), problem: "no .txt files in the folder", fix: "give \(expected)")
        }
        return names.map { ($0, InputFiles.join(folder, $0)) }
    }
}
