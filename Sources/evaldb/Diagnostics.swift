import EvalFormats
import EvalStore

/// Printing diagnosis reports (to stderr: they are diagnostics, not data).
enum Diagnostics {
    /// Prints every finding, most severe first.
    static func print(_ report: DiagnosisReport, verbose: Bool = true) {
        for line in report.renderedLines() where verbose || !line.hasPrefix("info") {
            Console.err(line)
        }
    }

    /// Prints the diagnosis of a rejected import; the error line itself follows from the caller.
    static func printRejection(_ error: any Error) {
        if let rejected = error as? ImportRejected { print(rejected.report) }
    }
}
