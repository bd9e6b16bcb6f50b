/// A TensorFlow Object Detection API label map (`label_map.pbtxt`): the categories' ids and names.
///
/// The file is a `StringIntLabelMap` in protobuf text format: `item { id: 1 name: 'person' display_name: 'Person' }`
/// repeated, fields in any order, separated by spaces, commas or semicolons, with `#` comments, single- or
/// double-quoted strings (escapes, adjacent literals joined), `item: { ... }` and `item < ... >` alike. Fields other
/// than `id`, `name` and `display_name` (`keypoints { ... }`, `frequency: FREQUENT`, ...) are skipped.
public struct LabelMap: Sendable, Equatable {
    /// One `item` of the map.
    public struct Item: Sendable, Equatable {
        public var id: Int64
        /// `name` (often a machine id such as `/m/01g317` in Open Images maps); nil when absent.
        public var name: String?
        /// `display_name`; nil when absent.
        public var displayName: String?

        public init(id: Int64, name: String?, displayName: String?) {
            self.id = id
            self.name = name
            self.displayName = displayName
        }

        /// The category name evaldb gives it: `display_name` when present, else `name`.
        public var categoryName: String { displayName ?? name ?? "\(id)" }
    }

    /// The items in file order.
    public var items: [Item]

    public init(items: [Item]) { self.items = items }

    /// The item whose `name` or `display_name` is `text`, if any (the class texts of records use either).
    public func item(named text: String) -> Item? {
        items.first { $0.displayName == text } ?? items.first { $0.name == text }
    }

    /// The categories of the map, sorted by id.
    public var categories: [CategoryRecord] {
        items.sorted { $0.id < $1.id }.map { CategoryRecord(id: $0.id, name: $0.categoryName) }
    }

    /// The map as a category map of a model: each id to its category name (`--label-map` for detections).
    public var categoryMap: CategoryMap {
        CategoryMap(pairs: items.map { (.id($0.id), .name($0.categoryName)) })
    }

    /// Reads the label map at `path`. Throws `.malformed` at file:line for text that is not a label map (an item
    /// without an id or a name, a negative or repeated id, an unclosed string or brace), `.notFound`, `.empty`.
    public static func read(path: String) throws(ReadError) -> LabelMap {
        let bytes = try InputFiles.readBytes(path, expected: "a label map (label_map.pbtxt)")
        return try parse(bytes, path: path)
    }

    /// Parses label-map text; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(ReadError) -> LabelMap {
        var scanner = TextFormatScanner(bytes: bytes, path: path)
        var items: [Item] = []
        var seen: [Int64: Int] = [:]
        while let token = try scanner.next() {
            guard case .identifier(let field) = token.kind else {
                throw scanner.failure("expected a field name such as item, found \(token.kind.shown)", at: token.line)
            }
            guard field == "item" else {
                try scanner.skipValue()
                continue
            }
            let close = try scanner.openMessage(after: "item")
            var id: Int64?
            var name: String?
            var displayName: String?
            while true {
                guard let inner = try scanner.next() else {
                    throw scanner.failure("the item that starts on line \(token.line) is not closed", at: token.line)
                }
                if inner.kind == .symbol(close) { break }
                if inner.kind == .symbol(",") || inner.kind == .symbol(";") { continue }
                guard case .identifier(let key) = inner.kind else {
                    throw scanner.failure("expected a field of the item, found \(inner.kind.shown)", at: inner.line)
                }
                switch key {
                case "id":
                    try scanner.expectColon(after: "id")
                    let value = try scanner.next()
                    guard case .number(let text)? = value?.kind, let number = Int64(text) else {
                        throw scanner.failure("id is not a whole number", at: value?.line ?? inner.line)
                    }
                    id = number
                case "name": name = try scanner.stringValue(after: "name")
                case "display_name": displayName = try scanner.stringValue(after: "display_name")
                default: try scanner.skipValue()
                }
            }
            guard let id else { throw scanner.failure("an item has no id", at: token.line) }
            guard id >= 0 else { throw scanner.failure("an item has the negative id \(id)", at: token.line) }
            guard name != nil || displayName != nil else {
                throw scanner.failure("item \(id) has neither name nor display_name", at: token.line)
            }
            if let first = seen[id] {
                throw scanner.failure("id \(id) is given twice (lines \(first) and \(token.line))", at: token.line)
            }
            seen[id] = token.line
            items.append(Item(id: id, name: name, displayName: displayName))
        }
        guard !items.isEmpty else {
            throw .malformed(
                SourceLocation(file: path), problem: "the label map has no item",
                fix: "write items such as item { id: 1 name: 'person' }")
        }
        return LabelMap(items: items)
    }
}

/// Tokens of protobuf text format, as label maps use it.
struct TextFormatScanner {
    enum Kind: Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case symbol(Character)

