/// Everything one evaluation computed, in the store's shape. Protocol adapters build it from EvalKit's
/// results; the CLI renders it after reading it back, so a fresh and a cached evaluation print the same.
public struct EvaluationRecord: Sendable {
    /// A summary metric; nil value = undefined.
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var value: Double?
    }

    /// A per-class metric: AP at an IoU threshold (nil = mean over thresholds) and area range, or AR at
    /// a maxDets.
    public struct ClassMetric: Sendable, Equatable {
        public var categoryID: Int64
        public var metric: String
        public var iou: Double?
        public var area: String
        public var maxDetections: Int?
        public var value: Double?
    }

    /// Per-class counts at the summary operating point.
    public struct ClassCounts: Sendable, Equatable {
        public var categoryID: Int64
        public var iou: Double
        public var groundTruth: Int
        public var detections: Int
        public var truePositives: Int
        public var falsePositives: Int
        public var falseNegatives: Int
    }

    /// An interpolated PR curve sampled at the 101 recall points `PrecisionRecallCurve.cocoRecallPoints`:
    /// the precision there and the score of the detection that reaches it (nil where unreached).
    public struct PRCurve: Sendable, Equatable {
        public var categoryID: Int64
        public var iou: Double
        public var precision: [Double?]
        public var score: [Double?]
    }

    /// Per-detection outcomes, columns aligned with the evaluated detections in `seq` order.
    public struct Matches: Sendable {
        /// `detections.seq` of each detection.
        public var seq: [Int64] = []
        /// The detection's image, as an index into `imageRowIDs`.
        public var image: [Int32] = []
        /// `images.id` of each image index (ascending).
        public var imageRowIDs: [Int64] = []
        /// Bit t set: true positive (ignored) at the t-th IoU threshold.
        public var truePositiveMask: [Int64] = []
        public var ignoredMask: [Int64] = []
        /// `gt_boxes.id` matched at IoU 0.5 / 0.75, 0 when none (row ids start at 1), and the IoU with it.
        public var groundTruth50: [Int64] = []
        public var iou50: [Double] = []
        public var groundTruth75: [Int64] = []
        public var iou75: [Double] = []

        public init() {}

        public var count: Int { seq.count }
    }

    public var protocolName: String
    /// Canonical JSON of the parameters (the cache key with the run and protocol).
    public var parameters: String
    public var durationMilliseconds: Double
    public var metrics: [Metric] = []
    public var classMetrics: [ClassMetric] = []
    public var classCounts: [ClassCounts] = []
    public var prCurves: [PRCurve] = []
    public var matches = Matches()

    public init(protocolName: String, parameters: String, durationMilliseconds: Double) {
        self.protocolName = protocolName
        self.parameters = parameters
        self.durationMilliseconds = durationMilliseconds
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
}

/// Reads and writes evaluations. Writers expect to run inside the caller's transaction.
public struct EvaluationStore {
    public let database: Database

    public init(_ database: Database) { self.database = database }

    /// The stored evaluation of `runID` under `protocolName` and `parameters`, or nil.
    public func find(runID: Int64, protocolName: String, parameters: String) throws -> StoredEvaluation? {
        try database.fetchOne(
            """
            SELECT id, run_id, protocol, params, dataset_sha256, run_sha256, duration_ms, created_at
            FROM evaluations WHERE run_id = ? AND protocol = ? AND params = ?
            """, [.integer(runID), .text(protocolName), .text(parameters)]
        ).map {
            StoredEvaluation(
                id: $0[0].int64 ?? 0, runID: $0[1].int64 ?? 0, protocolName: $0[2].string ?? "",
                parameters: $0[3].string ?? "", datasetSHA256: $0[4].string ?? "", runSHA256: $0[5].string ?? "",
                durationMilliseconds: $0[6].double ?? 0, createdAt: $0[7].string ?? "")
        }
    }

    /// Deletes an evaluation and its results.
    public func delete(id: Int64) throws {
        try database.execute("DELETE FROM evaluations WHERE id = ?", [.integer(id)])
    }

