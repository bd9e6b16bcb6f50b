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
    var metrics: [(name: String, value: Value)]
    var classes: [ClassRow]
    /// Per-class metric names available in this protocol, in display order.
    var classMetricNames: [String]
    var intervals: BootstrapIntervals?

    /// Counts are better when lower for these.
    static let lowerIsBetter: Set<String> = ["FP", "FN"]
    static let countNames = ["TP", "FP", "FN", "n_det"]

    init(a: EvaluationReport, b: EvaluationReport, intervals: BootstrapIntervals?) {
        self.a = a
        self.b = b
        self.intervals = intervals
        let valuesB = Dictionary(b.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { x, _ in x })
        metrics = a.metrics.map { metric in
            let interval = intervals?.summary[metric.name]
            return (
                metric.name,
                Value(a: metric.value, b: valuesB[metric.name] ?? nil, low: interval?.low, high: interval?.high)
            )
        }
        var names: [String] = []
        for row in a.classes + b.classes {
            for value in row.values where !names.contains(value.name) { names.append(value.name) }
        }
        classMetricNames = names + Self.countNames
        let rowsB = Dictionary(b.classes.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        var ids = a.classes.map(\.id)
        for row in b.classes where !ids.contains(row.id) { ids.append(row.id) }
        let rowsA = Dictionary(a.classes.map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        classes = ids.map { id in
            let rowA = rowsA[id]
            let rowB = rowsB[id]
            var classIntervals: [String: BootstrapIntervals.Interval] = [:]
            for (label, interval) in intervals?.classes[id] ?? [:] {
                let key =
                    Self.countNames.contains(label.metric)
                    ? label.metric
                    : EvaluationReport.key(
                        metric: label.metric, iou: label.iou, area: label.area, maxDetections: label.maxDetections)
                if let key, classIntervals[key] == nil { classIntervals[key] = interval }
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

    static func value(_ row: EvaluationReport.ClassRow?, _ name: String) -> Double? {
        guard let row else { return nil }
        switch name {
        case "TP": return row.counts.map { Double($0.truePositives) }
        case "FP": return row.counts.map { Double($0.falsePositives) }
        case "FN": return row.counts.map { Double($0.falseNegatives) }
        case "n_det": return row.counts.map { Double($0.detections) }
        default: return row.values.first { $0.name == name }?.value ?? nil
        }
    }

    /// The class rows to show, sorted.
    func rows(metrics: [String], sort: DiffSort, all: Bool) -> [ClassRow] {
        let shown = all ? classes : classes.filter { row in metrics.contains { row.values[$0]?.isChanged ?? false } }
        let key = metrics.first ?? "AP"
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
