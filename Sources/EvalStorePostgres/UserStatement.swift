import EvalStore
import NIOConcurrencyHelpers
import PostgresNIO

/// One statement a user typed (`evaldb sql`), run on PostgreSQL: in a READ ONLY transaction unless writes are
/// allowed, with `:name` (and `$name`) parameters turned into `$n` and bound as untyped text, so that the server
/// types them from where they are used, as psql's variables are. One statement only: the extended protocol refuses
/// several.
struct UserStatement {
    let connection: BlockingConnection

    func execute(
        _ sql: String, parameters: [(name: String, value: StoreValue)], allowsWrites: Bool,
        columns: ([String]) throws -> Void, row: ([StoreValue]) throws -> Void
    ) throws -> Int {
        let (text, names) = Self.numberingParameters(sql)
        var binds = [PostgresBind](repeating: .null, count: max(names.count, Self.highestPosition(in: text)))
        for (name, value) in parameters {
            let index: Int
            if let position = Int(name), position >= 1, position <= binds.count {
                index = position - 1
            } else if let named = names.firstIndex(of: name) {
                index = named
            } else {
                throw StoreError.unknownParameter(name)
            }
            binds[index] = Self.untyped(value)
        }
        if !allowsWrites { try connection.query("BEGIN READ ONLY") }
        do {
            let collected = NIOLockedValueBox<(names: [String], rows: [[StoreValue]])>(([], []))
            let count = try connection.forEachRow(text, binds) { postgresRow in
                collected.withLockedValue { state in
                    if state.rows.isEmpty { state.names = postgresRow.columnNames }
                    state.rows.append(postgresRow.values)
                }
            }
            var (names, rows) = collected.withLockedValue { $0 }
            if rows.isEmpty { names = try columnsOfEmptyResult(text, binds) }
            if !allowsWrites { try connection.query("COMMIT") }
            try columns(names)
            for values in rows { try row(values) }
            return names.isEmpty ? count : 0
        } catch let error as PostgresStoreError where error.sqlState == "25006" {
            _ = try? connection.query("ROLLBACK")
            throw StoreError.writeNotAllowed
        } catch {
            if !allowsWrites { _ = try? connection.query("ROLLBACK") }
            throw error
        }
    }

    /// The column names of a query that returned no row: the same query joined laterally to one row gives one row
    /// of NULLs with its columns. Empty for statements that are not queries.
    private func columnsOfEmptyResult(_ sql: String, _ binds: [PostgresBind]) throws -> [String] {
        var body = sql.trimmingWhitespace
        while body.hasSuffix(";") { body = String(body.dropLast()).trimmingWhitespace }
        let start = body.prefix(while: { !$0.isWhitespace && $0 != "(" }).lowercased()
        guard ["select", "with", "values", "table"].contains(start) else { return [] }
        try connection.query("SAVEPOINT evaldb_columns")
        do {
            let result = try connection.query(
                "SELECT evaldb_q.* FROM (SELECT 1) evaldb_one LEFT JOIN LATERAL (\n\(body)\n) evaldb_q ON true", binds)
            try connection.query("RELEASE SAVEPOINT evaldb_columns")
            return result.rows.first?.columnNames ?? []
        } catch {
            try connection.query("ROLLBACK TO SAVEPOINT evaldb_columns")
            return []
        }
    }

    /// A value as untyped text (NULL stays NULL).
    static func untyped(_ value: StoreValue) -> PostgresBind {
        switch value {
        case .null: return .null
        case .integer(let value): return .untyped(String(value))
        case .real(let value): return .untyped(value.description)
        case .text(let value): return .untyped(value)
        case .blob(let value): return .bytes(value)
        }
    }

    /// The highest `$n` in the text (outside quotes).
    static func highestPosition(in sql: String) -> Int {
        var highest = 0
        scan(sql) { characters, index in
            guard characters[index] == "$" else { return nil }
            let digits = characters[(index + 1)...].prefix(while: \.isNumber)
            if let number = Int(String(digits)) { highest = max(highest, number) }
            return nil
        }
        return highest
    }

    /// `sql` with each `:name` (and `$name`) parameter replaced by `$n`, and the names in order of n. `::` casts,
    /// quoted text and identifiers, and comments are left as they are. Positional `$1` parameters keep their
    /// numbers; named ones are numbered after the highest of them.
    static func numberingParameters(_ sql: String) -> (sql: String, names: [String]) {
        var names: [String] = []
        let offset = highestPosition(in: sql)
        let text = scan(sql) { characters, index in
            let character = characters[index]
            guard character == ":" || character == "$" else { return nil }
            if character == ":" && (index > 0 && characters[index - 1] == ":") { return nil }
            let rest = characters[(index + 1)...]
            guard let first = rest.first, first.isLetter || first == "_" else { return nil }
            if character == ":" && rest.first == ":" { return nil }
            let name = String(rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" }))
            if !names.contains(name) { names.append(name) }
            return (replacement: "$\(offset + (names.firstIndex(of: name) ?? 0) + 1)", length: name.count + 1)
        }
        return (text, Array(repeating: "", count: offset) + names)
    }

    /// Walks `sql` outside quotes, dollar quotes and comments, letting `visit` replace a run of characters.
    @discardableResult
    private static func scan(
        _ sql: String, _ visit: ([Character], Int) -> (replacement: String, length: Int)?
    ) -> String {
        let characters = Array(sql)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            func copy(until end: Int) {
                let stop = min(end, characters.count)
                output += String(characters[index..<stop])
                index = stop
            }
            switch character {
            case "'", "\"":
                var end = index + 1
                while end < characters.count && characters[end] != character { end += 1 }
                copy(until: end + 1)
            case "-" where index + 1 < characters.count && characters[index + 1] == "-":
                var end = index
                while end < characters.count && characters[end] != "\n" { end += 1 }
                copy(until: end)
            case "/" where index + 1 < characters.count && characters[index + 1] == "*":
                var end = index + 2
                while end + 1 < characters.count && !(characters[end] == "*" && characters[end + 1] == "/") { end += 1 }
                copy(until: end + 2)
            case "$":
                let tag = characters[(index + 1)...].prefix(while: { $0.isLetter || $0 == "_" })
                if index + 1 + tag.count < characters.count && characters[index + 1 + tag.count] == "$" {
                    let delimiter = "$" + String(tag) + "$"
                    let after = index + delimiter.count
                    let remaining = String(characters[after...])
                    if let close = remaining.firstRange(of: delimiter) {
                        copy(until: after + remaining.distance(from: remaining.startIndex, to: close.upperBound))
                    } else {
                        copy(until: characters.count)
                    }
                } else if let replaced = visit(characters, index) {
                    output += replaced.replacement
                    index += replaced.length
                } else {
                    copy(until: index + 1)
                }
            default:
                if let replaced = visit(characters, index) {
                    output += replaced.replacement
                    index += replaced.length
                } else {
                    copy(until: index + 1)
                }
            }
        }
        return output
    }
}