    /// Inserts an evaluation with every result table; returns its id.
    public func insert(
        _ record: EvaluationRecord, runID: Int64, datasetSHA256: String, runSHA256: String
    ) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO evaluations (run_id, protocol, params, dataset_sha256, run_sha256, evaldb_version,
                                     duration_ms, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .integer(runID), .text(record.protocolName), .text(record.parameters), .text(datasetSHA256),
                .text(runSHA256), .text(EvaldbVersion.current), .real(record.durationMilliseconds),
                .text(Timestamp.now()),
            ])
        let id = database.lastInsertedRowID
        let metric = try database.prepare(
            "INSERT INTO evaluation_metrics (evaluation_id, position, metric, value) VALUES (?, ?, ?, ?)")
        for (position, item) in record.metrics.enumerated() {
            try metric.bind([.integer(id), .integer(Int64(position)), .text(item.name), item.value.sqlValue])
            try metric.run()
        }
        let classMetric = try database.prepare(
            """
            INSERT INTO class_metrics (evaluation_id, category_id, metric, iou, area, max_dets, value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for item in record.classMetrics {
            try classMetric.bind([
                .integer(id), .integer(item.categoryID), .text(item.metric), item.iou.sqlValue, .text(item.area),
                item.maxDetections.sqlValue, item.value.sqlValue,
            ])
            try classMetric.run()
        }
        let counts = try database.prepare(
            """
            INSERT INTO class_counts (evaluation_id, category_id, iou, n_gt, n_det, tp, fp, fn)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for item in record.classCounts {
            try counts.bind([
                .integer(id), .integer(item.categoryID), .real(item.iou), .integer(Int64(item.groundTruth)),
                .integer(Int64(item.detections)), .integer(Int64(item.truePositives)),
                .integer(Int64(item.falsePositives)), .integer(Int64(item.falseNegatives)),
            ])
            try counts.run()
        }
        let curves = try BulkInsert(
            database, table: "pr_curves", columns: ["evaluation_id", "category_id", "iou", "precision", "score"],
            total: record.prCurves.count)
        var text = JSONBytes()
        for curve in record.prCurves {
            try curves.row { statement, base in
                statement.bind(int64: id, at: base + 1)
                statement.bind(int64: curve.categoryID, at: base + 2)
                statement.bind(double: curve.iou, at: base + 3)
                text.removeAll()
                text.array(curve.precision)
                try text.bytes.withUnsafeBufferPointer { try statement.bind(utf8: $0, at: base + 4) }
                text.removeAll()
                text.array(curve.score)
                try text.bytes.withUnsafeBufferPointer { try statement.bind(utf8: $0, at: base + 5) }
            }
        }
        try MatchEncoding.insert(record.matches, evaluationID: id, database: database)
        return id
    }

    /// The summary metrics of an evaluation, in display order.
    public func metrics(evaluationID: Int64) throws -> [EvaluationRecord.Metric] {
        try database.fetchAll(
            "SELECT metric, value FROM evaluation_metrics WHERE evaluation_id = ? ORDER BY position",
            [.integer(evaluationID)]
        ).map { EvaluationRecord.Metric(name: $0[0].string ?? "", value: $0[1].double) }
    }

    /// The per-class metrics of an evaluation.
    public func classMetrics(evaluationID: Int64) throws -> [EvaluationRecord.ClassMetric] {
        try database.fetchAll(
            """
            SELECT category_id, metric, iou, area, max_dets, value FROM class_metrics WHERE evaluation_id = ?
            ORDER BY rowid
            """, [.integer(evaluationID)]
        ).map {
            EvaluationRecord.ClassMetric(
                categoryID: $0[0].int64 ?? 0, metric: $0[1].string ?? "", iou: $0[2].double, area: $0[3].string ?? "",
                maxDetections: $0[4].int, value: $0[5].double)
        }
    }

    /// The per-class counts of an evaluation, by category id.
    public func classCounts(evaluationID: Int64) throws -> [EvaluationRecord.ClassCounts] {
        try database.fetchAll(
            """
            SELECT category_id, iou, n_gt, n_det, tp, fp, fn FROM class_counts WHERE evaluation_id = ?
            ORDER BY category_id
            """, [.integer(evaluationID)]
        ).map {
            EvaluationRecord.ClassCounts(
                categoryID: $0[0].int64 ?? 0, iou: $0[1].double ?? 0, groundTruth: $0[2].int ?? 0,
                detections: $0[3].int ?? 0, truePositives: $0[4].int ?? 0, falsePositives: $0[5].int ?? 0,
                falseNegatives: $0[6].int ?? 0)
        }
    }
}
