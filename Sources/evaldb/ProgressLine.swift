import Dispatch
import EvalStore

/// A progress line on standard error for work that takes more than a second: drawn only when standard error is a
/// terminal, from the second second on, redrawn five times a second with the latest report, and erased when the
/// work ends so that the command's own lines follow as they would without it.
final class ProgressLine: @unchecked Sendable {
    private let queue = DispatchQueue(label: "evaldb.progress")
    private let timer: (any DispatchSourceTimer)?
    private let start = ContinuousClock.now
    /// Touched on `queue` only.
    private var latest: WorkProgress?
    private var isShown = false

    /// A line that draws when `enabled` (by default: when standard error is a terminal).
    init(enabled: Bool = Console.stderrIsTerminal) {
        guard enabled else {
            timer = nil
            return
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .seconds(1), repeating: .milliseconds(200))
        self.timer = timer
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    /// Takes a report (from any thread); the next redraw shows it.
    var handler: ProgressHandler? {
        guard timer != nil else { return nil }
        return { [weak self] progress in
            guard let line = self else { return }
            line.queue.async { line.latest = progress }
        }
    }

    /// Stops drawing and erases the line.
    func finish() {
        guard let timer else { return }
        timer.cancel()
        queue.sync {
            if isShown { Console.errPartial("\r\u{1B}[K") }
            isShown = false
            latest = nil
        }
    }

    deinit { timer?.cancel() }

    private func draw() {
        guard let latest else { return }
        let seconds = Int((ContinuousClock.now - start).components.seconds)
        Console.errPartial("\r\(Self.describe(latest)) (\(seconds) s)\u{1B}[K")
        isShown = true
    }

    /// The line's text.
    static func describe(_ progress: WorkProgress) -> String {
        switch progress {
        case .reading(let bytes, let total):
            return "reading: \(megabytes(bytes)) of \(megabytes(total)) MB"
        case .diagnosing(let detections):
            return "checking \(grouped(detections)) detections against the dataset"
        case .storing(let detections, let total):
            return "storing: \(grouped(detections)) of \(grouped(total)) detections"
        case .evaluating(_, let total, let current) where total == 1:
            return "evaluating '\(current.first ?? "")'"
        case .evaluating(let done, let total, let current):
            let names = current.map { "'\($0)'" }.joined(separator: ", ")
            return "evaluating: \(done) of \(total) runs done\(names.isEmpty ? "" : ", now \(names)")"
        }
    }

    private static func megabytes(_ bytes: Int) -> String { "\((bytes + 500_000) / 1_000_000)" }

    /// 5000000 as 5,000,000.
    private static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
