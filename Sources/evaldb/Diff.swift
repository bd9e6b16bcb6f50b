import ArgumentParser
import EvalKit
import EvalStore

extension DiffSort: ExpressibleByArgument {}

/// `evaldb diff A B`.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two runs class by class, and say whether a change is more than noise.",
        discussion: """
            Evaluates both runs under the same protocol and parameters (reusing stored evaluations) and prints \
            the summary metrics side by side, then the classes whose chosen metrics changed, largest drop first.
            With one run, compares it against its dataset's baseline (`evaldb baseline set RUN`).
            --ci adds intervals from a paired bootstrap over images: each of --resamples replicates draws as \
            many images as the dataset has, with replacement, and evaluates both runs on that same multiset; \
            the interval at --level 0.95 (the default) holds the 2.5th to 97.5th percentile of the replicates' \
            changes. A change whose interval excludes 0 is marked *. Replicates are independent and depend only \
            on --seed and their number, so the output is the same for a seed on any machine.
            --fail-if-worse METRIC[:TOL] exits 1 when B is worse than A by more than TOL (with --ci: when the \
            whole interval is beyond -TOL). METRIC may name a class: AP50[car]:0.01.
            """
    )

    @Argument(
        help: ArgumentHelp("Run A (the reference) and run B; B alone compares with the baseline.", valueName: "run"))
    var runs: [String]
    @OptionGroup(title: "Protocol") var protocolOptions: ProtocolOptions
    @Option(
        help: ArgumentHelp(
            "Per-class metrics to compare (default: AP,AP50; also AP75, AR100, TP, FP, FN, n_det).",
            valueName: "AP,AP50"))
    var metrics: String?
    @Option(help: "Class order: change (largest drop first), abs, name or ngt.") var sort: DiffSort = .change
    @Flag(help: "Show every class, not only the changed ones.") var all = false
    @Flag(help: "Add bootstrap intervals for every change.") var ci = false
    @Option(help: "Bootstrap replicates (with --ci).") var resamples = 1000
    @Option(help: ArgumentHelp("The intervals' nominal coverage (with --ci), a fraction.", valueName: "0.95"))
    var level = ConfidenceLevel(0.95)
    @Option(help: "Bootstrap seed (with --ci); the same seed gives the same intervals.") var seed: UInt64 = 0
    @Flag(help: "Show the images whose TP/FP/FN counts changed most instead.") var images = false
    @Option(name: .customLong("class"), help: ArgumentHelp("With --images: one class (name or id).", valueName: "name"))
    var imageClass: String?
    @Option(help: "With --images: how many images.") var limit = 20
    @Flag(
        help: "Show both runs' error analyses side by side instead: TIDE errors, best-F1 thresholds, confusion summary.")
    var errors = false
    @Option(
        name: .customLong("fail-if-worse"),
        help: ArgumentHelp(
            "Exit 1 when B is worse than A on METRIC by more than TOL (repeatable).", valueName: "METRIC[:TOL]"),
        transform: DiffGate.init(parsing:))
    var gates: [DiffGate] = []
    @Flag(help: "Compare runs of datasets with different contents anyway.") var force = false
    @Flag(name: .customLong("show-sql"), help: "Print the SQL that gives the per-class table from the views, and stop.")
    var showSQL = false
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...2).contains(runs.count) else {
            throw ValidationError("give two runs (A B), or one run to compare with its dataset's baseline")
        }
        guard resamples >= 10 && resamples <= 1_000_000 else {
            throw ValidationError("--resamples must be 10 ... 1000000")
        }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        if imageClass != nil && !images { throw ValidationError("--class goes with --images") }
        if level.value != 0.95 && !ci { throw ValidationError("--level goes with --ci") }
        if errors && (images || ci || !gates.isEmpty || showSQL) {
            throw ValidationError("--errors goes alone: not with --images, --ci, --fail-if-worse or --show-sql")
        }
    }

    func run() throws {
        let store = try database.open(.write)
        let (nameA, nameB) = try pair(store)
        let runA = try store.runs.require(name: nameA)
        let runB = try store.runs.require(name: nameB)
        let datasetA = try store.dataset(of: runA)
        let datasetB = try store.dataset(of: runB)
        if datasetA.sha256 != datasetB.sha256 && !force {
            throw DiffError.differentDatasets(
                a: nameA, datasetA: datasetA.name, b: nameB, datasetB: datasetB.name)
        }
        // --force accepts different datasets, not a guess at the protocol: that takes --protocol.
        if protocolOptions.protocol == nil && datasetA.defaultProtocol != datasetB.defaultProtocol {
            throw DiffError.differentProtocols(
                a: nameA, protocolA: datasetA.defaultProtocol, b: nameB, protocolB: datasetB.defaultProtocol)
        }
        let request = try protocolOptions.request(for: datasetA)
        if images {
            try DiffRendering.printImages(
                store: store, runA: nameA, runB: nameB, request: request, className: imageClass, limit: limit,
                format: output.format)
            return
        }
        if errors {
            try DiffErrorsRendering.print(
                store: store, runA: nameA, runB: nameB, evaluationProtocol: request.evaluationProtocol,
                format: output.format)
            return
        }
        let service = EvaluationService(store)
        let outcomeA = try service.evaluate(runName: nameA, request: request)
        let outcomeB = try service.evaluate(runName: nameB, request: request)
        let intervals =
            ci
            ? try BootstrapService(store).intervals(
                runA: nameA, runB: nameB, request: request, resamples: resamples, seed: seed, level: level.value)
            : nil
        let report = DiffReport(
            a: try EvaluationReport(outcome: outcomeA, store: store),
            b: try EvaluationReport(outcome: outcomeB, store: store), intervals: intervals)
        let chosen = try chosenMetrics(report)
        // A gate on a metric or class the report lacks is refused before anything is printed.
        let gateValues = try gates.map { try $0.value(in: report) }
        if showSQL {
            Console.out(
                DiffRendering.sql(
                    report, metrics: chosen, evaluationA: outcomeA.evaluation.id,
                    evaluationB: outcomeB.evaluation.id))
            return
        }
        DiffRendering.print(report, metrics: chosen, sort: sort, all: all, format: output.format)
        var failures: [String] = []
        for (gate, value) in zip(gates, gateValues) {
            if let failure = gate.failure(value, report: report, useInterval: ci) { failures.append(failure) }
        }
        if !failures.isEmpty {
            for failure in failures { Console.err("evaldb diff: \(failure)") }
            throw ExitCode.failure
        }
    }

    /// (A, B): the two runs given, or the baseline of B's dataset and B.
    private func pair(_ store: any Store) throws -> (String, String) {
        if runs.count == 2 { return (runs[0], runs[1]) }
        let run = try store.runs.require(name: runs[0])
        let dataset = try store.dataset(of: run)
        guard let baseline = try store.baselines.baseline(datasetID: dataset.id) else {
            throw DiffError.noBaseline(dataset: dataset.name, run: run.name)
        }
        guard baseline != run.name else { throw DiffError.isBaseline(run: run.name) }
        return (baseline, run.name)
    }

    private func chosenMetrics(_ report: DiffReport) throws -> [String] {
        guard let metrics else {
            let defaults = [Metric(.coco, .averagePrecision), Metric(.coco, .averagePrecision, iou: 0.5)]
            return defaults.compactMap(\.classKey).filter { report.classMetricNames.contains($0) }
        }
        let names = metrics.split(separator: ",").map { String($0.filter { $0 != " " }) }
        for name in names where !report.classMetricNames.contains(name) {
            throw ValidationError(
                "--metrics: no per-class metric '\(name)' under \(report.a.protocolName); available: \(report.classMetricNames.joined(separator: ", "))"
            )
        }
        return names
    }
}

