/// How a detection refers to its image.
public enum ImageKey: Hashable, Sendable {
    /// A numeric image id (COCO results `image_id`).
    case id(Int64)
    /// An image name: the file stem of a per-image result file, or the first column of a VOC result line.
    case name(String)
}

/// How a detection refers to its category.
public enum CategoryKey: Hashable, Sendable {
    /// A numeric category id (COCO `category_id`, VisDrone category, YOLO class index).
    case id(Int64)
    /// A category name (VOC per-class result files).
    case name(String)
}

/// How the four box numbers of a batch are to be read.
public enum BoxEncoding: String, CaseIterable, Sendable {
    /// `x, y, w, h` in pixels, top-left corner (COCO, VisDrone).
    case xywh
    /// `x1, y1, x2, y2` in pixels (VOC result files, some exporters).
    case xyxy
    /// `cx, cy, w, h` normalized to [0, 1] by the image size (YOLO).
    case normalizedCenter = "cxcywh-normalized"
    /// `ymin, xmin, ymax, xmax` normalized to [0, 1] by the image size (TensorFlow Object Detection API, when the
    /// records do not carry the image size).
    case normalizedCorners = "yxyx-normalized"
}

/// Raw detections as read from a run's files, in structure-of-arrays form (one entry per row, in input
/// order: files in sorted name order, rows in file order). Nothing is resolved against a dataset yet:
/// that is the diagnosis step's job.
public struct DetectionBatch: Sendable {
    public var format: DetectionFormat
    /// How `a`, `b`, `c`, `d` are to be read.
    public var boxEncoding: BoxEncoding
    /// The files read, in order; `fileIndex` points here.
    public var files: [String]

    /// Compact columns: at 5M detections a batch is held whole while it is diagnosed.
    public var imageKeys = ReferenceColumn<ImageKey>()
    public var categoryKeys = ReferenceColumn<CategoryKey>()
    public var scores: [Double] = []
    /// The four box numbers as written in the file, read according to `boxEncoding`.
    public var a: [Double] = []
    public var b: [Double] = []
    public var c: [Double] = []
    public var d: [Double] = []
    /// Index into `files` of each row.
    public var fileIndex = SteppedColumn()
    /// 1-based line of each row in its file (for JSON: the line where the object starts).
    public var lines = SteppedColumn()
    /// 1-based column where each row starts (JSON, often one long line); 0 when not recorded.
    public var columns: [Int32] = []
    /// Class names the run carries for its numeric category ids (YOLO `data.yaml` / `classes.txt` beside the
    /// predictions, COCO results' `category_name`); empty when none.
    public var categoryNames: [Int64: String] = [:]
    /// What the reader wants said about the input (padding slots dropped, ...): findings that the diagnosis
    /// reports with its own.
    public var notes: [Finding] = []

    public init(format: DetectionFormat, boxEncoding: BoxEncoding, files: [String] = []) {
        self.format = format
        self.boxEncoding = boxEncoding
        self.files = files
    }

    /// Number of detections.
    public var count: Int { scores.count }

    /// Reserves room for `n` rows in every column.
    public mutating func reserveCapacity(_ n: Int) {
        imageKeys.reserveCapacity(n)
        categoryKeys.reserveCapacity(n)
        scores.reserveCapacity(n)
        a.reserveCapacity(n)
        b.reserveCapacity(n)
        c.reserveCapacity(n)
        d.reserveCapacity(n)
        columns.reserveCapacity(n)
    }

    /// Appends one row.
    @inlinable
    public mutating func append(
        image: ImageKey, category: CategoryKey, score: Double,
        _ a: Double, _ b: Double, _ c: Double, _ d: Double, file: Int32, line: Int32, column: Int32 = 0
    ) {
        imageKeys.append(image)
        categoryKeys.append(category)
        scores.append(score)
        self.a.append(a)
        self.b.append(b)
        self.c.append(c)
        self.d.append(d)
        fileIndex.append(file)
        lines.append(line)
        columns.append(column)
    }

    /// Appends the rows of `other` (read from the same files, after this batch's rows), emptying it column by
    /// column as it goes, so that at most one of its columns is held twice. Category names `other` gives win, as
    /// they would had its rows been appended one by one.
    public mutating func append(contentsOf other: inout DetectionBatch) {
        imageKeys.append(contentsOf: other.imageKeys)
        other.imageKeys = ReferenceColumn()
        categoryKeys.append(contentsOf: other.categoryKeys)
        other.categoryKeys = ReferenceColumn()
        func move(_ column: inout [Double], _ source: inout [Double]) {
            column.append(contentsOf: source)
            source = []
        }
        move(&scores, &other.scores)
        move(&a, &other.a)
        move(&b, &other.b)
        move(&c, &other.c)
        move(&d, &other.d)
        fileIndex.append(contentsOf: other.fileIndex)
        other.fileIndex = SteppedColumn()
        lines.append(contentsOf: other.lines)
        other.lines = SteppedColumn()
        columns.append(contentsOf: other.columns)
        other.columns = []
        categoryNames.merge(other.categoryNames) { _, theirs in theirs }
        other.categoryNames = [:]
        notes += other.notes
        other.notes = []
    }

    /// The location of row `i`, for messages.
    public func location(ofRow i: Int) -> SourceLocation {
        SourceLocation(
            file: files.isEmpty ? "" : files[Int(fileIndex[i])], line: Int(lines[i]),
            column: i < columns.count ? Int(columns[i]) : 0)
    }
}
