import EvalKit
import EvalStore

/// `evaldb diff A B --errors`: the error analyses of both runs side by side.
enum DiffErrorsRendering {
    /// One compared value: a section (`tide`, `thresholds`, `confusion`), the row (an error type or a class),
    /// what is compared, and both runs' values.
    struct Line {
        var section: String
        var key: String
        var measure: String
        var a: StoreValue
        var b: StoreValue
    }

    static func print(
        store: any Store, runA: String, runB: String, evaluationProtocol: EvaluationProtocol, format: OutputFormat
    ) throws {
        let service = AnalysisService(store)
        let errorsA = try service.errors(runName: runA, evaluationProtocol: evaluationProtocol)
        let errorsB = try service.errors(runName: runB, evaluationProtocol: evaluationProtocol)
        let thresholdsA = try service.thresholds(
            runName: runA, evaluationProtocol: evaluationProtocol, iouThreshold: 0.5, targetPrecision: nil)
        let thresholdsB = try service.thresholds(
            runName: runB, evaluationProtocol: evaluationProtocol, iouThreshold: 0.5, targetPrecision: nil)
        let confusionA = try service.confusion(runName: runA, iouThreshold: 0.5, scoreThreshold: 0.25)
        let confusionB = try service.confusion(runName: runB, iouThreshold: 0.5, scoreThreshold: 0.25)
        if format == .json {
            func pair(_ a: AnalysisOutcome, _ b: AnalysisOutcome) -> String {
                "{\"a\":\(a.analysis.result),\"b\":\(b.analysis.result)}"
            }
            Console.out(
                "{\"a\":\(JSONText.string(runA)),\"b\":\(JSONText.string(runB)),"
                    + "\"dataset\":\(JSONText.string(errorsA.dataset.name)),"
                    + "\"errors\":\(pair(errorsA, errorsB)),\"thresholds\":\(pair(thresholdsA, thresholdsB)),"
                    + "\"confusion\":\(pair(confusionA, confusionB))}\n")
            return
        }
        var lines = try tideLines(store, errorsA, errorsB)
        lines += try thresholdLines(store, thresholdsA, thresholdsB)
        lines += try confusionLines(store, confusionA, confusionB)
        if format == .table || format == .markdown {
            if format == .table {
                Console.out(
                    "Errors of \(runA) (A) and \(runB) (B): TIDE at IoU 0.5 with \(errorsA.analysis.protocolName) AP50, best-F1 thresholds, confusion (IoU > 0.5, score > 0.25)\n"
                )
            }
            for (section, title, measures) in [
                ("tide", "TIDE: count and dAP (AP50 gained by fixing the type)", ["count", "dAP"]),
                ("thresholds", "Best-F1 score thresholds at IoU 0.5", ["threshold", "F1"]),
                ("confusion", "Confusion: ground truth found as its class, as another class, or missed", [
                    "correct", "confused", "missed",
                ]),
            ] {
                Console.out("\n\(title)\n")
                table(lines.filter { $0.section == section }, measures: measures, format: format).print(format)
            }
            return
        }
        let columns = ["section", "key", "measure", runA, runB, "change"]
        let rows: [[ResultTable.Cell]] = lines.map {
            [.text($0.section), .text($0.key), .text($0.measure), ResultTable.Cell($0.a), ResultTable.Cell($0.b),
             change($0.a, $0.b)]
        }
        ResultTable(columns: columns, rows: rows).print(format)
    }

