/// The ground truth of one dataset, ready for evaluation: structure of arrays, images numbered
/// `0..<imageCount` in the dataset's order, boxes in file order.
///
/// Protocols reorder what they need themselves (COCO sorts images by `imageIDs`; VisDrone keeps the
/// dataset order, which is sorted file-name order).
public struct EvalGroundTruth: Sendable {
    /// The dataset's external image id of each image (COCO `id`; folder formats: 1-based position).
    public var imageIDs: [Int64]
    /// Image sizes in pixels (VisDrone's ignored-region mask needs them).
    public var imageWidths: [Int]
    public var imageHeights: [Int]
    /// The dataset's category ids, ascending.
    public var categoryIDs: [Int64]

    /// Box columns, one entry per ground-truth box, in file order.
    public var image: [Int32] = []
    public var category: [Int64] = []
    public var x: [Double] = []
    public var y: [Double] = []
    public var width: [Double] = []
    public var height: [Double] = []
    /// COCO's `area` field (the mask area on real COCO); `width * height` for other formats.
    public var area: [Double] = []
    public var isCrowd: [Bool] = []
    /// VisDrone score-0 boxes.
    public var isIgnored: [Bool] = []
    /// VOC `difficult`.
    public var isDifficult: [Bool] = []
    /// The annotation id from the file (COCO); 0 is a real id that pycocotools can never match.
    public var annotationID: [Int64] = []

    /// VisDrone ignored regions (category 0 rows), per image.
    public var regionImage: [Int32] = []
    public var regionX: [Double] = []
    public var regionY: [Double] = []
    public var regionWidth: [Double] = []
    public var regionHeight: [Double] = []

    public init(imageIDs: [Int64], imageWidths: [Int], imageHeights: [Int], categoryIDs: [Int64]) {
        self.imageIDs = imageIDs
        self.imageWidths = imageWidths
        self.imageHeights = imageHeights
        self.categoryIDs = categoryIDs
    }

    /// Number of images.
    public var imageCount: Int { imageIDs.count }
    /// Number of boxes.
    public var count: Int { image.count }

    /// Appends one box.
    public mutating func appendBox(
        image: Int32, category: Int64, x: Double, y: Double, width: Double, height: Double, area: Double,
        isCrowd: Bool = false, isIgnored: Bool = false, isDifficult: Bool = false, annotationID: Int64 = 0
    ) {
        self.image.append(image)
        self.category.append(category)
        self.x.append(x)
        self.y.append(y)
        self.width.append(width)
        self.height.append(height)
        self.area.append(area)
        self.isCrowd.append(isCrowd)
        self.isIgnored.append(isIgnored)
        self.isDifficult.append(isDifficult)
        self.annotationID.append(annotationID)
    }

    /// Appends one VisDrone ignored region.
    public mutating func appendRegion(image: Int32, x: Double, y: Double, width: Double, height: Double) {
        regionImage.append(image)
        regionX.append(x)
        regionY.append(y)
        regionWidth.append(width)
        regionHeight.append(height)
    }
}

/// A run's detections, ready for evaluation: structure of arrays in input order (`seq` order: files in
/// sorted name order, rows in file order), images as indexes into `EvalGroundTruth`.
public struct EvalDetections: Sendable {
    public var image: [Int32] = []
    public var category: [Int64] = []
    public var score: [Double] = []
    public var x: [Double] = []
    public var y: [Double] = []
    public var width: [Double] = []
    public var height: [Double] = []

    public init() {}

    /// `count` detections not filled in yet, for readers that fill rows in any order: every image index -1 (no
    /// image), every other column 0.
    public init(unfilled count: Int) {
        image = [Int32](repeating: -1, count: count)
        category = [Int64](repeating: 0, count: count)
        score = [Double](repeating: 0, count: count)
        x = [Double](repeating: 0, count: count)
        y = [Double](repeating: 0, count: count)
        width = [Double](repeating: 0, count: count)
        height = [Double](repeating: 0, count: count)
    }

    /// Number of detections.
    public var count: Int { image.count }

    /// Appends one detection (call in input order).
    public mutating func append(
        image: Int32, category: Int64, score: Double, x: Double, y: Double, width: Double, height: Double
    ) {
        self.image.append(image)
        self.category.append(category)
        self.score.append(score)
        self.x.append(x)
        self.y.append(y)
        self.width.append(width)
        self.height.append(height)
    }
}
