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

    public init(
        name: String, format: DatasetFormat, images: [ImageRecord], categories: [CategoryRecord],
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
            images: dataset.images,
            categories: dataset.categories, largestGroundTruthCoordinate: largest)
    }
}
