/// What the diagnosis needs to know about a dataset: its images (with sizes), its categories, and
/// whether its ground truth is in pixels. Built from a freshly read dataset or from the store.
public struct DatasetCatalog: Sendable {
    public var name: String
    public var format: DatasetFormat
    /// The images, with the dataset's external ids and sizes.
    public var images: [ImageRecord]
    public var categories: [CategoryRecord]
    /// The largest coordinate of any ground-truth box corner (0 when there are no boxes): above 1 means
    /// the ground truth is in pixels.
    public var largestGroundTruthCoordinate: Double
    /// The ground-truth boxes, grouped by image: the evidence readings of an export are scored against.
    public var boxes: CatalogBoxes

    public init(
        name: String, format: DatasetFormat, images: [ImageRecord], categories: [CategoryRecord],
        largestGroundTruthCoordinate: Double, boxes: CatalogBoxes = CatalogBoxes(imageCount: 0)
    ) {
        self.name = name
        self.format = format
        self.images = images
        self.categories = categories
        self.largestGroundTruthCoordinate = largestGroundTruthCoordinate
        self.boxes = boxes.imageCount == images.count ? boxes : CatalogBoxes(imageCount: images.count)
    }

    /// The catalog of a dataset just read from disk.
    public init(name: String, dataset: GroundTruthDataset) {
        var largest = 0.0
        var boxes = CatalogBoxes.Builder(imageCount: dataset.images.count)
        for box in dataset.boxes {
            largest = max(largest, box.x + box.width, box.y + box.height)
            boxes.append(
                image: box.imageIndex, category: box.categoryID, x: box.x, y: box.y, width: box.width,
                height: box.height)
        }
        self.init(
            name: name, format: dataset.format,
            images: dataset.images,
            categories: dataset.categories, largestGroundTruthCoordinate: largest, boxes: boxes.build())
    }
}

/// Ground-truth boxes grouped by image: `x[start[i] ..< start[i + 1]]` ... are image i's, in pixels.
public struct CatalogBoxes: Sendable {
    public private(set) var start: [Int]
    public private(set) var category: [Int64] = []
    public private(set) var x: [Double] = []
    public private(set) var y: [Double] = []
    public private(set) var width: [Double] = []
    public private(set) var height: [Double] = []

    /// No boxes on `imageCount` images.
    public init(imageCount: Int) { start = [Int](repeating: 0, count: imageCount + 1) }

    /// The number of images.
    public var imageCount: Int { start.count - 1 }

    /// The number of boxes.
    public var count: Int { x.count }

    /// Collects boxes in any order and groups them by image.
    public struct Builder: Sendable {
        private var imageCount: Int
        private var rows: [(image: Int, category: Int64, x: Double, y: Double, width: Double, height: Double)] = []

        public init(imageCount: Int) { self.imageCount = imageCount }

        /// Adds a box of image `image` (boxes of images outside `0..<imageCount` are dropped).
        public mutating func append(
            image: Int, category: Int64, x: Double, y: Double, width: Double, height: Double
        ) {
            guard image >= 0 && image < imageCount else { return }
            rows.append((image, category, x, y, width, height))
        }

        /// The boxes grouped by image, each image's in the order added.
        public func build() -> CatalogBoxes {
            var boxes = CatalogBoxes(imageCount: imageCount)
            var counts = [Int](repeating: 0, count: imageCount + 1)
            for row in rows { counts[row.image + 1] += 1 }
            for i in 0..<imageCount { counts[i + 1] += counts[i] }
            boxes.start = counts
            var next = counts
            var order = [Int](repeating: 0, count: rows.count)
            for (index, row) in rows.enumerated() {
                order[next[row.image]] = index
                next[row.image] += 1
            }
            boxes.category = order.map { rows[$0].category }
            boxes.x = order.map { rows[$0].x }
            boxes.y = order.map { rows[$0].y }
            boxes.width = order.map { rows[$0].width }
            boxes.height = order.map { rows[$0].height }
            return boxes
        }
    }
}
