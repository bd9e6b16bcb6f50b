import ArgumentParser
import EvalFormats
import EvalKit
import EvalStore

/// Printing `evaldb diff` in every output format.
enum DiffRendering {
    static func print(_ report: DiffReport, metrics: [String], sort: DiffSort, all: Bool, format: OutputFormat) {
        let rows = report.rows(metrics: metrics, sort: sort, all: all)
        switch format {
        case .json:
            Console.out(json(report, metrics: metrics, sort: sort) + "\n")
        case .jsonl:
            Console.out(json(report, metrics: metrics, sort: sort).filter { $0 != "\n" } + "\n")
        case .csv, .tsv:
            long(report, rows: rows, metrics: metrics).print(format)
        case .table, .markdown:
            let markdown = format == .markdown
            var text = header(report, markdown: markdown) + "\n"
            text += Renderer.render(summaryTable(report, markdown: markdown), as: format)
            text += "\n"
            if rows.isEmpty {
                text += "No class changed in \(metrics.joined(separator: ", ")).\n"
            } else {
                text += Renderer.render(classTable(report, rows: rows, metrics: metrics), as: format)
                if !all && rows.count < report.classes.count {
                    text +=
                        "\n\(rows.count) of \(report.classes.count) classes changed in \(metrics.joined(separator: ", ")); --all shows every class.\n"
                }
            }
            if let intervals = report.intervals {
                text +=
                    "\nIntervals: paired bootstrap over \(intervals.imageCount) images, \(intervals.resamples) resamples, seed \(intervals.seed), \(ConfidenceLevel.percent(intervals.level)) (percentile); * marks a change whose interval excludes 0.\n"
            }
            Console.out(text)
        }
    }

    static func header(_ report: DiffReport, markdown: Bool) -> String {
        let settings = report.a.parameters.nonDefaultSettings(categories: report.a.categories)
        let text =
            "\(report.a.run) -> \(report.b.run): dataset \(report.b.dataset), protocol \(report.a.protocolName)"
            + settings.map { "; \($0)" }.joined()
        return markdown ? "**\(text)**\n" : text + "\n"
    }

    /// Values: fractions with 4 decimals, counts as integers; changes signed.
    static func format(_ value: Double?, metric: String, signed: Bool = false) -> String {
        guard let value else { return "-" }
        if DiffReport.countNames.contains(metric) {
            let integer = Int(value.rounded())
            return signed && integer > 0 ? "+\(integer)" : "\(integer)"
        }
        let text = EvaluationRendering.fixed(value, digits: 4)
        return signed && value >= 0 && !text.hasPrefix("-") ? "+" + text : text
    }

    static func change(_ value: DiffReport.Value, metric: String) -> String {
        let text = format(value.change, metric: metric, signed: true)
        return value.isSignificant ? text + " *" : value.low == nil ? text : text + "  "
    }

    static func interval(_ value: DiffReport.Value, metric: String) -> String {
        guard let low = value.low, let high = value.high else { return "-" }
        return "[\(format(low, metric: metric, signed: true)), \(format(high, metric: metric, signed: true))]"
    }

    static func summaryTable(_ report: DiffReport, markdown: Bool) -> ResultTable {
        var columns = ["Metric", report.a.run, report.b.run, "Change"]
        if let intervals = report.intervals { columns.append("\(ConfidenceLevel.percent(intervals.level)) CI") }
        let rows: [[ResultTable.Cell]] = report.metrics.map { metric, value in
            let name = metric.summaryName
            var cells: [ResultTable.Cell] = [
                .text(name), number(format(value.a, metric: name)), number(format(value.b, metric: name)),
                number(change(value, metric: name)),
            ]
            if report.intervals != nil { cells.append(.text(interval(value, metric: name))) }
            return cells
        }
        return ResultTable(columns: columns, rows: rows)
    }

    /// Right-aligned text in tables: numbers are printed pre-formatted.
    static func number(_ text: String) -> ResultTable.Cell { text == "-" ? .null : .formatted(text) }

