import EvalFormats
import EvalKit
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
        /// The per-class values that have a key (`Metric.classKey`: AP, AP50, AP_small, AR100, ...), in print
        /// order.
        var values: [(metric: Metric, value: Double?)]
        var counts: EvaluationResult.ClassCounts?

        /// The value under `key`, nil when undefined or absent.
        func value(_ key: String) -> Double? { values.first { $0.metric.classKey == key }?.value ?? nil }
    }

    var run: String
    var dataset: String
    var parameters: EvaluationParameters
    /// The stored parameters' JSON.
    var parametersJSON: String
    var summary: [EvaluationResult.SummaryValue]
    var classes: [ClassRow]
    /// The dataset's categories.
    var categories: [CategoryRecord]

    var protocolName: String { parameters.evaluationProtocol.rawValue }

    init(outcome: EvaluationOutcome, store: any Store) throws {
        let evaluations = store.evaluations
        let id = outcome.evaluation.id
        run = outcome.run.name
        dataset = outcome.dataset.name
        parameters = outcome.parameters
        parametersJSON = outcome.evaluation.parameters
        categories = outcome.categories
        summary = try evaluations.summary(evaluationID: id, parameters: parameters)
        let names = Dictionary(uniqueKeysWithValues: outcome.categories.map { ($0.id, $0.name) })
        let counts = Dictionary(
            try evaluations.classCounts(evaluationID: id).map { ($0.categoryID, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [Int64: [(Metric, Double?)]] = [:]
        for item in try evaluations.classValues(evaluationID: id, evaluationProtocol: parameters.evaluationProtocol)
        where item.metric.classKey != nil {
            rows[item.categoryID, default: []].append((item.metric, item.value))
        }
        let ids = Set(rows.keys).union(counts.keys).sorted()
        classes = ids.map { category in
            ClassRow(
                id: category, name: names[category] ?? "class \(category)",
                values: (rows[category] ?? []).map { (metric: $0.0, value: $0.1) }, counts: counts[category])
        }
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
            // One object per line: JSON strings hold no raw line breaks, so the layout's breaks can go.
            Console.out(reports.map { json($0).filter { $0 != "\n" } + "\n" }.joined())
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
                for item in report.summary {
                    table.rows.append([
                        .text(report.run), .text(report.dataset), .text(report.protocolName),
                        .text(item.metric.summaryName), item.value.map { .real($0) } ?? .null,
                    ])
                }
            }
            if perClass {
                var classes = ResultTable(columns: ["run"] + classTable(reports.first).columns, rows: [])
                for report in reports {
                    classes.rows += classTable(report, fullPrecision: true).rows.map { [.text(report.run)] + $0 }
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
        let metrics = report.summary.map {
            "\(Renderer.jsonString($0.metric.summaryName)): \(number($0.value))"
        }
        let classes = report.classes.map { row -> String in
            var fields = ["\"id\": \(row.id)", "\"name\": \(Renderer.jsonString(row.name))"]
            fields += row.values.compactMap { item in
                item.metric.classKey.map { "\(Renderer.jsonString($0)): \(number(item.value))" }
            }
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

    /// The summary lines, in pycocotools' layout for coco and alike for the other protocols: one per summary
    /// metric, its threshold, area and budget read from the metric.
    static func summaryText(_ report: EvaluationReport, markdown: Bool) -> String {
        let settings = report.parameters.nonDefaultSettings(categories: report.categories)
        var lines = [
            "\(report.run) on \(report.dataset), protocol \(report.protocolName)"
                + settings.map { "; \($0)" }.joined()
        ]
        // pycocotools' label of the thresholds' mean, first:last even for one threshold (0.50:0.50), so that it
        // never reads like the line of one threshold (0.50).
        let iou = report.parameters.iouThresholds
        let range = "\(fixed(iou.first, digits: 2)):\(fixed(iou.last, digits: 2))"
        for item in report.summary {
            lines.append(summaryLine(item, range: range))
        }
        if markdown { return "```\n" + lines.joined(separator: "\n") + "\n```\n" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.123` (the area for COCO only),
    /// or VOC's ` mAP @[ IoU=0.50 ] (VOC2007 11-point) = 0.123`.
    static func summaryLine(_ item: EvaluationResult.SummaryValue, range: String) -> String {
        let metric = item.metric
        let value = fixed(item.value)
        switch metric.evaluationProtocol {
        case .voc07, .voc12:
            let kind = metric.evaluationProtocol == .voc07 ? "VOC2007 11-point" : "VOC2010+ all-point"
            return " \(metric.summaryName) @[ IoU=\(fixed(metric.iou, digits: 2)) ] (\(kind)) = \(value)"
        case .coco, .visdrone:
            let title =
                metric.statistic == .averagePrecision ? "Average Precision  (AP)" : "Average Recall     (AR)"
            var text = " \(title) @[ IoU=\(pad(metric.iou.map { fixed($0, digits: 2) } ?? range, 9))"
            if metric.evaluationProtocol == .coco { text += " | area=\(pad(metric.area, 6, right: true))" }
            if let maxDets = metric.maxDetections { text += " | maxDets=\(pad(String(maxDets), 3, right: true))" }
            return text + " ] = \(value)"
        }
    }

    /// The per-class table: values to 3 decimals for people, or at full precision (CSV, TSV).
    static func classTable(_ report: EvaluationReport?, fullPrecision: Bool = false) -> ResultTable {
        guard let report else { return ResultTable(columns: ["class"], rows: []) }
        var metricNames: [String] = []
        for row in report.classes {
            for item in row.values {
                if let key = item.metric.classKey, !metricNames.contains(key) { metricNames.append(key) }
            }
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
            cells += metricNames.map { key in
                row.value(key).map { fullPrecision ? .real($0) : .text(fixed($0)) } ?? .null
            }
            return cells
        }
        return ResultTable(columns: columns, rows: rows)
    }
}
