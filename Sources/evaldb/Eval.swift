import ArgumentParser
import EvalFormats
import EvalStore

/// `evaldb eval RUN...`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate runs under a protocol and store every result (summary, per class, PR curves, matches).",
        discussion: """
            The numbers are the reference implementations': pycocotools for coco, the VOC devkit for voc07 \
            (11-point) and voc12 (all-point), the official VisDrone2018-DET toolkit for visdrone. Values are \
            fractions in [0, 1]; undefined values (no ground truth) are null in JSON and "-" in tables.
            An identical evaluation already stored is reused (--force recomputes).
            """
    )

    @Argument(help: ArgumentHelp("The runs to evaluate.", valueName: "run")) var runs: [String]
    @OptionGroup(title: "Protocol") var protocolOptions: ProtocolOptions
    @Flag(help: "Recompute even when an identical evaluation is stored.") var force = false
    @Flag(help: "Also print the per-class table (table and markdown formats).") var perClass = false
    @Flag(help: "Print the time of each phase (load, compute, store) to stderr.") var timing = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.write)
        var reports: [EvaluationReport] = []
        for name in runs {
            let run = try store.runs.require(name: name)
            let dataset = try store.dataset(of: run)
            let request = try protocolOptions.request(for: dataset)
            let outcome = try EvaluationService(store).evaluate(runName: name, request: request, force: force)
            if timing {
                Console.err(
                    outcome.wasReused
                        ? "\(name): reused the stored evaluation"
                        : "\(name): "
                            + outcome.timings.map { "\($0.phase) \(Int(($0.seconds * 1000).rounded())) ms" }
                            .joined(separator: ", "))
            }
            reports.append(try EvaluationReport(outcome: outcome, store: store))
        }
        EvaluationRendering.print(reports, format: output.format, perClass: perClass)
    }
}
