/// Reads a VisDrone-DET results folder: one `<image>.txt` per image, lines `x,y,w,h,score,category,-1,-1`.
public enum VisDroneResultsReader {
    /// Reads every `.txt` file of the folder `path`, files in sorted name order and rows in file order (the
    /// toolkit's maxDets takes the first rows of each file, so the order is kept as written).
    ///
    /// Image key `.name(stem)`, category `.id(category)`, encoding `.xywh`. Empty files give no rows. Values are
    /// not checked here (NaN, negative sizes and unknown categories are the diagnosis step's job); only the
    /// layout is: throws `.malformed` at file:line for a field count other than 8 or a field that is not a
    /// number (the category must be a whole number), and `.notFound` / `.notDirectory` for the path.
    public static func read(path: String) throws(ReadError) -> DetectionBatch {
        let expected = "a VisDrone-DET results folder of <image>.txt files"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        let files = try TextFields.textFiles(in: path, expected: expected)
        var batch = DetectionBatch(format: .visdrone, boxEncoding: .xywh, files: files.map(\.path))
        for (index, file) in files.enumerated() {
            let image = ImageKey.name(fileStem(file.name))
            for line in try InputFiles.readLines(file.path) where !TextFields.isBlank(line.text) {
                let location = SourceLocation(file: file.path, line: line.number)
                let fields = TextFields.commaSeparated(line.text)
                guard fields.count == 8 else {
                    throw .malformed(
                        location,
                        problem:
                            "expected 8 comma-separated fields (x,y,w,h,score,category,-1,-1), found \(fields.count)",
                        fix: "write one detection per line in the VisDrone-DET result layout")
                }
                let x = try TextFields.number(fields[0], "x (field 1)", at: location)
                let y = try TextFields.number(fields[1], "y (field 2)", at: location)
                let width = try TextFields.number(fields[2], "width (field 3)", at: location)
                let height = try TextFields.number(fields[3], "height (field 4)", at: location)
                let score = try TextFields.number(fields[4], "score (field 5)", at: location)
                let category = try TextFields.integer(fields[5], "category (field 6)", at: location)
                _ = try TextFields.number(fields[6], "truncation (field 7)", at: location)
                _ = try TextFields.number(fields[7], "occlusion (field 8)", at: location)
                batch.append(
                    image: image, category: .id(category), score: score, x, y, width, height,
                    file: Int32(index), line: Int32(line.number))
            }
        }
        return batch
    }
}
