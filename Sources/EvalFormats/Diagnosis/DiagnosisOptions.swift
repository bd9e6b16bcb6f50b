public import EvalKit

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

/// Detections resolved against a dataset, in pixels, in input order: the evaluation columns (images as
/// indexes into `DatasetCatalog.images`, the dataset's category ids) plus each row's input position.
/// Only rows whose image and category resolved are present.
public struct ResolvedDetections: Sendable {
    /// Input position of each row (0-based), increasing.
    public var row: [Int32] = []
    /// Image index, category, score and pixel box of each row.
    public var boxes = EvalDetections()

    public init() {}

    /// Number of rows.
    public var count: Int { row.count }
}