/// `--level`: the nominal coverage of the bootstrap intervals, a fraction strictly between 0 and 1.
struct ConfidenceLevel: ExpressibleByArgument, Equatable {
    var value: Double

    init(_ value: Double) { self.value = value }

    init?(argument: String) {
        guard let value = Double(argument), value > 0, value < 1 else { return nil }
        self.value = value
    }

    var defaultValueDescription: String { "0.95" }

    /// "95%", "90%", "97.5%".
    static func percent(_ level: Double) -> String {
        let percent = (level * 100 * 1e6).rounded() / 1e6
        return percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
    }
}

/// Why two runs are not compared.
enum DiffError: Error, CustomStringConvertible {
    case differentDatasets(a: String, datasetA: String, b: String, datasetB: String)
    case differentProtocols(a: String, protocolA: String, b: String, protocolB: String)
    case noBaseline(dataset: String, run: String)
    case isBaseline(run: String)

    var description: String {
        switch self {
        case .differentDatasets(let a, let datasetA, let b, let datasetB):
            return
                "'\(a)' was evaluated on dataset '\(datasetA)' and '\(b)' on '\(datasetB)', whose contents differ: their numbers are not comparable; pass --force to compare anyway"
        case .differentProtocols(let a, let protocolA, let b, let protocolB):
            return
                "'\(a)' defaults to protocol \(protocolA) and '\(b)' to \(protocolB); pass --protocol to compare both under one"
        case .noBaseline(let dataset, let run):
            return
                "dataset '\(dataset)' has no baseline to compare '\(run)' with: set one with `evaldb baseline set RUN`, or give two runs"
        case .isBaseline(let run):
            return "'\(run)' is its dataset's baseline: give the run to compare with it"
        }
    }
}

/// `--fail-if-worse METRIC[CLASS]:TOLERANCE`.
struct DiffGate {
    var metric: String
    var className: String?
    var tolerance: Double

