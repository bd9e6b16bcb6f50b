/// A category of a dataset. `id` is the dataset's own id (COCO ids may be sparse; YOLO ids are 0-based).
public struct CategoryRecord: Hashable, Sendable {
    public var id: Int64
    public var name: String
    public var supercategory: String?

    public init(id: Int64, name: String, supercategory: String? = nil) {
        self.id = id
        self.name = name
        self.supercategory = supercategory
    }
}

/// An image of a dataset.
public struct ImageRecord: Hashable, Sendable {
    /// The dataset's external image id: COCO's `id`; for folder formats, the 1-based position of the
    /// image in sorted annotation-file order.
    public var id: Int64
    /// The image file name (COCO `file_name`, or the file found in `images/`); detections of folder formats
    /// refer to images by this name's stem.
    public var fileName: String
    public var width: Int
    public var height: Int

    public init(id: Int64, fileName: String, width: Int, height: Int) {
        self.id = id
        self.fileName = fileName
        self.width = width
        self.height = height
    }

    /// The file name without directory and extension: the key folder formats use.
    public var stem: String { fileStem(fileName) }
}

/// One ground-truth box, in pixels, `x, y` = top-left corner.
public struct GroundTruthBox: Hashable, Sendable {
    /// The annotation id from the file (COCO), or nil where the format has none.
    public var annotationID: Int64?
    /// Index into `GroundTruthDataset.images`.
    public var imageIndex: Int
    public var categoryID: Int64
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    /// COCO's `area` field (the mask area in real COCO data); `width * height` for other formats.
    public var area: Double
    /// COCO `iscrowd`.
    public var isCrowd: Bool
    /// VisDrone score-0 boxes ("ignore" ground truth).
    public var isIgnored: Bool
    /// PASCAL VOC `difficult`.
    public var isDifficult: Bool
    /// VisDrone truncation (0-2), VOC `truncated`; nil when absent.
    public var truncation: Int?
    /// VisDrone occlusion (0-2); nil when absent.
    public var occlusion: Int?
    /// Where the box was read, for messages.
    public var location: SourceLocation?

    public init(
        annotationID: Int64? = nil, imageIndex: Int, categoryID: Int64,
        x: Double, y: Double, width: Double, height: Double, area: Double? = nil,
        isCrowd: Bool = false, isIgnored: Bool = false, isDifficult: Bool = false,
        truncation: Int? = nil, occlusion: Int? = nil, location: SourceLocation? = nil
    ) {
        self.annotationID = annotationID
        self.imageIndex = imageIndex
        self.categoryID = categoryID
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.area = area ?? width * height
        self.isCrowd = isCrowd
        self.isIgnored = isIgnored
        self.isDifficult = isDifficult
        self.truncation = truncation
        self.occlusion = occlusion
        self.location = location
    }
}

/// A VisDrone ignored region (category 0 row): detections mostly inside it are dropped by the protocol.
public struct IgnoredRegion: Hashable, Sendable {
    public var imageIndex: Int
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var location: SourceLocation?

    public init(imageIndex: Int, x: Double, y: Double, width: Double, height: Double, location: SourceLocation? = nil) {
        self.imageIndex = imageIndex
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.location = location
    }
}

/// A ground-truth dataset as read from disk, before it is stored.
public struct GroundTruthDataset: Sendable {
    public var format: DatasetFormat
    public var categories: [CategoryRecord]
    /// Images in the order evaldb assigns them (COCO file order; folder formats: sorted file names).
    public var images: [ImageRecord]
    public var boxes: [GroundTruthBox]
    public var ignoredRegions: [IgnoredRegion]
    /// What the reader wants said about the input (defaults taken for absent keys, ...): `info` findings that the
    /// diagnosis reports with its own.
    public var notes: [Finding] = []

    public init(
        format: DatasetFormat, categories: [CategoryRecord], images: [ImageRecord],
        boxes: [GroundTruthBox], ignoredRegions: [IgnoredRegion] = []
    ) {
        self.format = format
        self.categories = categories
        self.images = images
        self.boxes = boxes
        self.ignoredRegions = ignoredRegions
    }
}

/// The file name without directory and extension.
public func fileStem(_ name: String) -> String {
    var base = Substring(name)
    if let slash = base.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
        base = base[base.index(after: slash)...]
    }
    if let dot = base.lastIndex(of: "."), dot != base.startIndex {
        base = base[..<dot]
    }
    return String(base)
}
