/// Reads COCO instances JSON (the ground truth): a top-level object with `images`, `annotations` and
/// `categories`.
///
/// What is kept: images (`id`, and `file_name`, `width`, `height` when present), annotations (`id`,
/// `image_id`, `category_id`, `bbox` as `[x, y, width, height]`, `area` (`width * height` when absent),
/// `iscrowd` (0 when absent)) and categories (`id`, `name`, `supercategory`). Everything else, including
/// `segmentation`, is skipped without being decoded. File order is kept for all three lists and category ids
/// stay as written (COCO's are sparse).
///
/// Checked: the shape of the file, value types (ids must be whole numbers; `7.0` is accepted), required
/// fields, unique image and category ids, and that every annotation refers to a listed image and category.
/// Values themselves (negative sizes, boxes outside the image) are left to the input diagnosis.
public enum CocoDatasetReader {
    /// Reads the file at `path`. Throws a `ReadError` naming the file, line, column and the fix.
    public static func read(path: String) throws(ReadError) -> GroundTruthDataset {
        let bytes = try InputFiles.readBytes(path, expected: "a COCO annotation file (.json)")
        return try read(bytes: bytes, path: path)
    }

    /// Reads a COCO instances document already in memory; `path` is used in messages and locations.
    public static func read(bytes: [UInt8], path: String) throws(ReadError) -> GroundTruthDataset {
        try JSONReader.read(bytes, path: path) { (reader) throws(ReadError) -> GroundTruthDataset in
            var parser = CocoDatasetParser()
            try parser.readDocument(&reader)
            return try parser.dataset(reader)
        }
    }
}

/// The state of one `CocoDatasetReader.read`: the three lists as read, before references are resolved.
private struct CocoDatasetParser {
    /// An annotation as read, with where its references were written for messages.
    struct PendingAnnotation {
        var id: Int64
        var imageID: Int64
        var categoryID: Int64
        var box: (x: Double, y: Double, width: Double, height: Double)
        var area: Double?
        var isCrowd: Bool
        var line: Int
        var imageIDOffset: Int
        var categoryIDOffset: Int
    }

    var images: [ImageRecord] = []
    var imageIndexByID: [Int64: Int] = [:]
    var categories: [CategoryRecord] = []
    var categoryIDs: Set<Int64> = []
    var annotations: [PendingAnnotation] = []

    mutating func readDocument(_ reader: inout JSONReader) throws(ReadError) {
        let documentStart = reader.currentLocation()
        switch try reader.peekKind() {
        case .object:
            break
        case .array:
            throw .malformed(
                documentStart,
                problem: "the top level is a list, not an object with \"images\", \"annotations\" and \"categories\"; "
                    + "this looks like a detection results file",
                fix: "import detections with `evaldb import`; give the COCO ground-truth (instances) JSON here")
        case let kind:
            throw .malformed(
                documentStart, problem: "the top level is \(kind.phrase), expected an object",
                fix: "give a COCO instances JSON file with \"images\", \"annotations\" and \"categories\"")
        }
        try reader.beginObject("the top level")
        var seen: [String] = []
        while let key = try reader.nextKey() {
            let section: String
            if key == "images" {
                section = "images"
            } else if key == "annotations" {
                section = "annotations"
            } else if key == "categories" {
                section = "categories"
            } else {
                try reader.skipValue()
                continue
            }
            guard !seen.contains(section) else {
                throw .malformed(
                    reader.currentLocation(), problem: "\"\(section)\" appears twice at the top level",
                    fix: "merge the two lists into one")
            }
            seen.append(section)
            switch section {
            case "images": try readImages(&reader)
            case "annotations": try readAnnotations(&reader)
            default: try readCategories(&reader)
            }
        }
        let missing = ["images", "annotations", "categories"].filter { !seen.contains($0) }
        guard missing.isEmpty else {
            let names = missing.map { "\"\($0)\"" }.joined(separator: " and ")
            throw .malformed(
                documentStart, problem: "the top-level object has no \(names)",
                fix: "a COCO ground-truth file needs \"images\", \"annotations\" and \"categories\" lists "
                    + "(an empty list is fine)")
        }
    }

