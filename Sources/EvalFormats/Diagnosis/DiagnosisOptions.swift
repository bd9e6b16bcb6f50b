public import EvalKit

/// How detections refer to dataset images.
public enum ImageMatching: String, CaseIterable, Sendable {
    /// Numeric ids match the dataset's image ids; names match image file names or stems (the default).
    case automatic = "auto"
    /// Match by the dataset's image id (a name that is a number is read as an id).
    case id
    /// Match by image file name: the reference's base name (the part after the last `/`) against the dataset's file
    /// names, else against their stems; numeric ids against the number in the stem (`000000391895.jpg` is 391895).
    case fileName = "file-name"
    /// Match by file stem: the reference's base name without its extension against the dataset's file stems, so
    /// that `a/b/0001.png` finds `0001.jpg`; numeric ids against the number in the stem.
    case stem
    /// A number is a 0-based position in the dataset's images sorted by id (a data loader's index).
    case index
    /// A number is a 0-based position in the dataset's images sorted by file name.
    case fileIndex = "file-index"
}

/// How detections refer to dataset categories.
public enum CategoryMatching: String, CaseIterable, Sendable {
    /// A number is the dataset's category id; a name its category name (the default).
    case id
    /// A number is a 0-based position in the dataset's categories sorted by id (a model's contiguous class index
    /// against a dataset's sparse ids, as YOLO's 0...79 against COCO's 1...90).
    case index
    /// A number is looked up in the class names the run carries (YOLO `data.yaml` / `classes.txt` beside the
    /// predictions, COCO results' `category_name`), and the name in the dataset's categories.
    case name
}

/// The column order of YOLO prediction lines.
public enum PredictionColumns: String, CaseIterable, Sendable {
    /// `class cx cy w h conf`, as Ultralytics writes them.
    case confidenceLast = "class,box,conf"
    /// `class conf cx cy w h`.
    case confidenceSecond = "class,conf,box"
}

/// An explicit map from the model's categories to the dataset's, as given in a file: each model key (an id or a
/// name) to a dataset key (an id or a name). Resolved against the dataset by the diagnosis.
public struct CategoryMap: Sendable, Equatable {
    public var pairs: [(model: CategoryKey, dataset: CategoryKey)]

    public init(pairs: [(model: CategoryKey, dataset: CategoryKey)]) { self.pairs = pairs }

    public static func == (lhs: CategoryMap, rhs: CategoryMap) -> Bool {
        lhs.pairs.count == rhs.pairs.count
            && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.model == $1.model && $0.dataset == $1.dataset }
    }
}

/// Pixels added to every box after it is read: `x += dx, y += dy, w += dw, h += dh` (`--box-offset`).
public struct BoxOffset: Sendable, Equatable, Hashable {
    public var dx: Double
    public var dy: Double
    public var dw: Double
    public var dh: Double

    public init(dx: Double, dy: Double, dw: Double, dh: Double) {
        self.dx = dx
        self.dy = dy
        self.dw = dw
        self.dh = dh
    }
}

/// The user's corrections for known input mistakes, each named by a diagnosis fix.
public struct DiagnosisOptions: Sendable, Equatable {
    /// Read the four box numbers in this order instead of the format's (`--box-format`).
    public var boxLayout: BoxLayout?
    /// Read them in this unit instead of the format's (`--normalized`, `--normalized-by`, `--letterbox`, `--scale`).
    public var boxScale: BoxScale?
    /// YOLO predictions: where the confidence is (`--columns`).
    public var columns: PredictionColumns
    /// Added to every numeric category before matching (`--category-offset`).
    public var categoryOffset: Int64
    /// How categories are matched (`--match-categories-by`).
    public var categoryMatching: CategoryMatching
    /// An explicit category map (`--category-map FILE`, or `--label-map` read as ids to names); it takes precedence
    /// over matching.
    public var categoryMap: CategoryMap?
    /// Whether `categoryMap` came from a TensorFlow label map (`--label-map`): recorded as `label-map=...`.
    public var categoryMapIsLabelMap = false
    /// Apply the map estimated from the boxes' overlaps (`--category-map auto`).
    public var estimatesCategoryMap: Bool
    /// How image references are matched (`--match-images-by`).
    public var imageMatching: ImageMatching
    /// Added to every numeric image reference before matching (`--image-id-offset`).
    public var imageIDOffset: Int64
    /// Drop rows that repeat an earlier row exactly (`--drop-duplicates`).
    public var dropsDuplicates: Bool
    /// Pixels added to every box (`--box-offset`).
    public var boxOffset: BoxOffset?

    public init(
        boxLayout: BoxLayout? = nil, boxScale: BoxScale? = nil, columns: PredictionColumns = .confidenceLast,
        categoryOffset: Int64 = 0, categoryMatching: CategoryMatching = .id, categoryMap: CategoryMap? = nil,
        estimatesCategoryMap: Bool = false, imageMatching: ImageMatching = .automatic, imageIDOffset: Int64 = 0,
        dropsDuplicates: Bool = false, boxOffset: BoxOffset? = nil
    ) {
        self.boxLayout = boxLayout
        self.boxScale = boxScale
        self.columns = columns
        self.categoryOffset = categoryOffset
        self.categoryMatching = categoryMatching
        self.categoryMap = categoryMap
        self.estimatesCategoryMap = estimatesCategoryMap
        self.imageMatching = imageMatching
        self.imageIDOffset = imageIDOffset
        self.dropsDuplicates = dropsDuplicates
        self.boxOffset = boxOffset
    }

    /// The box reading these options give a batch whose own encoding is `encoding`.
    public func boxReading(for encoding: BoxEncoding) -> BoxReading {
        let own = encoding.reading
        return BoxReading(layout: boxLayout ?? own.layout, scale: boxScale ?? own.scale)
    }
}

/// Detections resolved against a dataset, in pixels, in input order: the evaluation columns (images as
/// indexes into `DatasetCatalog.images`, the dataset's category ids) plus each row's input position.
/// Only rows whose image and category resolved are present.
public struct ResolvedDetections: Sendable {
    /// Input position of each row (0-based), increasing.
    public var row = RowNumbers()
    /// Image index, category, score and pixel box of each row.
    public var boxes = EvalDetections()

    public init() {}

    /// Number of rows.
    public var count: Int { row.count }
}

/// Increasing row numbers, kept as a count while they are `0, 1, 2, ...` (every input row resolved, the usual case:
/// at 5M detections that saves 20 MB while a run is diagnosed and stored).
public struct RowNumbers: RandomAccessCollection, Equatable, Sendable {
    /// The numbers, once one row was left out; nil while they are `0..<count`.
    private var listed: [Int32]?
    public private(set) var endIndex = 0

    public init() {}

    public var startIndex: Int { 0 }

    public subscript(position: Int) -> Int32 {
        listed?[position] ?? Int32(position)
    }

    /// Appends `number`, which must be larger than the last one.
    public mutating func append(_ number: Int32) {
        if listed == nil && Int(number) != endIndex {
            var numbers = (0..<Int32(endIndex)).map { $0 }
            numbers.reserveCapacity(Swift.max(endIndex * 2, 16))
            listed = numbers
        }
        listed?.append(number)
        endIndex += 1
    }

    /// Whether the numbers are `[numbers]`, in order.
    public static func == (lhs: Self, rhs: [Int32]) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}