    init(parsing text: String) throws {
        var spec = Substring(text)
        tolerance = 0
        if let colon = spec.lastIndex(of: ":") {
            guard let value = Double(spec[spec.index(after: colon)...]), value >= 0, value.isFinite else {
                throw ValidationError("the tolerance after ':' must be a number >= 0 (e.g. AP:0.005)")
            }
            tolerance = value
            spec = spec[..<colon]
        }
        if let open = spec.firstIndex(of: "["), spec.hasSuffix("]") {
            className = String(spec[spec.index(after: open)..<spec.index(before: spec.endIndex)])
            spec = spec[..<open]
        }
        metric = String(spec)
        guard !metric.isEmpty, className?.isEmpty != true else {
            throw ValidationError("expected METRIC[:TOL] or METRIC[CLASS]:TOL, e.g. AP:0.005")
        }
    }

    /// The value the gate reads in `report`, with its label (`AP`, `AP50[car]`). Throws a usage error when the
    /// report has no such metric or class.
    func value(in report: DiffReport) throws -> (label: String, value: DiffReport.Value) {
        if let className {
            guard
                let row = report.classes.first(where: { $0.name == className || String($0.id) == className })
            else {
                throw ValidationError(
                    "--fail-if-worse: no class '\(className)'; classes: \(report.classes.prefix(12).map(\.name).joined(separator: ", "))"
                )
            }
            guard let found = row.values[metric] else {
                throw ValidationError(
                    "--fail-if-worse: no per-class metric '\(metric)'; available: \(report.classMetricNames.joined(separator: ", "))"
                )
            }
            return ("\(metric)[\(row.name)]", found)
        }
        if DiffReport.countNames.contains(metric) {
            // TP, FP, FN and n_det without a class: the totals over the classes (no interval: the point estimate).
            func total(_ side: KeyPath<DiffReport.Value, Double?>) -> Double? {
                let values = report.classes.compactMap { $0.values[metric]?[keyPath: side] }
                return values.isEmpty ? nil : values.reduce(0, +)
            }
            return (metric, DiffReport.Value(a: total(\.a), b: total(\.b)))
        }
        guard let found = report.metrics.first(where: { $0.metric.summaryName == metric })?.value else {
            throw ValidationError(
                "--fail-if-worse: no summary metric '\(metric)'; available: \(report.metrics.map(\.metric.summaryName).joined(separator: ", ")) (per class: METRIC[CLASS])"
            )
        }
        return (metric, found)
    }

    /// The one-line reason when B is worse than allowed on `gated` (from `value(in:)`), else nil.
    func failure(_ gated: (label: String, value: DiffReport.Value), report: DiffReport, useInterval: Bool) -> String? {
        let (label, value) = gated
        guard let change = value.change else {
            return value.a != nil && value.b == nil ? "\(label) is undefined in B (defined in A)" : nil
        }
        let lowerIsBetter = DiffReport.lowerIsBetter.contains(metric)
        let worse = lowerIsBetter ? change : -change  // how much worse B is
        // Fractions to 4 decimals, counts as integers, as the diff prints them.
        func number(_ value: Double?) -> String { DiffRendering.format(value, metric: metric) }
        let shown = "\(label) \(number(value.a)) -> \(number(value.b))"
        let allowed =
            DiffReport.countNames.contains(metric) && tolerance == tolerance.rounded()
            ? "\(Int(tolerance))" : Renderer.formatReal(tolerance)
        if useInterval, let low = value.low, let high = value.high {
            let bestCase = lowerIsBetter ? low : -high  // the least bad end of the interval
            guard bestCase > tolerance else { return nil }
            return
                "\(shown): worse by \(number(worse)), \(ConfidenceLevel.percent(report.intervals?.level ?? 0.95)) interval [\(number(low)), \(number(high))] entirely beyond the tolerance \(allowed)"
        }
        guard worse > tolerance else { return nil }
        return "\(shown): worse by \(number(worse)), more than the tolerance \(allowed)"
    }
}

/// `evaldb baseline set|show|clear`.
struct BaselineGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "The run each dataset's comparisons start from (`evaldb diff RUN`).",
        subcommands: [BaselineSet.self, BaselineShow.self, BaselineClear.self], defaultSubcommand: BaselineShow.self)
}

struct BaselineSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Make RUN the baseline of its dataset.")
    @Argument(help: ArgumentHelp("The run.", valueName: "run")) var runName: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.write)
        let stored = try store.runs.require(name: runName)
        try store.write { try store.baselines.set(stored) }
        let dataset = try store.dataset(of: stored)
        Console.out("baseline of dataset '\(dataset.name)' is now '\(runName)'\n")
    }
}

struct BaselineShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "List the baselines.")
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readOnly)
        let rows = try store.baselines.all().map { row -> [ResultTable.Cell] in
            [.text(row.dataset), .text(row.run), .text(row.setAt)]
        }
        ResultTable(columns: ["dataset", "run", "set_at"], rows: rows).print(output.format)
    }
}

struct BaselineClear: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove a dataset's baseline.")
    @Argument(help: ArgumentHelp("The dataset.", valueName: "dataset")) var dataset: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.write)
        let stored = try store.datasets.require(name: dataset)
        let removed = try store.write { try store.baselines.clear(datasetID: stored.id) }
        Console.out(removed ? "baseline of dataset '\(dataset)' cleared\n" : "dataset '\(dataset)' had no baseline\n")
    }
}