        var shown: String {
            switch self {
            case .identifier(let text), .number(let text): "'\(text)'"
            case .string(let text): "the string '\(text)'"
            case .symbol(let symbol): "'\(symbol)'"
            }
        }
    }

    struct Token {
        var kind: Kind
        var line: Int
    }

    let bytes: [UInt8]
    let path: String
    var index = 0
    var line = 1
    private var peeked: Token?

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
        // A UTF-8 byte-order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    func failure(_ problem: String, at line: Int) -> ReadError {
        .malformed(
            SourceLocation(file: path, line: line), problem: problem,
            fix: "write the label map as items such as item { id: 1 name: 'person' }")
    }

    /// The next token without consuming it.
    mutating func peek() throws(ReadError) -> Token? {
        if peeked == nil { peeked = try scan() }
        return peeked
    }

    /// The next token; nil at the end.
    mutating func next() throws(ReadError) -> Token? {
        if let token = peeked {
            peeked = nil
            return token
        }
        return try scan()
    }

    /// After a message field's name: an optional `:` then `{` or `<`. Returns the closing symbol.
    mutating func openMessage(after field: String) throws(ReadError) -> Character {
        var token = try next()
        if token?.kind == .symbol(":") { token = try next() }
        switch token?.kind {
        case .symbol("{")?: return "}"
        case .symbol("<")?: return ">"
        default:
            throw failure("expected '{' after \(field)", at: token?.line ?? line)
        }
    }

    /// After a scalar field's name: the `:`.
    mutating func expectColon(after field: String) throws(ReadError) {
        let token = try next()
        guard token?.kind == .symbol(":") else { throw failure("expected ':' after \(field)", at: token?.line ?? line) }
    }

    /// `: 'text'` (adjacent literals joined).
    mutating func stringValue(after field: String) throws(ReadError) -> String {
        try expectColon(after: field)
        let first = try next()
        guard case .string(var text)? = first?.kind else {
            throw failure("\(field) is not a quoted string", at: first?.line ?? line)
        }
        while case .string(let more)? = try peek()?.kind {
            text += more
            _ = try next()
        }
        return text
    }

    /// Skips the value of a field whose name was just read: `: scalar`, `: [list]`, or a message.
    mutating func skipValue() throws(ReadError) {
        let start = line
        var token = try next()
        if token?.kind == .symbol(":") {
            token = try next()
            switch token?.kind {
            case .identifier?, .number?: return
            case .string?:
                while case .string? = try peek()?.kind { _ = try next() }
                return
            case .symbol("-")?:
                _ = try next()
                return
            default: break
            }
        }
        // A message or a list: skip to its matching close.
        guard let open = token, case .symbol(let symbol) = open.kind, "{<[".contains(symbol) else {
            throw failure("a field without a value", at: token?.line ?? start)
        }
        var depth = 1
        while depth > 0 {
            guard let inner = try next() else { throw failure("a '\(symbol)' is not closed", at: open.line) }
            if case .symbol(let s) = inner.kind {
                if "{<[".contains(s) { depth += 1 }
                if "}>]".contains(s) { depth -= 1 }
            }
        }
    }

    private mutating func scan() throws(ReadError) -> Token? {
        // Blanks and comments.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                index += 1
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0C || byte == 0x0B {
                index += 1
            } else if byte == UInt8(ascii: "#") {
                while index < bytes.count && bytes[index] != 0x0A { index += 1 }
            } else {
                break
            }
        }
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        let startLine = line
        if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
            return Token(kind: .string(try quoted(byte)), line: startLine)
        }
        if isIdentifierByte(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".")
        {
            let start = index
            index += 1
            while index < bytes.count && (isIdentifierByte(bytes[index]) || bytes[index] == UInt8(ascii: ".")) {
                index += 1
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            let first = text.first!
            if first.isNumber || first == "-" || first == "+" || first == "." {
                // `-1`, `+2`, a lone `-` before a spaced number.
                if text == "-" || text == "+" { return Token(kind: .symbol(first), line: startLine) }
                return Token(kind: .number(text.hasPrefix("+") ? String(text.dropFirst()) : text), line: startLine)
            }
            return Token(kind: .identifier(text), line: startLine)
        }
        index += 1
        let symbol = Character(Unicode.Scalar(byte))
        guard ":{}<>[],;".contains(symbol) else {
            throw failure("unexpected character '\(byte < 0x80 ? String(symbol) : "byte \(byte)")'", at: startLine)
        }
        return Token(kind: .symbol(symbol), line: startLine)
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x5F
    }

    /// A quoted string starting at `index` with `quote`; C escapes decoded.
    private mutating func quoted(_ quote: UInt8) throws(ReadError) -> String {
        let startLine = line
        index += 1
        var text: [UInt8] = []
        while true {
            guard index < bytes.count, bytes[index] != 0x0A else {
                throw failure("a string is not closed on its line", at: startLine)
            }
            let byte = bytes[index]
            index += 1
            if byte == quote { break }
            guard byte == UInt8(ascii: "\\") else {
                text.append(byte)
                continue
            }
            guard index < bytes.count else { throw failure("a string ends with a backslash", at: startLine) }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "x"):
                var value = 0
                var digits = 0
                while digits < 2, index < bytes.count, let digit = hexValue(bytes[index]) {
                    value = value * 16 + digit
                    index += 1
                    digits += 1
                }
                guard digits > 0 else { throw failure("\\x without hex digits in a string", at: startLine) }
                text.append(UInt8(value))
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - 0x30)
                var digits = 1
                while digits < 3, index < bytes.count, (0x30...0x37).contains(bytes[index]) {
                    value = value * 8 + Int(bytes[index] - 0x30)
                    index += 1
                    digits += 1
                }
                text.append(UInt8(truncatingIfNeeded: value))
            default: text.append(escaped)
            }
        }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw failure("a string is not UTF-8", at: startLine)
        }
        return string
    }

    private func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
