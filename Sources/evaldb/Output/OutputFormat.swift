import ArgumentParser
import EvalStore

/// The output formats every listing command offers.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, jsonl, csv, tsv, markdown
}

/// A result set to print: column names and rows of values.
struct ResultTable {
    var columns: [String]
    var rows: [[Cell]]

    /// One printed value. Integers and reals stay numbers in JSON; `null` is JSON null and "-" in tables.
    enum Cell: Equatable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Int)
        /// A number already formatted for display (table and markdown), aligned as a number.
        case formatted(String)
    }
}

/// Renders result tables in every output format.
enum Renderer {
    static func render(_ table: ResultTable, as format: OutputFormat) -> String {
        switch format {
        case .table: return renderText(table)
        case .json: return renderJSON(table, lines: false)
        case .jsonl: return renderJSON(table, lines: true)
        case .csv: return renderSeparated(table, as: .csv)
        case .tsv: return renderSeparated(table, as: .tsv)
        case .markdown: return renderMarkdown(table)
        }
    }

    static func text(of cell: ResultTable.Cell) -> String {
        switch cell {
        case .null: return "-"
        case .integer(let v): return String(v)
        case .real(let v): return formatReal(v)
        case .text(let v): return v
        case .blob(let n): return "<\(n) bytes>"
        case .formatted(let v): return v
        }
    }

    /// Shortest text that reads back as the same Double.
    static func formatReal(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return value.description
    }

    static func isNumeric(_ cell: ResultTable.Cell) -> Bool {
        switch cell {
        case .integer, .real, .formatted: return true
        default: return false
        }
    }

    static func renderText(_ table: ResultTable) -> String {
        let texts = table.rows.map { $0.map { text(of: $0).replacingControlCharacters() } }
        var widths = table.columns.map { $0.count }
        for row in texts {
            for (index, value) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], value.count)
            }
        }
        func pad(_ value: String, _ width: Int, right: Bool) -> String {
            let fill = String(repeating: " ", count: max(0, width - value.count))
            return right ? fill + value : value + fill
        }
        var lines: [String] = []
        lines.append(
            zip(table.columns, widths).map { pad($0, $1, right: false) }.joined(separator: "  ")
                .trimmingTrailingSpaces())
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for (rowIndex, row) in texts.enumerated() {
            let cells = row.enumerated().map { index, value in
                pad(value, widths[index], right: isNumeric(table.rows[rowIndex][index]))
            }
            lines.append(cells.joined(separator: "  ").trimmingTrailingSpaces())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func jsonValue(_ cell: ResultTable.Cell) -> String {
        switch cell {
        case .null: return "null"
        case .integer(let v): return String(v)
        case .real(let v): return v.isFinite ? "\(v)" : "null"
        case .text(let v): return jsonString(v)
        case .blob, .formatted: return jsonString(text(of: cell))
        }
    }

    static func jsonString(_ value: String) -> String { JSONText.string(value) }

    static func renderJSON(_ table: ResultTable, lines: Bool) -> String {
        let objects = table.rows.map { row in
            "{" + zip(table.columns, row).map { "\(jsonString($0)): \(jsonValue($1))" }.joined(separator: ", ") + "}"
        }
        if lines { return objects.map { $0 + "\n" }.joined() }
        if objects.isEmpty { return "[]\n" }
        return "[\n" + objects.map { "  " + $0 }.joined(separator: ",\n") + "\n]\n"
    }

    static func renderSeparated(_ table: ResultTable, as style: SeparatedValues.Style) -> String {
        var out = SeparatedValues(style)
        out.row(table.columns.map(ResultTable.Cell.text))
        for row in table.rows { out.row(row) }
        return out.text
    }

    /// One CSV field (quoted when it holds the separator, a quote or a line break; quotes doubled) or TSV field
    /// (backslash, tab and line breaks escaped), compared by `Character`: a "\r\n" pair is one character, neither
    /// "\r" nor "\n".
    static func separatedField(_ value: String, separator: Character) -> String {
        if separator == "\t" {
            return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        }
        if value.contains(where: { $0 == separator || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    static func renderMarkdown(_ table: ResultTable) -> String {
        func escape(_ value: String) -> String {
            value.replacingOccurrences(of: "|", with: "\\|").replacingControlCharacters()
        }
        var out = "| " + table.columns.map(escape).joined(separator: " | ") + " |\n"
        out +=
            "|"
            + table.columns.indices.map { index in
                table.rows.first.map { isNumeric($0[index]) } == true ? " ---: |" : " --- |"
            }.joined() + "\n"
        for row in table.rows {
            out += "| " + row.map { escape(text(of: $0)) }.joined(separator: " | ") + " |\n"
        }
        return out
    }
}

extension String {
    /// Replaces newlines and tabs with spaces so a value stays on one table line.
    func replacingControlCharacters() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : Character($0) })
    }

    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// Every occurrence of `target` replaced (no Foundation needed).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
