#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How bad a diagnosis finding is.
public enum Severity: String, Sendable, Comparable {
    /// Worth knowing; never stops an import.
    case info
    /// Suspicious: reported, and fatal under `--strict`.
    case warning
    /// Would silently produce wrong numbers: the import stops and nothing is stored.
    case fatal

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .fatal: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One problem found in an input, with how often it occurs, where, and how to fix it.
public struct Finding: Sendable, Equatable {
    /// Stable machine-readable identifier, e.g. `normalized-coordinates`.
    public var code: String
    public var severity: Severity
    /// One sentence saying what was found, with counts.
    public var summary: String
    /// How many rows are affected.
    public var count: Int
    /// A few affected rows: `file:line: what`.
    public var examples: [String]
    /// What to do about it (a flag to pass, a file to fix); nil when nothing is needed.
    public var fix: String?

    public init(
        code: String, severity: Severity, summary: String, count: Int, examples: [String] = [], fix: String? = nil
    ) {
        self.code = code
        self.severity = severity
        self.summary = summary
        self.count = count
        self.examples = examples
        self.fix = fix
    }
}

/// The result of diagnosing an input: its findings, most severe first.
public struct DiagnosisReport: Sendable, Equatable {
    public var findings: [Finding]

    public init(findings: [Finding] = []) {
        self.findings = findings.sorted { $0.severity > $1.severity }
    }

    /// The findings that stop an import: fatal ones, and warnings too when `strict`.
    public func blocking(strict: Bool) -> [Finding] {
        findings.filter { $0.severity == .fatal || (strict && $0.severity == .warning) }
    }

    /// The finding with a given code, if any.
    public func finding(_ code: String) -> Finding? { findings.first { $0.code == code } }

    /// Human-readable lines: one per finding, its examples indented, then its fix.
    public func renderedLines() -> [String] {
        var lines: [String] = []
        for finding in findings {
            lines.append("\(finding.severity.rawValue): \(finding.summary)")
            for example in finding.examples { lines.append("    \(example)") }
            if let fix = finding.fix { lines.append("    fix: \(fix)") }
        }
        return lines
    }
}

/// Collects up to a few examples and a count for one kind of problem while scanning rows.
struct FindingCounter {
    var count = 0
    var examples: [String] = []
    let limit: Int

    init(limit: Int = 3) { self.limit = limit }

    mutating func record(_ example: @autoclosure () -> String) {
        count += 1
        if examples.count < limit { examples.append(example()) }
    }

    /// The finding for what was counted, with its count and examples; none when nothing was counted.
    func finding(code: String, severity: Severity, summary: @autoclosure () -> String, fix: String?) -> [Finding] {
        guard count > 0 else { return [] }
        return [
            Finding(code: code, severity: severity, summary: summary(), count: count, examples: examples, fix: fix)
        ]
    }
}

/// Formats a number for a message: integers without a fraction, others with 6 significant digits.
func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
    var buffer = [CChar](repeating: 0, count: 40)
    let length = withVaList([value]) { vsnprintf(&buffer, 40, "%.6g", $0) }
    return String(decoding: buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// "1 detection" / "3 detections".
func plural(_ count: Int, _ noun: String) -> String {
    if count == 1 { return "1 \(noun)" }
    if noun.hasSuffix("x") { return "\(count) \(noun)es" }
    if noun.hasSuffix("y") { return "\(count) \(noun.dropLast())ies" }
    return "\(count) \(noun)s"
}
