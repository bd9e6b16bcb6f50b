public import EvalFormats
public import EvalKit

/// A stored dataset, as listed and looked up by name.
public struct StoredDataset: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var format: DatasetFormat
    public var source: String
    public var sha256: String
    public var defaultProtocol: String
    public var createdAt: String

    public init(
        id: Int64, name: String, format: DatasetFormat, source: String, sha256: String, defaultProtocol: String,
        createdAt: String
    ) {
        self.id = id
        self.name = name
        self.format = format
        self.source = source
        self.sha256 = sha256
        self.defaultProtocol = defaultProtocol
        self.createdAt = createdAt
    }
}

/// A stored run, as listed and looked up by name.
public struct StoredRun: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var datasetID: Int64
    public var format: DetectionFormat
    public var source: String
    public var sha256: String
    public var importOptions: String
    public var detectionCount: Int
    public var note: String?
    public var createdAt: String

    public init(
        id: Int64, name: String, datasetID: Int64, format: DetectionFormat, source: String, sha256: String,
        importOptions: String, detectionCount: Int, note: String?, createdAt: String
    ) {
        self.id = id
        self.name = name
        self.datasetID = datasetID
        self.format = format
        self.source = source
        self.sha256 = sha256
        self.importOptions = importOptions
        self.detectionCount = detectionCount
        self.note = note
        self.createdAt = createdAt
    }
}

/// What describes a run besides its detections.
public struct RunMetadata: Sendable, Equatable {
    public var name: String
    public var datasetID: Int64
    public var format: DetectionFormat
    public var source: String
    public var sha256: String
    /// The corrections applied at import, canonical text (e.g. `box-format=xyxy category-offset=1`).
    public var importOptions: String
    public var params: [(key: String, value: String)]
    public var tags: [(key: String, value: String)]
    public var note: String?
    /// The category map applied at import (the model's key as written -> dataset category id), if any.
    public var categoryMap: [(modelKey: String, categoryID: Int64)]

    public init(
        name: String, datasetID: Int64, format: DetectionFormat, source: String, sha256: String,
        importOptions: String = "", params: [(key: String, value: String)] = [],
        tags: [(key: String, value: String)] = [], note: String? = nil,
        categoryMap: [(modelKey: String, categoryID: Int64)] = []
    ) {
        self.categoryMap = categoryMap
        self.name = name
        self.datasetID = datasetID
        self.format = format
        self.source = source
        self.sha256 = sha256
        self.importOptions = importOptions
        self.params = params
        self.tags = tags
        self.note = note
    }

    public static func == (l: RunMetadata, r: RunMetadata) -> Bool {
        l.name == r.name && l.datasetID == r.datasetID && l.format == r.format && l.source == r.source
            && l.sha256 == r.sha256 && l.importOptions == r.importOptions && l.note == r.note
            && l.params.map { [$0.key, $0.value] } == r.params.map { [$0.key, $0.value] }
            && l.tags.map { [$0.key, $0.value] } == r.tags.map { [$0.key, $0.value] }
            && l.categoryMap.map { "\($0.modelKey)>\($0.categoryID)" }
                == r.categoryMap.map { "\($0.modelKey)>\($0.categoryID)" }
    }
}

/// An evaluation ready to store: what EvalKit computed, under which parameters, from which store rows, and how long
/// it took.
public struct EvaluationRecord: Sendable {
    public var result: EvaluationResult
    public var parameters: EvaluationParameters
    /// The store rows of the evaluated inputs.
    public var rows: InputRows
    /// The image index (into `rows.imageRowIDs`) of each evaluated detection.
    public var detectionImages: [Int32]
    public var durationMilliseconds: Double
    /// Whether these are the run's default parameters: its dataset's default protocol with that protocol's
    /// defaults and no filter (the evaluation `evaldb import` computes and `runs --metrics` reads).
    public var isDefault: Bool

