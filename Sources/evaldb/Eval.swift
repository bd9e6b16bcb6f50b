import ArgumentParser
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
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
        // Check every name before any work, as one run at a time did.
        for name in runs { _ = try store.runs.require(name: name) }
        let progress = ProgressLine()
        let slots = EvaluationSlots(count: runs.count)
        progress.handler?(.evaluating(done: 0, total: runs.count, current: runs.count == 1 ? runs : []))
        // One run per core: each worker has its own connection (writers take turns on the store's lock); within a
        // run, loading and the classes are parallel already, so a single run keeps the whole machine.
        let next = WorkQueue(count: runs.count)
        if runs.count == 1 {
            slots.set(0, Result { try evaluate(runs[0], store: store) })
        } else {
            DispatchQueue.concurrentPerform(iterations: min(runs.count, max(1, activeCores))) { _ in
                work(next, slots, progress)
            }
        }
        progress.finish()
        var reports: [EvaluationReport] = []
        for index in runs.indices {
            let (report, timingLine) = try slots.get(index)
            if let timingLine { Console.err(timingLine) }
            reports.append(report)
        }
        EvaluationRendering.print(reports, format: output.format, perClass: perClass)
    }

    /// One worker: takes runs until none is left, on a connection of its own.
    private func work(_ next: WorkQueue, _ slots: EvaluationSlots, _ progress: ProgressLine) {
        let connection = Result { try database.open(.write) }
        while let index = next.take() {
            slots.set(index, Result { try evaluate(runs[index], store: connection.get()) })
            let (done, current) = next.finished(index, names: runs)
            progress.handler?(.evaluating(done: done, total: runs.count, current: current))
        }
    }

    /// Evaluates one run and reads back its report, with the `--timing` line when asked.
    private func evaluate(_ name: String, store: any Store) throws -> (EvaluationReport, String?) {
        let run = try store.runs.require(name: name)
        let dataset = try store.dataset(of: run)
        let request = try protocolOptions.request(for: dataset)
        let outcome = try EvaluationService(store).evaluate(runName: name, request: request, force: force)
        let timingLine =
            !timing
            ? nil
            : outcome.wasReused
                ? "\(name): reused the stored evaluation"
                : "\(name): "
                    + outcome.timings.map { "\($0.phase) \(Int(($0.seconds * 1000).rounded())) ms" }
                    .joined(separator: ", ")
        return (try EvaluationReport(outcome: outcome, store: store), timingLine)
    }
}

/// The number of cores online.
private var activeCores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// Hands out run indexes to workers in order and tracks which are in progress.
private final class WorkQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    private var nextIndex = 0
    private var running: Set<Int> = []
    private var done = 0
    private let count: Int

    init(count: Int) { self.count = count }

    func take() -> Int? {
        lock.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            running.insert(nextIndex)
            return nextIndex
        }
    }

    /// Marks `index` done; returns how many are done and the names still running.
    func finished(_ index: Int, names: [String]) -> (Int, [String]) {
        lock.withLock {
            running.remove(index)
            done += 1
            return (done, running.sorted().map { names[$0] })
        }
    }
}

/// Each run's report or failure, written by the worker that evaluated it.
private final class EvaluationSlots: @unchecked Sendable {
    private let lock = ConditionLock()
    private var results: [Result<(EvaluationReport, String?), any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<(EvaluationReport, String?), any Error>) {
        lock.withLock { results[index] = result }
    }

    func get(_ index: Int) throws -> (EvaluationReport, String?) {
        guard let result = lock.withLock({ results[index] }) else {
            preconditionFailure("every run index is taken by a worker")
        }
        return try result.get()
    }
}
