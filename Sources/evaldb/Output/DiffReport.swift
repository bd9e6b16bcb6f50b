import EvalKit
import EvalStore

/// Two stored evaluations of the same protocol and parameters, side by side.
struct DiffReport {
    /// One metric of both runs: values, B - A, and the bootstrap interval of the change when computed.
    struct Value {
        var a: Double?
        var b: Double?
        var low: Double?
        var high: Double?

        /// B - A when both are defined.
        var change: Double? {
            guard let a, let b else { return nil }
            return b - a
        }

        /// Defined in exactly one run, or a non-zero change.
        var isChanged: Bool { (a == nil) != (b == nil) || (change.map { $0 != 0 } ?? false) }

        /// The interval excludes 0.
        var isSignificant: Bool {
            guard let low, let high else { return false }
            return low > 0 || high < 0
        }
    }

    struct ClassRow {
        var id: Int64
        var name: String
        var groundTruth: Int?
        var values: [String: Value]
    }

    var a: EvaluationReport
    var b: EvaluationReport
    /// The summary metrics of A, with B's values.
    var metrics: [(metric: Metric, value: Value)]
    var classes: [ClassRow]
    /// Per-class keys available in this protocol, in display order: the values' (`Metric.classKey`), then the
    /// counts.
    var classMetricNames: [String]
    /// The metric behind each per-class key (the counts: at the counting threshold).
    var classMetricsByKey: [String: Metric]
    var intervals: BootstrapIntervals?

    /// The count keys: TP, FP, FN (lower is better for FP and FN), then the number of detections.
    static let countStatistics: [Metric.Statistic] = [.truePositives, .falsePositives, .falseNegatives]
    static let detectionCountKey = "n_det"
    static let countNames = countStatistics.map(\.rawValue) + [detectionCountKey]
    static let lowerIsBetter: Set<String> = [
        Metric.Statistic.falsePositives.rawValue, Metric.Statistic.falseNegatives.rawValue,
    ]

    init(a: EvaluationReport, b: EvaluationReport, intervals: BootstrapIntervals?) {
        self.a = a
        self.b = b
        self.intervals = intervals
        let valuesB = Dictionary(b.summary.map { ($0.metric, $0.value) }, uniquingKeysWith: { x, _ in x })
        metrics = a.summary.map { item in
            let interval = intervals?.summary[item.metric]
            return (
                item.metric,
                Value(a: item.value, b: valuesB[item.metric] ?? nil, low: interval?.low, high: interval?.high)
            )
        }
        var names: [String] = []
        var byKey: [String: Metric] = [:]
        for row in a.classes + b.classes {
            for item in row.values {
                guard let key = item.metric.classKey, byKey[key] == nil else { continue }
                names.append(key)
                byKey[key] = item.metric
            }
        }
        for metric in a.parameters.protocolParameters.countMetrics { byKey[metric.statistic.rawValue] = metric }
        classMetricNames = names + Self.countNames
        classMetricsByKey = byKey
        let rowsA = Dictionary(a.classes.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        let rowsB = Dictionary(b.classes.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        var ids = a.classes.map(\.id)
        for row in b.classes where rowsA[row.id] == nil { ids.append(row.id) }
        classes = ids.map { id in
            let rowA = rowsA[id]
            let rowB = rowsB[id]
            var classIntervals: [String: BootstrapIntervals.Interval] = [:]
            for (metric, interval) in intervals?.classes[id] ?? [:] {
                if let key = metric.classKey, classIntervals[key] == nil { classIntervals[key] = interval }
            }
            var values: [String: Value] = [:]
            for name in names + Self.countNames {
                let interval = classIntervals[name]
                values[name] = Value(
                    a: Self.value(rowA, name), b: Self.value(rowB, name), low: interval?.low, high: interval?.high)
            }
            return ClassRow(
                id: id, name: rowA?.name ?? rowB?.name ?? "class \(id)",
                groundTruth: rowA?.counts?.groundTruth ?? rowB?.counts?.groundTruth, values: values)
        }
    }

    /// A class's value under `key`: a per-class metric or a count.
    static func value(_ row: EvaluationReport.ClassRow?, _ key: String) -> Double? {
        guard let row else { return nil }
        switch key {
        case Metric.Statistic.truePositives.rawValue: return row.counts.map { Double($0.truePositives) }
        case Metric.Statistic.falsePositives.rawValue: return row.counts.map { Double($0.falsePositives) }
        case Metric.Statistic.falseNegatives.rawValue: return row.counts.map { Double($0.falseNegatives) }
        case detectionCountKey: return row.counts.map { Double($0.detections) }
        default: return row.value(key)
        }
    }

    /// The class rows to show, sorted.
    func rows(metrics: [String], sort: DiffSort, all: Bool) -> [ClassRow] {
        let shown = all ? classes : classes.filter { row in metrics.contains { row.values[$0]?.isChanged ?? false } }
        let key = metrics.first ?? Metric.Statistic.averagePrecision.rawValue
        return shown.sorted { x, y in
            switch sort {
            case .name:
                return (x.name, x.id) < (y.name, y.id)
            case .ngt:
                return ((x.groundTruth ?? -1), y.id) > ((y.groundTruth ?? -1), x.id)
            case .change, .abs:
                let cx = x.values[key]?.change
                let cy = y.values[key]?.change
                switch (cx, cy) {
                case (nil, nil): return x.id < y.id
                case (nil, _): return false
                case (_, nil): return true
                case (let p?, let q?):
                    if sort == .abs { return Swift.abs(p) != Swift.abs(q) ? Swift.abs(p) > Swift.abs(q) : x.id < y.id }
                    return p != q ? p < q : x.id < y.id
                }
            }
        }
    }
}

/// `--sort`.
enum DiffSort: String, CaseIterable {
    /// The first metric's change, largest drop first.
    case change
    /// The first metric's absolute change, largest first.
    case abs
    case name
    /// Ground-truth count, largest first.
    case ngt
}
