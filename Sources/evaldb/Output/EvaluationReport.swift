import EvalFormats
import EvalStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One stored evaluation read back for printing.
struct EvaluationReport {
    struct ClassRow {
        var id: Int64
        var name: String
        /// Metric name (AP, AP50, AP75, AP_small, AR100, ...) and value, in print order.
        var values: [(name: String, value: Double?)]
        var counts: EvaluationRecord.ClassCounts?
    }

    var run: String
    var dataset: String
    var protocolName: String
    var parametersJSON: String
    var metrics: [EvaluationRecord.Metric]
    var classes: [ClassRow]
    var settings: ProtocolSettingsSummary

    init(outcome: EvaluationOutcome, database: Database) throws {
        let store = EvaluationStore(database)
        let id = outcome.evaluation.id
        run = outcome.run.name
        dataset = outcome.dataset.name
        protocolName = outcome.evaluation.protocolName
        parametersJSON = outcome.evaluation.parameters
        metrics = try store.metrics(evaluationID: id)
        settings = ProtocolSettingsSummary(json: parametersJSON)
        let names = Dictionary(uniqueKeysWithValues: outcome.categories.map { ($0.id, $0.name) })
        let counts = Dictionary(
            uniqueKeysWithValues: try store.classCounts(evaluationID: id).map { ($0.categoryID, $0) })
        var rows: [Int64: [(String, Double?)]] = [:]
        var order: [Int64] = []
        for metric in try store.classMetrics(evaluationID: id) {
            guard let key = Self.key(for: metric) else { continue }
            if rows[metric.categoryID] == nil { order.append(metric.categoryID) }
            rows[metric.categoryID, default: []].append((key, metric.value))
        }
        for id in counts.keys where rows[id] == nil { order.append(id) }
        classes = order.sorted().map { category in
            ClassRow(
                id: category, name: names[category] ?? "class \(category)",
                values: (rows[category] ?? []).map { (name: $0.0, value: $0.1) }, counts: counts[category])
        }
    }

    /// The JSON key of a per-class metric, or nil for the ones kept only in SQL.
    static func key(for metric: EvaluationRecord.ClassMetric) -> String? {
        key(metric: metric.metric, iou: metric.iou, area: metric.area, maxDetections: metric.maxDetections)
    }

    /// The JSON key of a per-class value labelled this way (AP, AP_small, AP50, AR100, ...), or nil.
    static func key(metric: String, iou: Double?, area areaName: String, maxDetections: Int?) -> String? {
        let area = areaName == "all" ? "" : "_\(areaName)"
        switch metric {
        case "AP":
            guard let iou else { return "AP" + area }
            guard area.isEmpty else { return nil }
            if iou == 0.5 { return "AP50" }
            if iou == 0.75 { return "AP75" }
            return nil
        case "AR":
            guard iou == nil, let maxDets = maxDetections else { return nil }
            return area.isEmpty ? "AR\(maxDets)" : "AR\(maxDets)\(area)"
        default:
            return nil
        }
    }
}

/// The few settings the printed summary lines need, read back from the canonical JSON.
struct ProtocolSettingsSummary {
    var iou: [Double] = []
    var maxDets: [Int] = []

    init(json: String) {
        func numbers(after key: String) -> [Double] {
            guard let range = json.firstRange(of: "\"\(key)\":[") else { return [] }
            let rest = json[range.upperBound...]
            guard let end = rest.firstIndex(of: "]") else { return [] }
            return rest[..<end].split(separator: ",").compactMap { Double($0) }
        }
        iou = numbers(after: "iou")
        maxDets = numbers(after: "max_dets").map { Int($0) }
    }
}

