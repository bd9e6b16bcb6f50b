/// One interpretation of an export, along every axis it can be misread on: how its boxes are written, which
/// column holds the confidence, how it refers to images and to categories.
public struct ExportReading: Sendable, Hashable {
    public var box: BoxReading
    public var columns: PredictionColumns
    public var imageMatching: ImageMatching
    public var imageIDOffset: Int64
    public var categoryMatching: CategoryMatching
    public var categoryOffset: Int64
    /// A map estimated from the boxes' overlaps (model key -> dataset id), when this reading uses one.
    public var estimatedMap: [CategoryKey: Int64]?
    /// An explicit map given by the user.
    public var usesExplicitMap: Bool

    public init(
        box: BoxReading, columns: PredictionColumns = .confidenceLast, imageMatching: ImageMatching = .automatic,
        imageIDOffset: Int64 = 0, categoryMatching: CategoryMatching = .id, categoryOffset: Int64 = 0,
        estimatedMap: [CategoryKey: Int64]? = nil, usesExplicitMap: Bool = false
    ) {
        self.box = box
        self.columns = columns
        self.imageMatching = imageMatching
        self.imageIDOffset = imageIDOffset
        self.categoryMatching = categoryMatching
        self.categoryOffset = categoryOffset
        self.estimatedMap = estimatedMap
        self.usesExplicitMap = usesExplicitMap
    }

    /// The reading `options` ask for on a batch whose own encoding is `encoding`.
    public init(options: DiagnosisOptions, encoding: BoxEncoding) {
        self.init(
            box: options.boxReading(for: encoding), columns: options.columns, imageMatching: options.imageMatching,
            imageIDOffset: options.imageIDOffset, categoryMatching: options.categoryMatching,
            categoryOffset: options.categoryOffset, usesExplicitMap: options.categoryMap != nil)
    }

    /// The command-line flags that select this reading for a batch of format `format` whose own encoding is
    /// `encoding`, written so that they work pasted as printed (`--category-offset=-1`).
    public func flags(format: DetectionFormat, encoding: BoxEncoding) -> [String] {
        var flags: [String] = []
        let own = encoding.reading
        if box.layout != own.layout { flags.append("--box-format \(box.layout.rawValue)") }
        if box.scale != own.scale {
            switch box.scale {
            case .pixels: flags.append("--scale pixels")
            case .normalized: flags.append("--normalized")
            case .normalizedHeightWidth: flags.append("--normalized-by hw")
            case .swappedPixels: flags.append("--scale swapped")
            case .letterbox(let size): flags.append("--letterbox \(size)")
            }
        }
        if format == .yolo && columns != .confidenceLast { flags.append("--columns \(columns.rawValue)") }
        if imageMatching != .automatic { flags.append("--match-images-by \(imageMatching.rawValue)") }
        if imageIDOffset != 0 { flags.append("--image-id-offset=\(imageIDOffset)") }
        if estimatedMap != nil {
            flags.append("--category-map auto")
        } else {
            if categoryMatching != .id { flags.append("--match-categories-by \(categoryMatching.rawValue)") }
            if categoryOffset != 0 { flags.append("--category-offset=\(categoryOffset)") }
        }
        return flags
    }

    /// Whether the two readings read boxes the same way (layout, unit, columns).
    func hasSameGeometry(as other: ExportReading) -> Bool { box == other.box && columns == other.columns }

    /// Whether the two readings refer to images the same way.
    func hasSameImages(as other: ExportReading) -> Bool {
        imageMatching == other.imageMatching && imageIDOffset == other.imageIDOffset
    }

    /// Whether the two readings refer to categories the same way.
    func hasSameCategories(as other: ExportReading) -> Bool {
        categoryMatching == other.categoryMatching && categoryOffset == other.categoryOffset
            && estimatedMap == other.estimatedMap && usesExplicitMap == other.usesExplicitMap
    }
}

/// How well one reading of an export agrees with the ground truth, on the sample of its most confident
/// detections.
public struct ReadingEvidence: Sendable {
    public var reading: ExportReading
    /// Detections in the sample.
    public var sampled: Int
    /// Of those, how many refer to a dataset image under this reading.
    public var resolved: Int
    /// How many overlap a ground-truth box of any class at IoU >= 0.5.
    public var overlapping: Int
    /// How many overlap a ground-truth box of their own class at IoU >= 0.5 (nil: not scored on this axis).
    public var overlappingOwnClass: Int?

    /// The share of the sample overlapping any ground-truth box.
    public var share: Double { sampled > 0 ? Double(overlapping) / Double(sampled) : 0 }

    /// The share of the sample overlapping a ground-truth box of its class (0 when not scored).
    public var ownClassShare: Double {
        sampled > 0 ? Double(overlappingOwnClass ?? 0) / Double(sampled) : 0
    }
}
