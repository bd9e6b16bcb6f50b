import ArgumentParser
import EvalKit
import EvalStore

/// `--force` and the output options the analysis commands share.
struct AnalysisOptions: ParsableArguments {
    @Flag(help: "Recompute even when an identical analysis is stored.") var force = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions
}

/// Printing of stored analyses.
enum AnalysisRendering {
    /// `object` (a stored analysis' JSON) with the run's and dataset's names first.
    static func json(_ outcome: AnalysisOutcome) -> String {
        let body = outcome.analysis.result.dropFirst()
        return "{\"run\":\(JSONText.string(outcome.run.name)),\"dataset\":\(JSONText.string(outcome.dataset.name)),"
            + (body.hasPrefix("}") ? String(body.dropFirst()) : String(body))
    }

    /// A value cell: 4 decimals in tables, every digit elsewhere.
    static func cell(_ value: StoreValue, format: OutputFormat) -> ResultTable.Cell {
        if case .real(let number) = value, format == .table || format == .markdown {
            return .formatted(EvaluationRendering.fixed(number, digits: 4))
        }
        return ResultTable.Cell(value)
    }

    static func reusedNote(_ outcome: AnalysisOutcome, format: OutputFormat) {
        if format == .table {
            Console.out(outcome.wasReused ? "(stored \(outcome.analysis.createdAt); --force recomputes)\n" : "")
        }
    }
}

/// `evaldb confusion RUN`.
struct Confusion: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The detection confusion matrix of a run, as Ultralytics defines it.",
        discussion: """
            Per image, detections scoring above --score-threshold are matched to ground truth regardless of class: \
            every pair with IoU above --iou is a candidate, each detection keeps its best candidate, then each \
            ground-truth box its best remaining one. Rows are ground truth, columns predictions; a ground-truth \
            box no detection matched counts in the background column, a detection that matched nothing in the \
            background row. Ground truth the protocols ignore (crowd, difficult, VisDrone ignored) is left out. \
            Both comparisons are strict (>), as in Ultralytics. The matrix is stored and reused (view `confusion`).
            """)

    @Argument(help: ArgumentHelp("The run's name.", valueName: "run")) var runName: String
    @Option(help: "Match boxes whose IoU is above this.") var iou: Double = 0.5
    @Option(help: "Count detections scoring above this.") var scoreThreshold: Double = 0.25
    @Flag(help: "Print each row as fractions of its total (per ground-truth class; the background row per prediction).")
    var normalize = false
    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        guard iou >= 0 && iou < 1 else { throw ValidationError("--iou must be in [0, 1), got \(iou)") }
        guard scoreThreshold.isFinite else { throw ValidationError("--score-threshold must be a number") }
    }

    func run() throws {
        let store = try options.database.open(.write)
        let outcome = try AnalysisService(store).confusion(
            runName: runName, iouThreshold: iou, scoreThreshold: scoreThreshold, force: options.force)
        let rows = try store.analyses.rows(of: outcome.analysis).rows
        // Labels in the order stored (classes, then background) and the matrix.
        var labels: [String] = []
        var index: [String: Int] = [:]
        for row in rows {
            if case .text(let name) = row[1], index[name] == nil {
                index[name] = labels.count
                labels.append(name)
            }
        }
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        var key: [String] = []
        for row in rows {
            guard case .text(let truth) = row[1], case .text(let predicted) = row[3], case .integer(let count) = row[4],
                let r = index[truth], let c = index[predicted]
            else { continue }
            matrix[r][c] = Int(count)
            if r == 0 { key.append(predicted) }
        }
        let format = options.output.format
        if format == .json {
            var text = AnalysisRendering.json(outcome)
            if normalize {
                let fractions = matrix.map { row in
                    "[" + Self.normalized(row).map { $0.map { "\($0)" } ?? "null" }.joined(separator: ",") + "]"
                }
                text = text.replacingOccurrences(
                    of: "\"matrix\":", with: "\"normalized\":[\(fractions.joined(separator: ","))],\"matrix\":")
            }
            Console.out(text + "\n")
            return
        }
        if format == .table {
            Console.out(
                "Confusion matrix of \(outcome.run.name) (IoU > \(iou), score > \(scoreThreshold)\(normalize ? ", rows normalized" : "")): rows ground truth, columns predicted\n"
            )
            AnalysisRendering.reusedNote(outcome, format: format)
        }
        var table = ResultTable(columns: ["ground_truth"] + labels, rows: [])
        for (r, label) in labels.enumerated() {
            let cells: [ResultTable.Cell] =
                normalize
                ? Self.normalized(matrix[r]).map { value in
                    guard let value else { return .null }
                    return AnalysisRendering.cell(.real(value), format: format)
                }
                : matrix[r].map { .integer(Int64($0)) }
            table.rows.append([.text(label)] + cells)
        }
        table.print(format)
    }

    /// A row as fractions of its sum (nil for an empty row).
    static func normalized(_ row: [Int]) -> [Double?] {
        let total = row.reduce(0, +)
        return row.map { total > 0 ? Double($0) / Double(total) : nil }
    }
}

