/// Reads YOLO predictions as Ultralytics writes them with `save_txt=True, save_conf=True`: one `<image>.txt` per
/// image, lines `class cx cy w h conf`, box normalized by the image size.
public enum YoloResultsReader {
    /// Reads every `.txt` file of the folder `path` (or of its `labels/` subfolder when only that holds them, as
    /// in `runs/detect/predict/`), files in sorted name order and rows in file order.
    ///
    /// Image key `.name(stem)`, category `.id(class)`, encoding `.normalizedCenter` with a/b/c/d = cx, cy, w, h
    /// as written, score = conf. Empty files give no rows. Values are not checked here (the diagnosis step does
    /// that). Throws `.malformed` at file:line for a line without a confidence (5 fields), another field count,
    /// or a field that is not a number (the class must be a whole number); `.notFound` / `.notDirectory`.
    public static func read(path: String) throws(ReadError) -> DetectionBatch {
        let expected = "a YOLO predictions folder of <image>.txt files"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        guard InputFiles.kind(of: path) == .directory else { throw .notFound(path: path) }
        let files = try TextFields.textFiles(in: FormatDetection.resultsFolder(path), expected: expected)
        var batch = DetectionBatch(format: .yolo, boxEncoding: .normalizedCenter, files: files.map(\.path))
        batch.categoryNames = classNames(near: path)
        for (index, file) in files.enumerated() {
            let image = ImageKey.name(fileStem(file.name))
            for line in try InputFiles.readLines(file.path) where !TextFields.isBlank(line.text) {
                let location = SourceLocation(file: file.path, line: line.number)
                let fields = TextFields.whitespaceSeparated(line.text)
                if fields.count == 5 {
                    throw .malformed(
                        location, problem: "no confidence: 5 fields (class cx cy w h), evaluation needs 6 with conf",
                        fix: "save the predictions with save_txt=True and save_conf=True")
                }
                guard fields.count == 6 else {
                    throw .malformed(
                        location, problem: "expected 6 fields (class cx cy w h conf), found \(fields.count)",
                        fix: "give Ultralytics save_txt output saved with save_conf=True (boxes, not segments)")
                }
                let category = try TextFields.integer(fields[0], "class (field 1)", at: location)
                let cx = try TextFields.number(fields[1], "cx (field 2)", at: location)
                let cy = try TextFields.number(fields[2], "cy (field 3)", at: location)
                let w = try TextFields.number(fields[3], "w (field 4)", at: location)
                let h = try TextFields.number(fields[4], "h (field 5)", at: location)
                let score = try TextFields.number(fields[5], "conf (field 6)", at: location)
                batch.append(
                    image: image, category: .id(category), score: score, cx, cy, w, h,
                    file: Int32(index), line: Int32(line.number))
            }
        }
        return batch
    }

    /// The model's class names when a `data.yaml` / `data.yml` / `classes.txt` lies in the predictions folder or
    /// its parent (unreadable ones are ignored: the names only help the diagnosis).
    static func classNames(near path: String) -> [Int64: String] {
        for folder in [path, InputFiles.join(path, "..")] {
            for name in ["data.yaml", "data.yml"] where InputFiles.kind(of: InputFiles.join(folder, name)) == .file {
                if let names = try? YoloNames.fromYAML(path: InputFiles.join(folder, name)) {
                    return Dictionary(uniqueKeysWithValues: names.enumerated().map { (Int64($0.offset), $0.element) })
                }
            }
            let list = InputFiles.join(folder, "classes.txt")
            if InputFiles.kind(of: list) == .file, let names = try? YoloNames.fromList(path: list) {
                return Dictionary(uniqueKeysWithValues: names.enumerated().map { (Int64($0.offset), $0.element) })
            }
        }
        return [:]
    }
}
