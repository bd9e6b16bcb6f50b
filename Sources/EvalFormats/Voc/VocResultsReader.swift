/// Reads PASCAL VOC detection results: one file per class, lines `<image> <score> x1 y1 x2 y2`.
public enum VocResultsReader {
    /// Reads every `.txt` file of the folder `path`, files in sorted name order and rows in file order.
    ///
    /// The class is taken from the file name: what follows `_det_<set>_` in devkit names
    /// (`comp4_det_test_car.txt` is `car`; `comp4_det_test_traffic_light.txt` is `traffic_light`, so a set name
    /// must not contain `_`; `x_det_car.txt`, without a set, is `car`), or the whole stem of any other name
    /// (`car.txt`). Image key `.name(image)`, category `.name(class)`, encoding `.xyxy`, a/b/c/d = x1, y1, x2, y2
    /// as written. Empty files give no rows; values are not checked here (the diagnosis step does that).
    ///
    /// Throws `.malformed` at file:line for a field count other than 6 or a field that is not a number;
    /// `.notFound` / `.notDirectory` for the path.
    public static func read(path: String) throws(ReadError) -> DetectionBatch {
        let expected = "a PASCAL VOC results folder of per-class files (comp4_det_test_<class>.txt)"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        let files = try TextFields.textFiles(in: path, expected: expected)
        var batch = DetectionBatch(format: .voc, boxEncoding: .xyxy, files: files.map(\.path))
        for (index, file) in files.enumerated() {
            let category = CategoryKey.name(className(ofFile: file.name))
            for line in try InputFiles.readLines(file.path) where !TextFields.isBlank(line.text) {
                let location = SourceLocation(file: file.path, line: line.number)
                let fields = TextFields.whitespaceSeparated(line.text)
                guard fields.count == 6 else {
                    throw .malformed(
                        location, problem: "expected 6 fields (image score x1 y1 x2 y2), found \(fields.count)",
                        fix: "write one detection per line as '<image> <score> <xmin> <ymin> <xmax> <ymax>'")
                }
                let score = try TextFields.number(fields[1], "score (field 2)", at: location)
                let x1 = try TextFields.number(fields[2], "x1 (field 3)", at: location)
                let y1 = try TextFields.number(fields[3], "y1 (field 4)", at: location)
                let x2 = try TextFields.number(fields[4], "x2 (field 5)", at: location)
                let y2 = try TextFields.number(fields[5], "y2 (field 6)", at: location)
                batch.append(
                    image: .name(String(fields[0])), category: category, score: score, x1, y1, x2, y2,
                    file: Int32(index), line: Int32(line.number))
            }
        }
        return batch
    }

    /// The class a result file holds: what follows `_det_<set>_`, or the stem.
    static func className(ofFile name: String) -> String {
        let stem = fileStem(name)
        guard let marker = stem.firstRange(of: "_det_") else { return stem }
        let rest = stem[marker.upperBound...]
        guard !rest.isEmpty else { return stem }
        guard let underscore = rest.firstIndex(of: "_"), rest.index(after: underscore) < rest.endIndex else {
            return String(rest)
        }
        return String(rest[rest.index(after: underscore)...])
    }
}
