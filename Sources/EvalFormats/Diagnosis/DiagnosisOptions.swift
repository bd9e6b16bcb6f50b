/// How detections refer to dataset images.
public enum ImageMatching: String, CaseIterable, Sendable {
    /// Numeric ids match the dataset's image ids; names match image file stems (the default).
    case automatic = "auto"
    /// Match by the dataset's image id (a name that is a number is read as an id).
    case id
    /// Match by image file name: names against file stems, numeric ids against the number in the stem
    /// (`000000391895.jpg` is 391895).
    case fileName = "file-name"
}

/// The user's corrections for known input mistakes, each named by a diagnosis fix.
public struct DiagnosisOptions: Sendable, Equatable {
    /// Read the four box numbers this way instead of the format's default (`--box-format`).
    public var boxEncoding: BoxEncoding?
    /// Coordinates are fractions of the image size (`--normalized`).
    public var isNormalized: Bool
    /// Added to every numeric category id (`--category-offset`).
    public var categoryOffset: Int64
    /// How image references are matched (`--match-images-by`).
    public var imageMatching: ImageMatching

    public init(
        boxEncoding: BoxEncoding? = nil, isNormalized: Bool = false, categoryOffset: Int64 = 0,
        imageMatching: ImageMatching = .automatic
    ) {
        self.boxEncoding = boxEncoding
        self.isNormalized = isNormalized
        self.categoryOffset = categoryOffset
        self.imageMatching = imageMatching
    }
}

/// Detections resolved against a dataset, in pixels, structure of arrays, in input order.
/// Only rows whose image and category resolved are present; `row` gives each one's input position.
public struct ResolvedDetections: Sendable {
    /// Input position of each row (0-based), increasing.
    public var row: [Int32] = []
    /// Index into `DatasetCatalog.images`.
    public var imageIndex: [Int32] = []
    /// The dataset's category id.
    public var categoryID: [Int64] = []
    public var score: [Double] = []
    public var x: [Double] = []
    public var y: [Double] = []
    public var width: [Double] = []
    public var height: [Double] = []

    public init() {}

    /// Number of rows.
    public var count: Int { row.count }

    mutating func reserveCapacity(_ n: Int) {
        row.reserveCapacity(n)
        imageIndex.reserveCapacity(n)
        categoryID.reserveCapacity(n)
        score.reserveCapacity(n)
        x.reserveCapacity(n)
        y.reserveCapacity(n)
        width.reserveCapacity(n)
        height.reserveCapacity(n)
    }
}
