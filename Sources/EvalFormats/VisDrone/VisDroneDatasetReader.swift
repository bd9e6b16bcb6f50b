/// Reads a VisDrone-DET ground-truth folder: `annotations/<image>.txt` and `images/<image>.jpg`.
///
/// Each annotation line is `x,y,w,h,score,category,truncation,occlusion` (pixels, top-left corner). Category 0
/// rows are ignored regions; a `score` of 0 marks an "ignore" ground truth; category 11 ("others") is kept as a
/// box and left to the protocol, which never evaluates it.
public enum VisDroneDatasetReader {
    /// The fixed VisDrone-DET categories, ids 1...11. Category 0 (ignored regions) is not a category.
    public static let categories: [CategoryRecord] = [
        "pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor",
        "others",
    ].enumerated().map { CategoryRecord(id: Int64($0.offset + 1), name: $0.element) }

    /// Reads the dataset in the folder `path`.
    ///
    /// Images are the annotation files in sorted byte order (the toolkit's order); `ImageRecord.id` is the
    /// 1-based position. The file name is the `.jpg`/`.jpeg`/`.png` in `images/` with the same stem, or
    /// `<stem>.jpg` when only `sizes` has it. Width and height come from `sizes` (keyed by stem) when it lists
    /// the image, else from the image header. Blank lines, spaces, a trailing comma and CRLF are tolerated.
    ///
    /// Throws `.notFound` / `.notDirectory` for the path, and `.malformed` at file:line for a wrong field count,
    /// a field that is not a (finite) number, a category outside 0...11, or an image with neither a file nor a
    /// size.
    public static func read(path: String, sizes: [String: (width: Int, height: Int)]? = nil) throws(ReadError)
        -> GroundTruthDataset
    {
        let expected = "a VisDrone-DET folder holding annotations/ and images/"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        guard InputFiles.kind(of: path) == .directory else { throw .notFound(path: path) }
        let annotationFolder = InputFiles.join(path, "annotations")
        guard InputFiles.kind(of: annotationFolder) == .directory else {
            throw .malformed(
                SourceLocation(file: path), problem: "no annotations/ folder",
                fix: "give \(expected)")
        }
        let annotationFiles = try TextFields.textFiles(
            in: annotationFolder, expected: "the annotations/ folder of a VisDrone-DET dataset")
        let imageFolder = InputFiles.join(path, "images")
        let catalog = ImageCatalog(
            folder: imageFolder, files: try ImageCatalog.scan(imageFolder, subfolders: false), sizes: sizes)

        var images: [ImageRecord] = []
        var boxes: [GroundTruthBox] = []
        var regions: [IgnoredRegion] = []
        images.reserveCapacity(annotationFiles.count)
        for (index, file) in annotationFiles.enumerated() {
            images.append(
                try catalog.image(id: Int64(index + 1), key: fileStem(file.name), annotationFile: file.path))
            for line in try InputFiles.readLines(file.path) where !TextFields.isBlank(line.text) {
                let location = SourceLocation(file: file.path, line: line.number)
                let row = try Row(line.text, at: location)
                if row.category == 0 {
                    regions.append(
                        IgnoredRegion(
                            imageIndex: index, x: row.x, y: row.y, width: row.width, height: row.height,
                            location: location))
                } else {
                    boxes.append(
                        GroundTruthBox(
                            imageIndex: index, categoryID: row.category, x: row.x, y: row.y, width: row.width,
                            height: row.height, isIgnored: row.score == 0, truncation: row.truncation,
                            occlusion: row.occlusion, location: location))
                }
            }
        }
        return GroundTruthDataset(
            format: .visdrone, categories: categories, images: images, boxes: boxes, ignoredRegions: regions)
    }

    /// One parsed annotation line.
    private struct Row {
        var x, y, width, height, score: Double
        var category: Int64
        var truncation, occlusion: Int

        init(_ text: Substring, at location: SourceLocation) throws(ReadError) {
            let fields = TextFields.commaSeparated(text)
            guard fields.count == 8 else {
                throw .malformed(
                    location,
                    problem: "expected 8 comma-separated fields (x,y,w,h,score,category,truncation,occlusion), "
                        + "found \(fields.count)",
                    fix: "write one box per line in the VisDrone-DET annotation layout")
            }
            x = try TextFields.number(fields[0], "x (field 1)", at: location, finite: true)
            y = try TextFields.number(fields[1], "y (field 2)", at: location, finite: true)
            width = try TextFields.number(fields[2], "width (field 3)", at: location, finite: true)
            height = try TextFields.number(fields[3], "height (field 4)", at: location, finite: true)
            score = try TextFields.number(fields[4], "score (field 5)", at: location, finite: true)
            category = try TextFields.integer(fields[5], "category (field 6)", at: location)
            guard (0...11).contains(category) else {
                throw .malformed(
                    location, problem: "category \(category) is outside 0...11",
                    fix: "use the VisDrone-DET categories: 0 ignored region, 1 pedestrian ... 10 motor, 11 others")
            }
            truncation = Int(try TextFields.integer(fields[6], "truncation (field 7)", at: location))
            occlusion = Int(try TextFields.integer(fields[7], "occlusion (field 8)", at: location))
        }
    }
}