/// Printing evaluations in every output format.
enum EvaluationRendering {
    static func print(_ reports: [EvaluationReport], format: OutputFormat, perClass: Bool) {
        switch format {
        case .json:
            let objects = reports.map(json)
            Console.out((objects.count == 1 ? objects[0] : "[\n" + objects.joined(separator: ",\n") + "\n]") + "\n")
        case .jsonl:
            Console.out(reports.map { json($0) + "\n" }.joined())
        case .table, .markdown:
            for (index, report) in reports.enumerated() {
                if index > 0 { Console.out("\n") }
                Console.out(summaryText(report, markdown: format == .markdown))
                if perClass {
                    Console.out("\n")
                    classTable(report).print(format)
                }
            }
        case .csv, .tsv:
            var table = ResultTable(columns: ["run", "dataset", "protocol", "metric", "value"], rows: [])
            for report in reports {
                for metric in report.metrics {
                    table.rows.append([
                        .text(report.run), .text(report.dataset), .text(report.protocolName), .text(metric.name),
                        metric.value.map { .real($0) } ?? .null,
                    ])
                }
            }
            if perClass {
                var classes = ResultTable(columns: ["run"] + classTable(reports.first).columns, rows: [])
                for report in reports {
                    classes.rows += classTable(report).rows.map { [.text(report.run)] + $0 }
                }
                table = classes
            }
            table.print(format)
        }
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "null" }
        return value.isFinite ? "\(value)" : "null"
    }

    static func json(_ report: EvaluationReport) -> String {
        let metrics = report.metrics.map { "\(Renderer.jsonString($0.name)): \(number($0.value))" }
        let classes = report.classes.map { row -> String in
            var fields = ["\"id\": \(row.id)", "\"name\": \(Renderer.jsonString(row.name))"]
            fields += row.values.map { "\(Renderer.jsonString($0.name)): \(number($0.value))" }
            if let counts = row.counts {
                fields += [
                    "\"n_gt\": \(counts.groundTruth)", "\"n_det\": \(counts.detections)",
                    "\"tp\": \(counts.truePositives)",
                    "\"fp\": \(counts.falsePositives)", "\"fn\": \(counts.falseNegatives)",
                ]
            }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        return """
            {"run": \(Renderer.jsonString(report.run)), "dataset": \(Renderer.jsonString(report.dataset)), \
            "protocol": \(Renderer.jsonString(report.protocolName)), "params": \(report.parametersJSON),
              "metrics": {\(metrics.joined(separator: ", "))},
              "classes": [
            \(classes.joined(separator: ",\n"))
              ]}
            """
    }

    /// `%0.3f` (or `digits` places), or "-" for undefined.
    static func fixed(_ value: Double?, digits: Int = 3) -> String {
        guard let value else { return "-" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = withVaList([value]) { vsnprintf(&buffer, 64, "%0.\(digits)f", $0) }
        return String(decoding: buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    /// The summary lines, in pycocotools' layout for coco and alike for the other protocols.
    static func summaryText(_ report: EvaluationReport, markdown: Bool) -> String {
        var lines = ["\(report.run) on \(report.dataset), protocol \(report.protocolName)"]
        let value = Dictionary(report.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let iou = report.settings.iou
        let range =
            iou.count > 1 ? "\(fixed(iou.first, digits: 2)):\(fixed(iou.last, digits: 2))" : fixed(iou.first, digits: 2)
        func line(_ precision: Bool, _ iouText: String, _ area: String?, _ maxDets: Int?, _ name: String) -> String {
            let title = precision ? "Average Precision  (AP)" : "Average Recall     (AR)"
            var text = " \(title) @[ IoU=\(pad(iouText, 9))"
            if let area { text += " | area=\(pad(area, 6, right: true))" }
            if let maxDets { text += " | maxDets=\(pad(String(maxDets), 3, right: true))" }
            return text + " ] = \(fixed(value[name] ?? nil))"
        }
        switch report.protocolName {
        case "coco":
            let m = report.settings.maxDets
            let last = m.last ?? 100
            let m0 = m.count > 0 ? m[0] : last
            let m1 = m.count > 1 ? m[1] : last
            lines += [
                line(true, range, "all", 100, "AP"), line(true, "0.50", "all", last, "AP50"),
                line(true, "0.75", "all", last, "AP75"), line(true, range, "small", last, "APs"),
                line(true, range, "medium", last, "APm"), line(true, range, "large", last, "APl"),
                line(false, range, "all", m0, "AR\(m0)"), line(false, range, "all", m1, "AR\(m1)"),
                line(false, range, "all", last, "AR\(last)"), line(false, range, "small", last, "ARs"),
                line(false, range, "medium", last, "ARm"), line(false, range, "large", last, "ARl"),
            ]
        case "visdrone":
            let m = report.settings.maxDets
            let last = m.last ?? 500
            lines += [
                line(true, range, nil, last, "AP"), line(true, "0.50", nil, last, "AP50"),
                line(true, "0.75", nil, last, "AP75"),
            ]
            lines += m.map { line(false, range, nil, $0, "AR\($0)") }
        default:
            let kind = report.protocolName == "voc07" ? "VOC2007 11-point" : "VOC2010+ all-point"
            lines.append(" mAP @[ IoU=\(fixed(iou.first, digits: 2)) ] (\(kind)) = \(fixed(value["mAP"] ?? nil))")
        }
        if markdown { return "```\n" + lines.joined(separator: "\n") + "\n```\n" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func classTable(_ report: EvaluationReport?) -> ResultTable {
        guard let report else { return ResultTable(columns: ["class"], rows: []) }
        var metricNames: [String] = []
        for row in report.classes {
            for value in row.values where !metricNames.contains(value.name) { metricNames.append(value.name) }
        }
        let columns = ["id", "class", "n_gt", "n_det", "tp", "fp", "fn"] + metricNames
        let rows: [[ResultTable.Cell]] = report.classes.map { row in
            let counts = row.counts
            var cells: [ResultTable.Cell] = [.integer(row.id), .text(row.name)]
            cells += [
                counts?.groundTruth, counts?.detections, counts?.truePositives, counts?.falsePositives,
                counts?.falseNegatives,
            ]
            .map { $0.map { .integer(Int64($0)) } ?? .null }
            let values = Dictionary(row.values.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            cells += metricNames.map { name in (values[name] ?? nil).map { .text(fixed($0)) } ?? .null }
            return cells
        }
        return ResultTable(columns: columns, rows: rows)
    }
}
