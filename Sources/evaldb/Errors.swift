import ArgumentParser
import EvalKit
import EvalStore

/// `evaldb errors RUN`.
struct Errors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Which errors cost the AP: the TIDE breakdown, with the protocol's exact AP50.",
        discussion: """
            Every detection that is a false positive at the foreground IoU (the protocol's own matching, as \
            `evaldb eval` does it) gets TIDE's first applicable type: bkg (an image without ground truth), loc \
            (best IoU with a box of its class in [background, foreground]), cls (IoU >= foreground with a box of \
            another class), dupe (IoU >= foreground with a box of its class already found), bkg (IoU <= \
            background with every box), else both. A ground-truth box left unmatched that no cls or loc error \
            would find is missed. dAP is the AP50 gained by fixing one type (cls/loc: the detection becomes a \
            true positive of the box, at most one per box, the highest-scored; dupe/bkg/both: removed; missed: \
            the box removed), computed with the protocol's exact AP at the foreground IoU, so that AP50 + dAP is \
            what `evaldb eval` would print for the fixed run. FalsePos: every false positive removed; FalseNeg: \
            every unmatched box removed. The result is stored and reused (view `tide_errors`).
            """)

    @Argument(help: ArgumentHelp("The run's name.", valueName: "run")) var runName: String
    @Option(help: "coco, voc07, voc12 or visdrone (default: the dataset's protocol).")
    var `protocol`: EvaluationProtocol?
    @Option(help: "The IoU at which a detection is a true positive.") var foregroundIoU: Double = 0.5
    @Option(help: "The IoU at or below which a detection is background.") var backgroundIoU: Double = 0.1
    @Flag(help: "Also print each class's breakdown.") var perClass = false
    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        guard foregroundIoU > 0 && foregroundIoU <= 1 else {
            throw ValidationError("--foreground-iou must be in (0, 1], got \(foregroundIoU)")
        }
        guard backgroundIoU >= 0 && backgroundIoU < foregroundIoU else {
            throw ValidationError("--background-iou must be in [0, --foreground-iou), got \(backgroundIoU)")
        }
    }

    /// The columns of the long rows (`tide_errors` without run, dataset and id).
    static let longColumns = ["category_id", "category", "AP50", "error", "count", "dAP"]

    func run() throws {
        let store = try options.database.open(.write)
        let outcome = try AnalysisService(store).errors(
            runName: runName, evaluationProtocol: `protocol`, foregroundIoU: foregroundIoU,
            backgroundIoU: backgroundIoU, force: options.force)
        let format = options.output.format
        if format == .json {
            var text = AnalysisRendering.json(outcome)
            if !perClass, let range = text.firstRange(of: ",\"classes\":[") { text = String(text[..<range.lowerBound]) + "}" }
            Console.out(text + "\n")
            return
        }
        let rows = try store.analyses.rows(of: outcome.analysis).rows.filter { perClass || $0[0] == .null }
        guard format == .table || format == .markdown else {
            ResultTable(
                columns: Self.longColumns, rows: rows.map { $0.map { AnalysisRendering.cell($0, format: format) } }
            ).print(format)
            return
        }
        let types = TideError.allCases.map(\.rawValue) + ["FalsePos", "FalseNeg"]
        var overall = ResultTable(columns: ["type", "count", "dAP"], rows: [])
        var apText = "-"
        for row in rows where row[0] == .null {
            if case .real(let ap) = row[2] { apText = EvaluationRendering.fixed(ap, digits: 4) }
            overall.rows.append([
                ResultTable.Cell(row[3]), ResultTable.Cell(row[4]), AnalysisRendering.cell(row[5], format: format),
            ])
        }
        overall.rows.sort { lhs, rhs in
            types.firstIndex(of: Renderer.text(of: lhs[0])) ?? 0 < types.firstIndex(of: Renderer.text(of: rhs[0])) ?? 0
        }
        if format == .table {
            Console.out(
                "TIDE errors of \(outcome.run.name): \(outcome.analysis.protocolName) AP50 \(apText) (foreground IoU \(foregroundIoU), background IoU \(backgroundIoU)); dAP: AP50 gained by fixing each type\n"
            )
            AnalysisRendering.reusedNote(outcome, format: format)
        }
        overall.print(format)
        guard perClass else { return }
        // One row per class: its AP50, then "dAP (count)" per type.
        var table = ResultTable(columns: ["category_id", "category", "AP50"] + types, rows: [])
        var rowOf: [String: Int] = [:]
        for row in rows where row[0] != .null {
            let key = Renderer.text(of: ResultTable.Cell(row[0]))
            if rowOf[key] == nil {
                rowOf[key] = table.rows.count
                table.rows.append(
                    [ResultTable.Cell(row[0]), ResultTable.Cell(row[1]), AnalysisRendering.cell(row[2], format: format)]
                        + Array(repeating: ResultTable.Cell.null, count: types.count))
            }
            guard case .text(let type) = row[3], let column = types.firstIndex(of: type) else { continue }
            var text = Renderer.text(of: AnalysisRendering.cell(row[5], format: format))
            if case .integer(let count) = row[4] { text += " (\(count))" }
            table.rows[rowOf[key]!][3 + column] = .formatted(text)
        }
        Console.out("\nPer class: dAP (count)\n")
        table.print(format)
    }
}
