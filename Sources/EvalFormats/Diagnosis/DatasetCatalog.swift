/// What the diagnosis needs to know about a dataset: its images (with sizes), its categories, and
/// whether its ground truth is in pixels. Built from a freshly read dataset or from the store.
public struct DatasetCatalog: Sendable {
    /// One image: the dataset's external id, file name and size in pixels.
    public struct Image: Sendable, Hashable {
        public var externalID: Int64
        public var fileName: String
        public var width: Int
        public var height: Int

        public init(externalID: Int64, fileName: String, width: Int, height: Int) {
            self.externalID = externalID
            self.fileName = fileName
            self.width = width
            self.height = height
        }
    }

    public var name: String
    public var format: DatasetFormat
    public var images: [Image]
    public var categories: [CategoryRecord]
    /// The largest coordinate of any ground-truth box corner (0 when there are no boxes): above 1 means
    /// the ground truth is in pixels.
    public var largestGroundTruthCoordinate: Double

    public init(
        name: String, format: DatasetFormat, images: [Image], categories: [CategoryRecord],
        largestGroundTruthCoordinate: Double
    ) {
        self.name = name
        self.format = format
        self.images = images
        self.categories = categories
        self.largestGroundTruthCoordinate = largestGroundTruthCoordinate
    }

    /// The catalog of a dataset just read from disk.
    public init(name: String, dataset: GroundTruthDataset) {
        var largest = 0.0
        for box in dataset.boxes {
            largest = max(largest, box.x + box.width, box.y + box.height)
        }
        self.init(
            name: name, format: dataset.format,
            images: dataset.images.map {
                Image(externalID: $0.id, fileName: $0.fileName, width: $0.width, height: $0.height)
            },
            categories: dataset.categories, largestGroundTruthCoordinate: largest)
    }
}