/// `evaldb thresholds RUN`.
struct Thresholds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The score threshold of best F1 per class and overall, from the protocol's exact outcomes.",
        discussion: """
            Each detection the protocol counts at --iou is a true or a false positive (crowd, difficult and \
            ignored matches and detections beyond the budget are left out), exactly as `evaldb eval` counts it. \
            For every distinct score s, the detections scoring >= s give TP, FP, FN = ground truth - TP, \
            precision, recall and F1 = 2TP / (2TP + FP + FN); the threshold printed is the score of best F1 (the \
            highest among equals). "all classes" pools every class under one threshold. With \
            --target-precision P, the lowest threshold whose precision reaches P is printed too. The result is \
            stored and reused (view `thresholds`).
            """)

    @Argument(help: ArgumentHelp("The run's name.", valueName: "run")) var runName: String
    @Option(help: "coco, voc07, voc12 or visdrone (default: the dataset's protocol).")
    var `protocol`: EvaluationProtocol?
    @Option(help: "The IoU at which detections are true positives.") var iou: Double = 0.5
    @Option(help: ArgumentHelp("Also find the lowest threshold reaching this precision.", valueName: "0.9"))
    var targetPrecision: Double?
    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        guard iou > 0 && iou <= 1 else { throw ValidationError("--iou must be in (0, 1], got \(iou)") }
        if let targetPrecision, !(targetPrecision > 0 && targetPrecision <= 1) {
            throw ValidationError("--target-precision must be in (0, 1], got \(targetPrecision)")
        }
    }

    func run() throws {
        let store = try options.database.open(.write)
        let outcome = try AnalysisService(store).thresholds(
            runName: runName, evaluationProtocol: `protocol`, iouThreshold: iou, targetPrecision: targetPrecision,
            force: options.force)
        let format = options.output.format
        if format == .json {
            Console.out(AnalysisRendering.json(outcome) + "\n")
            return
        }
        let result = try store.analyses.rows(of: outcome.analysis)
        // category_id, category, n_gt, threshold, precision, recall, F1, TP, FP, FN, target_precision,
        // target_threshold, target_reached, target_recall
        var columns = ["category_id", "category", "n_gt", "threshold", "precision", "recall", "F1", "TP", "FP", "FN"]
        var width = 10
        if targetPrecision != nil {
            columns += ["target_threshold", "target_precision", "target_recall"]
            width = 14
        }
        var table = ResultTable(columns: columns, rows: [])
        for row in result.rows {
            var cells = row.prefix(10).map { AnalysisRendering.cell($0, format: format) }
            if width == 14 { cells += row[11...13].map { AnalysisRendering.cell($0, format: format) } }
            table.rows.append(cells)
        }
        if format == .table {
            let target = targetPrecision.map { "; lowest threshold with precision >= \($0)" } ?? ""
            Console.out(
                "Score thresholds of \(outcome.run.name) (\(outcome.analysis.protocolName) outcomes at IoU \(iou); best F1\(target))\n"
            )
            AnalysisRendering.reusedNote(outcome, format: format)
        }
        table.print(format)
    }
}