    /// B - A of two numbers; null when either is not a number.
    static func change(_ a: StoreValue, _ b: StoreValue) -> ResultTable.Cell {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return .integer(y - x)
        case (.integer(let x), .real(let y)): return .real(y - Double(x))
        case (.real(let x), .integer(let y)): return .real(Double(y) - x)
        case (.real(let x), .real(let y)): return .real(y - x)
        default: return .null
        }
    }

    /// A table with one row per key and, per measure, A, B and the change.
    static func table(_ lines: [Line], measures: [String], format: OutputFormat) -> ResultTable {
        var keys: [String] = []
        for line in lines where !keys.contains(line.key) { keys.append(line.key) }
        var columns = [""]
        for measure in measures { columns += ["\(measure) A", "\(measure) B", "change"] }
        var table = ResultTable(columns: columns, rows: [])
        for key in keys {
            var row: [ResultTable.Cell] = [.text(key)]
            for measure in measures {
                let line = lines.first { $0.key == key && $0.measure == measure }
                let a = line?.a ?? .null
                let b = line?.b ?? .null
                row += [
                    AnalysisRendering.cell(a, format: format), AnalysisRendering.cell(b, format: format),
                    changeCell(change(a, b), format: format),
                ]
            }
            table.rows.append(row)
        }
        return table
    }

    static func changeCell(_ cell: ResultTable.Cell, format: OutputFormat) -> ResultTable.Cell {
        switch cell {
        case .real(let value) where format == .table || format == .markdown:
            return .formatted((value >= 0 ? "+" : "") + EvaluationRendering.fixed(value, digits: 4))
        case .integer(let value): return .formatted(value > 0 ? "+\(value)" : "\(value)")
        default: return cell
        }
    }

    static func tideLines(_ store: any Store, _ a: AnalysisOutcome, _ b: AnalysisOutcome) throws -> [Line] {
        // category_id, category, AP50, error, count, dAP; overall rows only.
        let rowsA = try store.analyses.rows(of: a.analysis).rows.filter { $0[0] == .null }
        let rowsB = try store.analyses.rows(of: b.analysis).rows.filter { $0[0] == .null }
        var lines = [
            Line(section: "tide", key: "AP50", measure: "dAP", a: rowsA.first?[2] ?? .null, b: rowsB.first?[2] ?? .null)
        ]
        for type in TideError.allCases.map(\.rawValue) + ["FalsePos", "FalseNeg"] {
            let rowA = rowsA.first { $0[3] == .text(type) }
            let rowB = rowsB.first { $0[3] == .text(type) }
            if type.first!.isLowercase {
                lines.append(Line(section: "tide", key: type, measure: "count", a: rowA?[4] ?? .null, b: rowB?[4] ?? .null))
            }
            lines.append(Line(section: "tide", key: type, measure: "dAP", a: rowA?[5] ?? .null, b: rowB?[5] ?? .null))
        }
        return lines
    }

    static func thresholdLines(_ store: any Store, _ a: AnalysisOutcome, _ b: AnalysisOutcome) throws -> [Line] {
        // category_id, category, n_gt, threshold, precision, recall, F1, ...
        let rowsA = try store.analyses.rows(of: a.analysis).rows
        let rowsB = try store.analyses.rows(of: b.analysis).rows
        var lines: [Line] = []
        for rowA in rowsA {
            guard case .text(let name) = rowA[1] else { continue }
            let rowB = rowsB.first { $0[0] == rowA[0] }
            lines.append(Line(section: "thresholds", key: name, measure: "threshold", a: rowA[3], b: rowB?[3] ?? .null))
            lines.append(Line(section: "thresholds", key: name, measure: "F1", a: rowA[6], b: rowB?[6] ?? .null))
        }
        return lines
    }

    static func confusionLines(_ store: any Store, _ a: AnalysisOutcome, _ b: AnalysisOutcome) throws -> [Line] {
        // gt_category_id, gt_category, predicted_category_id, predicted_category, count
        func summary(_ outcome: AnalysisOutcome) throws -> [(key: String, correct: Int64, confused: Int64, missed: Int64)] {
            var result: [(key: String, correct: Int64, confused: Int64, missed: Int64)] = []
            for row in try store.analyses.rows(of: outcome.analysis).rows {
                guard case .text(let truth) = row[1], case .integer(let count) = row[4] else { continue }
                if result.last?.key != truth { result.append((truth, 0, 0, 0)) }
                let isBackgroundRow = row[0] == .null
                if row[2] == .null {
                    result[result.count - 1].missed += count
                } else if row[2] == row[0] && !isBackgroundRow {
                    result[result.count - 1].correct += count
                } else {
                    result[result.count - 1].confused += count
                }
            }
            return result
        }
        let summaryA = try summary(a)
        let summaryB = try summary(b)
        var lines: [Line] = []
        for itemA in summaryA {
            let itemB = summaryB.first { $0.key == itemA.key }
            if itemA.key == "background" {
                // The background row: detections that matched nothing (false positives), in "confused".
                lines.append(
                    Line(
                        section: "confusion", key: "background (FP)", measure: "confused", a: .integer(itemA.confused),
                        b: .integer(itemB?.confused ?? 0)))
                continue
            }
            lines.append(
                Line(section: "confusion", key: itemA.key, measure: "correct", a: .integer(itemA.correct), b: .integer(itemB?.correct ?? 0)))
            lines.append(
                Line(section: "confusion", key: itemA.key, measure: "confused", a: .integer(itemA.confused), b: .integer(itemB?.confused ?? 0)))
            lines.append(
                Line(section: "confusion", key: itemA.key, measure: "missed", a: .integer(itemA.missed), b: .integer(itemB?.missed ?? 0)))
        }
        return lines
    }
}