    public init(
        result: EvaluationResult, parameters: EvaluationParameters, rows: InputRows, detectionImages: [Int32],
        durationMilliseconds: Double, isDefault: Bool
    ) {
        self.result = result
        self.parameters = parameters
        self.rows = rows
        self.detectionImages = detectionImages
        self.durationMilliseconds = durationMilliseconds
        self.isDefault = isDefault
    }
}

/// The store rows that evaluation inputs were read from, by index.
public struct InputRows: Sendable, Equatable {
    /// `images.id` of each image index (ascending).
    public var imageRowIDs: [Int64]
    /// `gt_boxes.id` of each ground-truth box index.
    public var boxRowIDs: [Int64]
    /// `detections.seq` of each detection index.
    public var seq: [Int64]

    public init(imageRowIDs: [Int64], boxRowIDs: [Int64], seq: [Int64]) {
        self.imageRowIDs = imageRowIDs
        self.boxRowIDs = boxRowIDs
        self.seq = seq
    }
}

/// A stored evaluation's identity.
public struct StoredEvaluation: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var protocolName: String
    public var parameters: String
    public var datasetSHA256: String
    public var runSHA256: String
    public var durationMilliseconds: Double
    public var createdAt: String
    /// Whether it is the run's default evaluation (`evaluations.is_default`).
    public var isDefault: Bool
    /// The evaldb version that computed it.
    public var evaldbVersion: String

    public init(
        id: Int64, runID: Int64, protocolName: String, parameters: String, datasetSHA256: String, runSHA256: String,
        durationMilliseconds: Double, createdAt: String, isDefault: Bool = false, evaldbVersion: String = ""
    ) {
        self.id = id
        self.runID = runID
        self.protocolName = protocolName
        self.parameters = parameters
        self.datasetSHA256 = datasetSHA256
        self.runSHA256 = runSHA256
        self.durationMilliseconds = durationMilliseconds
        self.createdAt = createdAt
        self.isDefault = isDefault
        self.evaldbVersion = evaldbVersion
    }
}

/// Every row a stored evaluation has in the result tables, as stored: what `evaldb push` and `pull` copy. Row ids
/// are the store's own: `imageMatches` names `images.id`, and its JSON text names `gt_boxes.id` (`gt_50`, `gt_75`).
public struct EvaluationRows: Sendable {
    /// One `class_metrics` row.
    public struct ClassMetric: Sendable, Equatable {
        public var categoryID: Int64
        public var metric: String
        public var iou: Double?
        public var area: String
        public var maxDetections: Int64?
        public var value: Double?

        public init(
            categoryID: Int64, metric: String, iou: Double?, area: String, maxDetections: Int64?, value: Double?
        ) {
            self.categoryID = categoryID
            self.metric = metric
            self.iou = iou
            self.area = area
            self.maxDetections = maxDetections
            self.value = value
        }
    }

    /// The `evaluations` row (its id and run id are the source store's).
    public var evaluation: StoredEvaluation
    /// `evaluation_metrics`, by position.
    public var metrics: [(position: Int64, metric: String, value: Double?)]
    /// `class_metrics`, in stored order.
    public var classMetrics: [ClassMetric]
    /// `class_counts`.
    public var classCounts: [EvaluationResult.ClassCounts]
    /// `pr_curves`: the JSON arrays as stored.
    public var curves: [(categoryID: Int64, iou: Double, precision: String, score: String)]
    /// `image_matches`: `images.id` and the JSON array as stored.
    public var imageMatches: [(imageRowID: Int64, detections: String)]

    public init(
        evaluation: StoredEvaluation, metrics: [(position: Int64, metric: String, value: Double?)],
        classMetrics: [ClassMetric], classCounts: [EvaluationResult.ClassCounts],
        curves: [(categoryID: Int64, iou: Double, precision: String, score: String)],
        imageMatches: [(imageRowID: Int64, detections: String)]
    ) {
        self.evaluation = evaluation
        self.metrics = metrics
        self.classMetrics = classMetrics
        self.classCounts = classCounts
        self.curves = curves
        self.imageMatches = imageMatches
    }
}

