/// Reads COCO detection results: a top-level list of `{"image_id", "category_id", "bbox", "score"}` objects
/// (other keys, such as `segmentation`, are skipped), or a top-level object holding that list under
/// `annotations` (as some tools write it).
///
/// The batch is `.coco` / `.xywh`, one file; image keys are the numeric ids, or names where `image_id` is a
/// string (a file name or stem, as Ultralytics writes for non-numeric image names); category keys are the
/// numeric ids, or the `category_name` of rows without an id (the names of rows with both are kept as the run's
/// class names). The four box numbers are kept exactly as written and each row's line is the line where its object starts. Only the
/// shape is checked (types, missing fields): values such as NaN (the bare `NaN` / `Infinity` tokens Python
/// writes are accepted), negative sizes or unknown ids are the input diagnosis's business. An empty list is
/// valid. Streams through the file without building a value tree: 500k detections (57 MB) parse in about
/// 0.15 s in a release build.
public enum CocoResultsReader {
    /// Reads the file at `path`. Throws a `ReadError` naming the file, line, column and the fix.
    public static func read(path: String) throws(ReadError) -> DetectionBatch {
        let bytes = try InputFiles.readBytes(path, expected: "a COCO results file (.json)")
        return try read(bytes: bytes, path: path)
    }

    /// Reads a COCO results document already in memory; `path` is used in messages and as the batch's file.
    public static func read(bytes: [UInt8], path: String) throws(ReadError) -> DetectionBatch {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ReadError) -> DetectionBatch in
            try read(buffer: buffer, path: path)
        }
    }

    /// Reads a COCO results document the caller keeps in memory (a mapped file), calling `progress` with the
    /// offset reached every 64k detections: everything before it has been read and will not be read again
    /// (unless a message needs a location).
    public static func read(
        buffer: UnsafeBufferPointer<UInt8>, path: String, progress: (Int) -> Void = { _ in }
    ) throws(ReadError) -> DetectionBatch {
        try JSONReader.read(buffer: buffer, path: path) { (reader) throws(ReadError) -> DetectionBatch in
            var batch = DetectionBatch(format: .coco, boxEncoding: .xywh, files: [path])
            // Python's json.dump writes about 90 bytes per detection; reserving avoids most regrowth.
            batch.reserveCapacity(buffer.count / 96)
            let documentStart = reader.currentLocation()
            switch try reader.peekKind() {
            case .array:
                try readDetections(&reader, into: &batch, progress: progress)
            case .object:
                try reader.beginObject("the top level")
                var hasAnnotations = false
                while let key = try reader.nextKey() {
                    guard key == "annotations" else {
                        try reader.skipValue()
                        continue
                    }
                    guard !hasAnnotations else {
                        throw .malformed(
                            reader.currentLocation(), problem: "\"annotations\" appears twice at the top level",
                            fix: "merge the two lists into one")
                    }
                    hasAnnotations = true
                    try readDetections(&reader, into: &batch, progress: progress)
                }
                guard hasAnnotations else {
                    throw .malformed(
                        documentStart, problem: "the top-level object has no \"annotations\" list of detections",
                        fix: "a COCO results file is a list of {\"image_id\", \"category_id\", \"bbox\", \"score\"} "
                            + "objects")
                }
            case let kind:
                throw .malformed(
                    documentStart, problem: "the top level is \(kind.phrase), expected a list of detections",
                    fix: "a COCO results file is a list of {\"image_id\", \"category_id\", \"bbox\", \"score\"} objects"
                )
            }
            return batch
        }
    }

    /// The hot loop: one list of detection objects into the batch's columns.
    private static func readDetections(
        _ reader: inout JSONReader, into batch: inout DetectionBatch, progress: (Int) -> Void
    ) throws(ReadError) {
        try reader.beginArray("\"annotations\"")
        var ordinal = 0
        while try reader.nextElement() {
            ordinal += 1
            if ordinal & 0xFFFF == 0 { progress(reader.position) }
            let objectStart = reader.position
            let line = reader.line
            let column = objectStart - reader.lineStart + 1
            try reader.beginObject("detection \(ordinal)")
            var image = ImageKey.id(0)
            var categoryID: Int64 = 0
            var categoryName: String?
            var hasCategoryID = false
            var score = 0.0
            var box = (0.0, 0.0, 0.0, 0.0)
            var found = Field()
            var hasGroundTruthKeys = false
            while let key = try reader.nextKey() {
                if key == "image_id" {
                    // A string id is a file name (Ultralytics save_json writes stems for non-numeric names).
                    if try reader.peekKind() == .string {
                        image = .name(try reader.readString("detection \(ordinal): \"image_id\""))
                    } else {
                        image = .id(try reader.readInt64("detection \(ordinal): \"image_id\""))
                    }
                    found.insert(.imageID)
                } else if key == "category_name" {
                    categoryName = try reader.readString("detection \(ordinal): \"category_name\"")
                } else if key == "category_id" {
                    categoryID = try reader.readInt64("detection \(ordinal): \"category_id\"")
                    found.insert(.categoryID)
                } else if key == "bbox" {
                    box = try reader.readFourNumbers("detection \(ordinal): \"bbox\"")
                    found.insert(.bbox)
                } else if key == "score" {
                    score = try reader.readDouble("detection \(ordinal): \"score\"")
                    found.insert(.score)
                } else {
                    if key == "iscrowd" || key == "area" { hasGroundTruthKeys = true }
                    try reader.skipValue()
                }
            }
            hasCategoryID = found.contains(.categoryID)
            if !hasCategoryID, categoryName != nil { found.insert(.categoryID) }
            guard found == .all else {
                throw missingField(
                    found, ordinal: ordinal, looksLikeGroundTruth: hasGroundTruthKeys,
                    at: reader.location(ofOffset: objectStart))
            }
            let category: CategoryKey
            if let categoryName, !hasCategoryID {
                category = .name(categoryName)
            } else {
                category = .id(categoryID)
                if let categoryName { batch.categoryNames[categoryID] = categoryName }
            }
            batch.append(
                image: image, category: category, score: score, box.0, box.1, box.2, box.3,
                file: 0, line: Int32(truncatingIfNeeded: line), column: Int32(truncatingIfNeeded: column))
        }
    }

    /// The fields a detection must have, as bits.
    private struct Field: OptionSet {
        let rawValue: UInt8
        static let imageID = Field(rawValue: 1)
        static let categoryID = Field(rawValue: 2)
        static let bbox = Field(rawValue: 4)
        static let score = Field(rawValue: 8)
        static let all: Field = [.imageID, .categoryID, .bbox, .score]
    }

    private static func missingField(
        _ found: Field, ordinal: Int, looksLikeGroundTruth: Bool, at location: SourceLocation
    ) -> ReadError {
        let names: [(Field, String)] = [
            (.imageID, "image_id"), (.categoryID, "category_id"), (.bbox, "bbox"), (.score, "score"),
        ]
        let missing = names.filter { !found.contains($0.0) }.map { "\"\($0.1)\"" }.joined(separator: ", ")
        let hint =
            looksLikeGroundTruth && !found.contains(.score)
            ? " (it has \"iscrowd\"/\"area\" but no \"score\": this looks like a ground-truth file, which is "
                + "added as a dataset, not imported as detections)" : ""
        return .malformed(
            location, problem: "detection \(ordinal) has no \(missing)\(hint)",
            fix: "give every detection \"image_id\", \"category_id\", \"bbox\" [x, y, width, height] and \"score\"")
    }
}