    mutating func readImages(_ reader: inout JSONReader) throws(ReadError) {
        try reader.beginArray("\"images\"")
        var ordinal = 0
        while try reader.nextElement() {
            ordinal += 1
            let objectStart = reader.position
            try reader.beginObject("image \(ordinal)")
            var id: Int64?
            var fileName = ""
            var width: Int64 = 0
            var height: Int64 = 0
            while let key = try reader.nextKey() {
                if key == "id" {
                    id = try reader.readInt64("image \(ordinal): \"id\"")
                } else if key == "file_name" {
                    if try !reader.skipNullIfPresent() {
                        fileName = try reader.readString("image \(ordinal): \"file_name\"")
                    }
                } else if key == "width" {
                    if try !reader.skipNullIfPresent() { width = try reader.readInt64("image \(ordinal): \"width\"") }
                } else if key == "height" {
                    if try !reader.skipNullIfPresent() { height = try reader.readInt64("image \(ordinal): \"height\"") }
                } else {
                    try reader.skipValue()
                }
            }
            guard let id else {
                throw .malformed(
                    reader.location(ofOffset: objectStart), problem: "image \(ordinal) has no \"id\"",
                    fix: "give every image an integer \"id\"")
            }
            if let earlier = imageIndexByID[id] {
                throw .malformed(
                    reader.location(ofOffset: objectStart),
                    problem: "image \(ordinal) has id \(id), already used by image \(earlier + 1)",
                    fix: "image ids must be unique")
            }
            imageIndexByID[id] = images.count
            images.append(ImageRecord(id: id, fileName: fileName, width: Int(width), height: Int(height)))
        }
    }