/// A dataset's ground truth and a run's detections, with the row ids that map them back to the store.
public struct EvaluationInputs: Sendable {
    public var groundTruth: EvalGroundTruth
    /// `images.id` of each image index.
    public var imageRowIDs: [Int64]
    /// `gt_boxes.id` of each ground-truth box index.
    public var boxRowIDs: [Int64]
    public var detections: EvalDetections
    /// `detections.seq` of each detection index.
    public var seq: [Int64]

    public init(
        groundTruth: EvalGroundTruth, imageRowIDs: [Int64], boxRowIDs: [Int64], detections: EvalDetections,
        seq: [Int64]
    ) {
        self.groundTruth = groundTruth
        self.imageRowIDs = imageRowIDs
        self.boxRowIDs = boxRowIDs
        self.detections = detections
        self.seq = seq
    }
}

/// What an analysis is: `evaldb errors`, `evaldb confusion` or `evaldb thresholds`.
public enum AnalysisKind: String, Sendable, CaseIterable {
    case errors, confusion, thresholds
}

extension StoredEvaluation {
    /// The `evaluations` columns `init(row:)` reads, in its order.
    public static let columns =
        "id, run_id, protocol, params, dataset_sha256, run_sha256, duration_ms, created_at, is_default, evaldb_version"

    /// An evaluation from a row of `columns`.
    public init(row: [StoreValue]) {
        self.init(
            id: row[0].int64 ?? 0, runID: row[1].int64 ?? 0, protocolName: row[2].string ?? "",
            parameters: row[3].string ?? "", datasetSHA256: row[4].string ?? "", runSHA256: row[5].string ?? "",
            durationMilliseconds: row[6].double ?? 0, createdAt: row[7].string ?? "", isDefault: row[8].int64 == 1,
            evaldbVersion: row[9].string ?? "")
    }
}

/// A stored analysis: its result is the command's JSON without the run's and dataset's names.
public struct StoredAnalysis: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var kind: AnalysisKind
    /// The protocol whose outcomes it uses; empty when it uses none (confusion).
    public var protocolName: String
    public var parameters: String
    public var datasetSHA256: String
    public var runSHA256: String
    public var durationMilliseconds: Double
    public var createdAt: String
    public var result: String
    /// The evaldb version that computed it (empty until stored).
    public var evaldbVersion: String

    public init(
        id: Int64 = 0, runID: Int64, kind: AnalysisKind, protocolName: String, parameters: String,
        datasetSHA256: String, runSHA256: String, durationMilliseconds: Double, createdAt: String = "",
        result: String, evaldbVersion: String = ""
    ) {
        self.evaldbVersion = evaldbVersion
        self.id = id
        self.runID = runID
        self.kind = kind
        self.protocolName = protocolName
        self.parameters = parameters
        self.datasetSHA256 = datasetSHA256
        self.runSHA256 = runSHA256
        self.durationMilliseconds = durationMilliseconds
        self.createdAt = createdAt
        self.result = result
    }
}

extension StoredAnalysis {
    /// The `analyses` columns `init(row:)` reads, in its order.
    public static let columns = """
        id, run_id, kind, protocol, params, dataset_sha256, run_sha256, duration_ms, created_at, result, evaldb_version
        """

    /// An analysis from a row of `columns`; nil for a kind this evaldb does not know.
    public init?(row: [StoreValue]) {
        guard let kind = AnalysisKind(rawValue: row[2].string ?? "") else { return nil }
        self.init(
            id: row[0].int64 ?? 0, runID: row[1].int64 ?? 0, kind: kind, protocolName: row[3].string ?? "",
            parameters: row[4].string ?? "", datasetSHA256: row[5].string ?? "", runSHA256: row[6].string ?? "",
            durationMilliseconds: row[7].double ?? 0, createdAt: row[8].string ?? "", result: row[9].string ?? "",
            evaldbVersion: row[10].string ?? "")
    }
}
