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
        try read(buffer: buffer, path: path, tail: nil, progress: progress)
    }

    /// Reads a COCO results document the caller keeps in memory (a mapped file) on two threads when it is larger
    /// than `splittingAbove` bytes: the second parses the list's second half while the first parses the first.
    /// The second half starts at an element found by its bytes (`}`, `,`, `{` between whitespace); its rows count
    /// only if the first parser, reading the document in order, lands on that very element, so a guess inside a
    /// string or another list costs time, never a wrong row. When the second parser fails (a malformed row), the
    /// first reads on from there itself and reports the error as a single parser would. The rows, their lines and
    /// columns, and every message are those of `read(buffer:path:progress:)`.
    ///
    /// `passed` hears byte ranges neither parser will read again (for releasing a mapped file's pages; it is
    /// called from both threads), `progress` the bytes parsed so far.
    public static func readSplitting(
        buffer: UnsafeBufferPointer<UInt8>, path: String, splittingAbove: Int = 16 << 20,
        passed: @escaping @Sendable (Range<Int>) -> Void = { _ in },
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws(ReadError) -> DetectionBatch {
        try readSplitting(
            buffer: buffer, path: path, splittingAbove: splittingAbove, near: buffer.count / 2, passed: passed,
            progress: progress
        ).batch
    }

    /// `readSplitting`, the second half starting at the first element found at or after `near`; also says whether
    /// the second parser's rows were taken (tests).
    static func readSplitting(
        buffer: UnsafeBufferPointer<UInt8>, path: String, splittingAbove: Int, near: Int,
        passed: @escaping @Sendable (Range<Int>) -> Void, progress: @escaping @Sendable (Int) -> Void
    ) throws(ReadError) -> (batch: DetectionBatch, tookTail: Bool) {
        /// One parser, in order.
        func readAlone() throws(ReadError) -> (batch: DetectionBatch, tookTail: Bool) {
            let batch = try read(buffer: buffer, path: path) { offset in
                passed(0..<offset)
                progress(offset)
            }
            return (batch, false)
        }
        guard buffer.count > splittingAbove, let start = elementStart(in: buffer, near: near) else {
            return try readAlone()
        }
        let tail = Tail(start: start)
        var result: Result<DetectionBatch, ReadError>?
        let first = {
            result = Result { () throws(ReadError) -> DetectionBatch in
                defer { tail.cancel() }
                return try read(buffer: buffer, path: path, tail: tail) { offset in
                    // Past `start`, the first parser reads the tail's bytes itself once the tail is dropped.
                    let (isOpen, tailBytes) = tail.progress
                    passed(0..<(isOpen ? min(offset, start) : offset))
                    progress(isOpen ? min(offset, start) + tailBytes : offset)
                }
            }
        }
        let second = { tail.parse(buffer: buffer, path: path, passed: passed) }
        if !SideBySide.run(first, second) { return try readAlone() }
        let batch = try result!.get()
        passed(0..<buffer.count)
        return (batch, tail.wasTaken)
    }

    /// The first byte of an element of a list of objects at or after `offset` (within 1 MB): a `{` after a comma
    /// after a `}`, whitespace between. A guess: it may lie inside a string.
    static func elementStart(in buffer: UnsafeBufferPointer<UInt8>, near offset: Int) -> Int? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        var index = max(1, offset)
        let end = min(buffer.count, offset + (1 << 20))
        while index < end {
            if buffer[index] == UInt8(ascii: "{") {
                var back = index - 1
                while back > 0 && isSpace(buffer[back]) { back -= 1 }
                if buffer[back] == UInt8(ascii: ",") {
                    back -= 1
                    while back > 0 && isSpace(buffer[back]) { back -= 1 }
                    if buffer[back] == UInt8(ascii: "}") { return index }
                }
            }
            index += 1
        }
        return nil
    }

    /// The second half of a split read: parsed on its own thread from `start` through the list's closing
    /// bracket, then taken by the first parser when it reaches `start` (or dropped).
    final class Tail: @unchecked Sendable {
        let start: Int
        private let lock = ConditionLock()
        /// Guarded by `lock`: the parse's outcome once it ended (nil inside when it failed or was cancelled),
        /// whether the first parser took it or dropped the tail, and the bytes parsed so far.
        private var outcome: (batch: DetectionBatch, end: JSONReader.Place)??
        private var isSettled = false
        private var parsed = 0
        /// Whether the first parser took the rows (set by `take`; read once both threads are done).
        private(set) var wasTaken = false

        init(start: Int) { self.start = start }

        /// Whether the tail may still be taken, and the bytes it has parsed.
        var progress: (isOpen: Bool, parsedBytes: Int) { lock.withLock { (!isSettled, parsed) } }

        /// Drops the tail: its parse stops at its next check.
        func cancel() { lock.withLock { isSettled = true } }

        /// Parses from `start` to the end of the list; runs on the second thread.
        func parse(buffer: UnsafeBufferPointer<UInt8>, path: String, passed: (Range<Int>) -> Void) {
            var batch = DetectionBatch(format: .coco, boxEncoding: .xywh, files: [path])
            batch.reserveCapacity((buffer.count - start) / 96)
            let read = try? JSONReader.readElements(buffer: buffer, path: path, from: start) {
                (reader) throws(ReadError) in
                var ordinal = 0
                while try reader.nextElement() {
                    ordinal += 1
                    if ordinal & 0xFFF == 0 {
                        passed(start..<reader.position)
                        let stop = lock.withLock { () -> Bool in
                            parsed = reader.position - start
                            return isSettled
                        }
                        // Dropped: any error ends the parse, and its outcome is not used.
                        if stop { throw ReadError.empty(path: path) }
                    }
                    try readDetection(&reader, ordinal: ordinal, into: &batch)
                }
            }
            lock.withLock {
                outcome = read.map { (batch, $0.end) } ?? .some(nil)
                parsed = (read?.end.position ?? start) - start
                lock.broadcast()
            }
        }

        /// The rows parsed from `start` and where the parse ended, waiting for the second thread; nil when it
        /// failed or was cancelled.
        func take() -> (batch: DetectionBatch, end: JSONReader.Place)? {
            lock.withLock {
                while outcome == nil { lock.wait() }
                let taken = outcome!
                outcome = .some(nil)
                isSettled = true
                wasTaken = taken != nil
                return taken
            }
        }
    }

    static func read(
        buffer: UnsafeBufferPointer<UInt8>, path: String, tail: Tail?, progress: (Int) -> Void
    ) throws(ReadError) -> DetectionBatch {
        try JSONReader.read(buffer: buffer, path: path) { (reader) throws(ReadError) -> DetectionBatch in
            var batch = DetectionBatch(format: .coco, boxEncoding: .xywh, files: [path])
            // Python's json.dump writes about 90 bytes per detection; reserving avoids most regrowth.
            batch.reserveCapacity(buffer.count / 96)
            let documentStart = reader.currentLocation()
            switch try reader.peekKind() {
            case .array:
                try readDetections(&reader, into: &batch, tail: tail, progress: progress)
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
                    try readDetections(&reader, into: &batch, tail: tail, progress: progress)
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

    /// The hot loop: one list of detection objects into the batch's columns; the rows from `tail.start` on are
    /// the tail's when its parse succeeded.
    private static func readDetections(
        _ reader: inout JSONReader, into batch: inout DetectionBatch, tail: Tail?, progress: (Int) -> Void
    ) throws(ReadError) {
        try reader.beginArray("\"annotations\"")
        var ordinal = 0
        var tail = tail
        while try reader.nextElement() {
            ordinal += 1
            if ordinal & 0xFFFF == 0 { progress(reader.position) }
            if let open = tail, reader.position >= open.start {
                if reader.position == open.start, var rest = open.take() {
                    // The tail counted lines from its start: put its rows on the document's lines and columns.
                    let origin = reader.place
                    Self.rebase(&rest.batch, origin: origin)
                    batch.append(contentsOf: &rest.batch)
                    let end = rest.end.rebased(origin: origin)
                    reader.resume(at: end)
                    progress(end.position)
                    return
                }
                // Not an element of this list, or its parse failed: read on alone.
                open.cancel()
                tail = nil
            }
            try readDetection(&reader, ordinal: ordinal, into: &batch)
        }
    }

    /// Puts the rows of a tail, read with lines counted from its start (line 1 there), on the document's lines:
    /// its start is at `origin`. Rows on the tail's first line also move right by the columns before its start.
    private static func rebase(_ batch: inout DetectionBatch, origin: JSONReader.Place) {
        // Lines never decrease: the rows on the first line come first.
        var low = 0
        var high = batch.lines.count
        while low < high {
            let middle = (low + high) / 2
            if batch.lines[middle] <= 1 { low = middle + 1 } else { high = middle }
        }
        let shift = Int32(truncatingIfNeeded: origin.position - origin.lineStart)
        for row in 0..<low { batch.columns[row] &+= shift }
        batch.lines.add(Int32(truncatingIfNeeded: origin.line - 1))
    }

    /// One detection object, the reader on its first byte.
    @inline(__always)
    private static func readDetection(
        _ reader: inout JSONReader, ordinal: Int, into batch: inout DetectionBatch
    ) throws(ReadError) {
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