    mutating func readCategories(_ reader: inout JSONReader) throws(ReadError) {
        try reader.beginArray("\"categories\"")
        var ordinal = 0
        while try reader.nextElement() {
            ordinal += 1
            let objectStart = reader.position
            try reader.beginObject("category \(ordinal)")
            var id: Int64?
            var name: String?
            var supercategory: String?
            while let key = try reader.nextKey() {
                if key == "id" {
                    id = try reader.readInt64("category \(ordinal): \"id\"")
                } else if key == "name" {
                    name = try reader.readString("category \(ordinal): \"name\"")
                } else if key == "supercategory" {
                    if try !reader.skipNullIfPresent() {
                        supercategory = try reader.readString("category \(ordinal): \"supercategory\"")
                    }
                } else {
                    try reader.skipValue()
                }
            }
            guard let id, let name else {
                throw .malformed(
                    reader.location(ofOffset: objectStart),
                    problem: "category \(ordinal) has no \(id == nil ? "\"id\"" : "\"name\"")",
                    fix: "give every category an integer \"id\" and a \"name\"")
            }
            guard categoryIDs.insert(id).inserted else {
                let earlier = (categories.firstIndex { $0.id == id } ?? 0) + 1
                throw .malformed(
                    reader.location(ofOffset: objectStart),
                    problem: "category \(ordinal) (\"\(name)\") has id \(id), already used by category \(earlier)",
                    fix: "category ids must be unique")
            }
            categories.append(CategoryRecord(id: id, name: name, supercategory: supercategory))
        }
    }

    mutating func readAnnotations(_ reader: inout JSONReader) throws(ReadError) {
        try reader.beginArray("\"annotations\"")
        var ordinal = 0
        while try reader.nextElement() {
            ordinal += 1
            let objectStart = reader.position
            let line = reader.line
            try reader.beginObject("annotation \(ordinal)")
            var id: Int64?
            var imageID: Int64?
            var categoryID: Int64?
            var box: (Double, Double, Double, Double)?
            var area: Double?
            var isCrowd = false
            var hasScore = false
            var imageIDOffset = 0
            var categoryIDOffset = 0
            while let key = try reader.nextKey() {
                if key == "segmentation" {
                    try reader.skipValue()
                } else if key == "id" {
                    id = try reader.readInt64("annotation \(ordinal): \"id\"")
                } else if key == "image_id" {
                    imageIDOffset = reader.position
                    imageID = try reader.readInt64("annotation \(ordinal): \"image_id\"")
                } else if key == "category_id" {
                    categoryIDOffset = reader.position
                    categoryID = try reader.readInt64("annotation \(ordinal): \"category_id\"")
                } else if key == "bbox" {
                    box = try reader.readFourNumbers("annotation \(ordinal): \"bbox\"")
                } else if key == "area" {
                    if try !reader.skipNullIfPresent() {
                        area = try reader.readDouble("annotation \(ordinal): \"area\"")
                    }
                } else if key == "iscrowd" {
                    isCrowd = try Self.readFlag(&reader, "annotation \(ordinal): \"iscrowd\"")
                } else {
                    if key == "score" { hasScore = true }
                    try reader.skipValue()
                }
            }
            guard let id, let imageID, let categoryID, let box else {
                let field = id == nil ? "id" : imageID == nil ? "image_id" : categoryID == nil ? "category_id" : "bbox"
                let hint =
                    hasScore && id == nil
                    ? " (it has a \"score\": this looks like a detection results file; import detections with "
                        + "`evaldb import`)" : ""
                throw .malformed(
                    reader.location(ofOffset: objectStart),
                    problem: "annotation \(ordinal) has no \"\(field)\"\(hint)",
                    fix: "give every annotation \"id\", \"image_id\", \"category_id\" and \"bbox\"")
            }
            annotations.append(
                PendingAnnotation(
                    id: id, imageID: imageID, categoryID: categoryID, box: box, area: area, isCrowd: isCrowd,
                    line: line, imageIDOffset: imageIDOffset, categoryIDOffset: categoryIDOffset))
        }
    }

    /// `iscrowd`: 0/1 (any non-zero integer counts as crowd, as in pycocotools), true/false, or null (0).
    static func readFlag(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws(ReadError) -> Bool {
        switch try reader.peekKind() {
        case .bool: return try reader.readBool(what())
        case .null: return try !reader.skipNullIfPresent()
        default: return try reader.readInt64(what()) != 0
        }
    }

    /// Resolves each annotation's image and checks its category, now that all three lists are read (they
    /// may come in any order).
    func dataset(_ reader: JSONReader) throws(ReadError) -> GroundTruthDataset {
        var boxes: [GroundTruthBox] = []
        boxes.reserveCapacity(annotations.count)
        for (index, annotation) in annotations.enumerated() {
            guard let imageIndex = imageIndexByID[annotation.imageID] else {
                throw .malformed(
                    reader.location(ofOffset: annotation.imageIDOffset),
                    problem: "annotation \(index + 1) (id \(annotation.id)) refers to image_id \(annotation.imageID), "
                        + "which is not in \"images\"",
                    fix: "add the image to \"images\" or correct the annotation's image_id")
            }
            guard categoryIDs.contains(annotation.categoryID) else {
                throw .malformed(
                    reader.location(ofOffset: annotation.categoryIDOffset),
                    problem: "annotation \(index + 1) (id \(annotation.id)) refers to category_id "
                        + "\(annotation.categoryID), which is not in \"categories\"",
                    fix: "add the category to \"categories\" or correct the annotation's category_id")
            }
            boxes.append(
                GroundTruthBox(
                    annotationID: annotation.id, imageIndex: imageIndex, categoryID: annotation.categoryID,
                    x: annotation.box.x, y: annotation.box.y, width: annotation.box.width,
                    height: annotation.box.height, area: annotation.area, isCrowd: annotation.isCrowd,
                    location: SourceLocation(file: reader.path, line: annotation.line)))
        }
        return GroundTruthDataset(format: .coco, categories: categories, images: images, boxes: boxes)
    }
}