    static func classTable(_ report: DiffReport, rows: [DiffReport.ClassRow], metrics: [String]) -> ResultTable {
        var columns = ["class", "n_gt"]
        for metric in metrics {
            columns += ["\(metric) \(report.a.run)", "\(metric) \(report.b.run)", "\(metric) change"]
            if let intervals = report.intervals {
                columns.append("\(metric) \(ConfidenceLevel.percent(intervals.level)) CI")
            }
        }
        let cells: [[ResultTable.Cell]] = rows.map { row in
            var cells: [ResultTable.Cell] = [.text(row.name), row.groundTruth.map { .integer(Int64($0)) } ?? .null]
            for metric in metrics {
                let value = row.values[metric] ?? DiffReport.Value()
                cells += [
                    number(format(value.a, metric: metric)), number(format(value.b, metric: metric)),
                    number(change(value, metric: metric)),
                ]
                if report.intervals != nil { cells.append(.text(interval(value, metric: metric))) }
            }
            return cells
        }
        return ResultTable(columns: columns, rows: cells)
    }

    /// CSV / TSV: one row per (scope, class, metric), every number at full precision.
    static func long(_ report: DiffReport, rows: [DiffReport.ClassRow], metrics: [String]) -> ResultTable {
        let columns = ["scope", "class_id", "class", "n_gt", "metric", "a", "b", "change", "ci_low", "ci_high"]
        func cell(_ value: Double?) -> ResultTable.Cell { value.map { .real($0) } ?? .null }
        var table = ResultTable(columns: columns, rows: [])
        for (metric, value) in report.metrics {
            table.rows.append(
                [
                    .text("summary"), .null, .null, .null, .text(metric.summaryName), cell(value.a), cell(value.b),
                    cell(value.change),
                    cell(value.low), cell(value.high),
                ])
        }
        for row in rows {
            for metric in metrics {
                let value = row.values[metric] ?? DiffReport.Value()
                table.rows.append(
                    [
                        .text("class"), .integer(row.id), .text(row.name),
                        row.groundTruth.map { .integer(Int64($0)) } ?? .null,
                        .text(metric), cell(value.a), cell(value.b), cell(value.change), cell(value.low),
                        cell(value.high),
                    ])
            }
        }
        return table
    }

