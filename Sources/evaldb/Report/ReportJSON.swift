/// A JSON value for the report's data block, written so that it can sit inside an HTML `<script>` element: `<`,
/// `>` and `&` are escaped (`\u003c` ...) so that no user text (a class named `</script>`) can end the element or
/// start markup, and U+2028/U+2029 are escaped for old JavaScript parsers. JSON.parse reads it back unchanged.
indirect enum ReportJSON {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int)
    case string(String)
    case array([ReportJSON])
    /// Keys in the order given (the page and the tests read them by name).
    case object([(String, ReportJSON)])

    /// A number, or null when undefined or not finite.
    static func number(_ value: Double?) -> ReportJSON {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }

    /// An array of numbers (nulls where undefined).
    static func numbers(_ values: [Double?]) -> ReportJSON { .array(values.map { number($0) }) }

    /// The text, compact.
    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        // Swift's shortest round-trip form (`0.1`, `1e-05`) is valid JSON and reads back to the same Double.
        case .number(let value): out += value.isFinite ? value.description : "null"
        case .integer(let value): out += String(value)
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ value: String, to out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += escaped(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += escaped(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

/// Escaping for text put into HTML outside the data block (the page title).
enum HTMLText {
    /// `text` with `& < > " '` replaced by character references.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
