import Dispatch
public import EvalFormats

/// Results of the two halves of a parallel read; each field is written by one task only.
private final class ParallelWork: @unchecked Sendable {
    var hash = ""
    var batch: Result<DetectionBatch, ReadError>?
}

/// Reads ground truth and detections in any supported format, detecting the format when not given.
public enum InputReading {
    /// Options for reading a dataset.
    public struct DatasetOptions: Sendable {
        /// `--sizes images.csv`: image sizes instead of image headers.
        public var sizesPath: String?
        /// `--names a,b,c`: YOLO class names instead of data.yaml/classes.txt.
        public var names: [String]?
        /// `--scale pixels`: YOLO labels written in pixels instead of fractions.
        public var labelsInPixels: Bool
        /// `--label-map label_map.pbtxt`: TFRecord category ids and names.
        public var labelMapPath: String?

        public init(
            sizesPath: String? = nil, names: [String]? = nil, labelsInPixels: Bool = false, labelMapPath: String? = nil
        ) {
            self.sizesPath = sizesPath
            self.names = names
            self.labelsInPixels = labelsInPixels
            self.labelMapPath = labelMapPath
        }
    }

    /// Reads a dataset at `path`. Returns the dataset and whether the format was detected.
    public static func readDataset(path: String, format: DatasetFormat?, options: DatasetOptions) throws
        -> (dataset: GroundTruthDataset, detected: Bool)
    {
        let chosen = try format ?? FormatDetection.datasetFormat(at: path)
        let sizes = try options.sizesPath.map { path throws(ReadError) in try ImageSizeTable.read(path: path) }
        let dataset: GroundTruthDataset
        switch chosen {
        case .coco: dataset = try CocoDatasetReader.read(path: path)
        case .visdrone: dataset = try VisDroneDatasetReader.read(path: path, sizes: sizes)
        case .yolo:
            dataset = try YoloDatasetReader.read(
                path: path, sizes: sizes, names: options.names, labelsInPixels: options.labelsInPixels)
        case .voc: dataset = try VocDatasetReader.read(path: path)
        case .tfrecord:
            let labelMap = try options.labelMapPath.map { path throws(ReadError) in try LabelMap.read(path: path) }
            dataset = try TFRecordDatasetReader.read(path: path, labelMap: labelMap)
        }
        return (dataset, format == nil)
    }

    /// Reads detections at `path` and hashes their bytes (unless `hashing` is false). Returns the batch, the content
    /// hash (which may still be computed on a thread of its own: `value()` waits for it) and whether the format was
    /// detected.
    ///
    /// A COCO results file is mapped and parsed on two threads, one half each, each page released once parsed:
    /// memory holds the parsed columns, not the file. Then a thread hashes it, reading the pages again from the
    /// page cache, while the caller goes on (an import diagnoses the detections meanwhile). `progress` is called
    /// with the bytes parsed and the file's size as the parsers go.
    public static func readDetections(
        path: String, format: DetectionFormat?, hashing: Bool = true,
        progress: (@Sendable (_ read: Int, _ total: Int) -> Void)? = nil
    ) throws
        -> (batch: DetectionBatch, sha256: Background<String>?, detected: Bool)
    {
        /// The hash of a format read in one piece, when hashing.
        func hashed(_ hash: () throws -> String) rethrows -> Background<String>? {
            hashing ? Background(ready: try hash()) : nil
        }
        let chosen = try format ?? FormatDetection.detectionFormat(at: path)
        switch chosen {
        case .coco:
            if InputFiles.kind(of: path) == .file, let file = MappedFile(path: path) {
                let total = file.bytes.count
                let batch = try CocoResultsReader.readSplitting(
                    buffer: file.bytes, path: path, passed: { file.release($0) }, progress: { progress?($0, total) })
                progress?(total, total)
                guard hashing else { return (batch, nil, format == nil) }
                let hash = Background { () -> String in
                    var hasher = SHA256()
                    let chunk = 1 << 20
                    var start = 0
                    while start < total {
                        let end = min(total, start + chunk)
                        hasher.update(UnsafeBufferPointer(rebasing: file.bytes[start..<end]))
                        file.release(start..<end)
                        start = end
                    }
                    return hasher.finalizeHex()
                }
                return (batch, hash, format == nil)
            }
            // One read serves both parsing and hashing, which run side by side.
            let bytes = try InputFiles.readBytes(path, expected: "a COCO results JSON file")
            let work = ParallelWork()
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 {
                    work.hash = ContentHash.ofBytes(bytes)
                } else {
                    work.batch = Result { () throws(ReadError) in try CocoResultsReader.read(bytes: bytes, path: path) }
                }
            }
            guard let batch = work.batch else { throw ReadError.unreadable(path: path, reason: "not parsed") }
            return (try batch.get(), Background(ready: work.hash), format == nil)
        case .visdrone:
            return (
                try VisDroneResultsReader.read(path: path), try hashed { try ContentHash.ofPath(path) }, format == nil
            )
        case .yolo:
            return (try YoloResultsReader.read(path: path), try hashed { try ContentHash.ofPath(path) }, format == nil)
        case .voc:
            return (try VocResultsReader.read(path: path), try hashed { try ContentHash.ofPath(path) }, format == nil)
        case .tfrecord:
            return (
                try TFRecordResultsReader.read(path: path),
                try hashed { try ContentHash.ofFiles(TFRecordInput.files(path)) },
                format == nil
            )
        }
    }

    /// The protocol `evaldb import` evaluates a dataset of this format with.
    public static func defaultProtocol(for format: DatasetFormat) -> String {
        format == .visdrone ? "visdrone" : "coco"
    }
}