    static func json(_ report: DiffReport, metrics: [String], sort: DiffSort) -> String {
        func number(_ value: Double?) -> String { EvaluationRendering.number(value) }
        func object(_ value: DiffReport.Value) -> String {
            "{\"a\": \(number(value.a)), \"b\": \(number(value.b)), \"change\": \(number(value.change)), \"ci_low\": \(number(value.low)), \"ci_high\": \(number(value.high))}"
        }
        let summary = report.metrics.map { "    \(Renderer.jsonString($0.metric.summaryName)): \(object($0.value))" }
        let classes = report.rows(metrics: metrics, sort: sort, all: true).map { row -> String in
            var fields = [
                "\"id\": \(row.id)", "\"name\": \(Renderer.jsonString(row.name))",
                "\"n_gt\": \(row.groundTruth.map(String.init) ?? "null")",
            ]
            fields += report.classMetricNames.compactMap { name in
                row.values[name].map { "\(Renderer.jsonString(name)): \(object($0))" }
            }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        var header =
            "{\"a\": \(Renderer.jsonString(report.a.run)), \"b\": \(Renderer.jsonString(report.b.run)), \"dataset\": \(Renderer.jsonString(report.b.dataset)), \"protocol\": \(Renderer.jsonString(report.a.protocolName)), \"params\": \(report.a.parametersJSON)"
        if let intervals = report.intervals {
            header +=
                ", \"resamples\": \(intervals.resamples), \"seed\": \(intervals.seed), \"level\": \(intervals.level), \"images\": \(intervals.imageCount), \"method\": \"paired bootstrap over images, percentile intervals\""
        }
        return header + ",\n  \"metrics\": {\n" + summary.joined(separator: ",\n") + "\n  },\n  \"classes\": [\n"
            + classes.joined(separator: ",\n") + "\n  ]}"
    }

    /// The SQL that gives the per-class table from the views.
    static func sql(_ report: DiffReport, metrics: [String], evaluationA: Int64, evaluationB: Int64) -> String {
        func literal(_ value: Double?) -> String { value.map { " = \($0)" } ?? " IS NULL" }
        func expression(_ alias: String, _ key: String) -> String {
            if key == DiffReport.detectionCountKey { return "\(alias).n_det" }
            guard let metric = report.classMetricsByKey[key] else { return "NULL" }
            switch metric.statistic {
            case .truePositives, .falsePositives, .falseNegatives:
                return "\(alias).\(metric.statistic.rawValue.lowercased())"
            case .averagePrecision where metric.iou == nil && metric.area == Metric.allAreas:
                return "\(alias).AP"
            case .averagePrecision, .averageRecall:
                let area = metric.area.replacingOccurrences(of: "'", with: "''")
                let maxDets = metric.maxDetections.map { " = \($0)" } ?? " IS NULL"
                let condition =
                    "metric = '\(metric.statistic.rawValue)' AND iou\(literal(metric.iou)) AND area = '\(area)' AND max_dets\(maxDets)"
                return
                    "(SELECT value FROM class_ap c WHERE c.evaluation_id = \(alias).evaluation_id AND c.category_id = \(alias).category_id AND \(condition))"
            }
        }
        func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var select = ["a.category AS class", "a.n_gt"]
        for metric in metrics {
            let x = expression("a", metric)
            let y = expression("b", metric)
            select += [
                "\(x) AS \(quoted("\(metric) \(report.a.run)"))", "\(y) AS \(quoted("\(metric) \(report.b.run)"))",
                "\(y) - \(x) AS \(quoted("\(metric) change"))",
            ]
        }
        let first = metrics.first.map { quoted("\($0) change") } ?? "class"
        return """
            /* \(report.a.run) -> \(report.b.run), protocol \(report.a.protocolName): every class, largest drop first.
               Run it with: evaldb sql "$(evaldb diff \(report.a.run) \(report.b.run) --show-sql)" */
            SELECT \(select.joined(separator: ",\n       "))
            FROM class_summary a
            JOIN class_summary b ON b.category_id = a.category_id
            WHERE a.evaluation_id = \(evaluationA) AND b.evaluation_id = \(evaluationB)
            ORDER BY \(first) IS NULL, \(first), a.category_id;

            """
    }

    static func printImages(
        store: any Store, runA: String, runB: String, request: EvaluationRequest, className: String?, limit: Int,
        format: OutputFormat
    ) throws {
        var category: Int64?
        if let className {
            let run = try store.runs.require(name: runA)
            let categories = try store.datasets.categories(datasetID: run.datasetID)
            guard let match = categories.first(where: { $0.name == className || String($0.id) == className }) else {
                throw ValidationError(
                    "--class: no class '\(className)'; known: \(categories.prefix(12).map(\.name).joined(separator: ", "))"
                )
            }
            category = match.id
        }
        let (threshold, images) = try BootstrapService(store).imageChanges(
            runA: runA, runB: runB, request: request, category: category, limit: limit)
        let columns = [
            "image", "TP \(runA)", "TP \(runB)", "FP \(runA)", "FP \(runB)", "FN \(runA)", "FN \(runB)", "change",
        ]
        let rows: [[ResultTable.Cell]] = images.map { image in
            [
                .text(image.fileName), .integer(Int64(image.a.tp)), .integer(Int64(image.b.tp)),
                .integer(Int64(image.a.fp)), .integer(Int64(image.b.fp)), .integer(Int64(image.a.fn)),
                .integer(Int64(image.b.fn)), .integer(Int64(image.size)),
            ]
        }
        let table = ResultTable(columns: columns, rows: rows)
        if format == .table || format == .markdown {
            Console.out(
                "Images whose TP/FP/FN changed most at IoU \(Renderer.formatReal(threshold))\(className.map { ", class \($0)" } ?? "") (change = |dTP| + |dFP| + |dFN|):\n\n"
            )
        }
        table.print(format)
    }
}
