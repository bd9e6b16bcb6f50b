/// A pull reader over the bytes of one JSON document: the caller walks the document with `beginObject` /
/// `nextKey`, `beginArray` / `nextElement` and the typed reads (`readDouble`, `readInt64`, `readString`, ...),
/// skipping what it does not need with `skipValue`. Nothing is allocated per value except the strings asked
/// for, so a 500k-element array of small objects streams straight into columns.
///
/// The reader borrows the bytes: it only exists inside `JSONReader.read(_:path:_:)`. It tracks the line
/// as it goes; every failure is a `ReadError` naming the file, line and column: `.invalidJSON` for syntax,
/// `.malformed` for a well-formed value of the wrong type, `.notText` for binary data, `.empty` for a file
/// with no value at all.
struct JSONReader {
    /// The kinds of JSON value, as announced by their first byte.
    enum ValueKind: Equatable {
        case object, array, string, number, bool, null

        /// The kind with its article, for messages ("is a string, expected a number").
        var phrase: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string: "a string"
            case .number: "a number"
            case .bool: "a boolean"
            case .null: "null"
            }
        }
    }

    /// The document.
    let buffer: UnsafeBufferPointer<UInt8>
    /// The file the bytes come from, for messages.
    let path: String
    /// Offset of the next byte to read.
    var position: Int
    /// 1-based line of `position`.
    private(set) var line: Int = 1
    /// Offset of the first byte of the current line.
    private(set) var lineStart: Int
    /// True right after `beginObject` / `beginArray`: the next member needs no comma.
    var isAtContainerStart = false
    /// Nesting of the containers `skipValue` is inside, bounded so hostile input cannot exhaust the stack.
    var skipDepth = 0

    /// How deep `skipValue` follows nested containers before it gives up.
    static let maximumSkipDepth = 512

    private init(buffer: UnsafeBufferPointer<UInt8>, path: String) {
        self.buffer = buffer
        self.path = path
        // A UTF-8 byte-order mark is not part of the document.
        let hasByteOrderMark = buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF
        position = hasByteOrderMark ? 3 : 0
        lineStart = position
    }

    /// Runs `body` with a reader over `bytes`, then checks that nothing but whitespace follows the value the
    /// body read. Throws `.empty` when the document holds no value at all.
    static func read<Result>(
        _ bytes: [UInt8], path: String, _ body: (inout JSONReader) throws(ReadError) -> Result
    ) throws(ReadError) -> Result {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ReadError) -> Result in
            try read(buffer: buffer, path: path, body)
        }
    }

    /// `read(_:path:_:)` over bytes the caller keeps alive (a mapped file).
    static func read<Result>(
        buffer: UnsafeBufferPointer<UInt8>, path: String, _ body: (inout JSONReader) throws(ReadError) -> Result
    ) throws(ReadError) -> Result {
        var reader = JSONReader(buffer: buffer, path: path)
        reader.skipWhitespace()
        if reader.position == buffer.count { throw .empty(path: path) }
        let result = try body(&reader)
        try reader.expectEnd()
        return result
    }

    /// Where a reader stands: enough to put another reader over the same bytes in the same place.
    struct Place: Equatable {
        var position: Int
        var line: Int
        var lineStart: Int

        /// This place, reached by a reader that counted lines from `origin` (`readElements`), in the lines of the
        /// document, where `origin` is at `originPlace`.
        func rebased(origin originPlace: Place) -> Place {
            Place(
                position: position, line: originPlace.line + line - 1,
                lineStart: line == 1 ? originPlace.lineStart : lineStart)
        }
    }

    /// This reader's place.
    var place: Place { Place(position: position, line: line, lineStart: lineStart) }

    /// Moves this reader to `place`, taken from a reader over the same bytes that read on from an element this
    /// reader stands on, through the closing bracket of their array.
    mutating func resume(at place: Place) {
        (position, line, lineStart) = (place.position, place.line, place.lineStart)
        isAtContainerStart = false
    }

    /// Runs `body` with a reader placed on the element of an array that starts at `offset` (the first byte of a
    /// value that follows a comma), as `nextElement` would place it: its first `nextElement` returns true there
    /// without a comma. Lines are counted from there: line 1 starts at `offset` (`Place.rebased` turns them into
    /// the document's once the place of `offset` is known). Returns what `body` returns and where the reader ended.
    static func readElements<Result>(
        buffer: UnsafeBufferPointer<UInt8>, path: String, from offset: Int,
        _ body: (inout JSONReader) throws(ReadError) -> Result
    ) throws(ReadError) -> (result: Result, end: Place) {
        var reader = JSONReader(buffer: buffer, path: path)
        reader.position = offset
        reader.lineStart = offset
        reader.isAtContainerStart = true
        let result = try body(&reader)
        return (result, reader.place)
    }

    // MARK: - Whitespace and position

    /// Moves past spaces, tabs and line breaks, counting lines.
    @inline(__always)
    mutating func skipWhitespace() {
        while position < buffer.count {
            let byte = buffer[position]
            if byte > 0x20 { return }
            if byte == 0x0A {
                line += 1
                lineStart = position + 1
            } else if byte != 0x20 && byte != 0x09 && byte != 0x0D {
                return
            }
            position += 1
        }
    }

    /// Where the reader is, after skipping whitespace: the start of the next token.
    mutating func currentLocation() -> SourceLocation {
        skipWhitespace()
        return location(ofOffset: position)
    }

    /// The file, line and column of a byte offset (column counted in characters, 1-based). Cheap for offsets
    /// at or after the current line; otherwise counts lines from the start of the file (only done for messages).
    func location(ofOffset offset: Int) -> SourceLocation {
        // Count line breaks from the current line when the offset is at or past it, else from the start.
        let countFrom = offset >= lineStart ? lineStart : 0
        var startOfLine = countFrom
        var lineNumber = offset >= lineStart ? line : 1
        for index in countFrom..<min(offset, buffer.count) where buffer[index] == 0x0A {
            lineNumber += 1
            startOfLine = index + 1
        }
        if lineNumber == 1 && startOfLine == 0 && buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB
            && buffer[2] == 0xBF
        {
            startOfLine = 3
        }
        var column = 1
        var index = startOfLine
        while index < offset && index < buffer.count {
            // Count characters, not bytes: continuation bytes do not start a character.
            if buffer[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourceLocation(file: path, line: lineNumber, column: column)
    }

    // MARK: - Containers

    /// What the next value is, after skipping whitespace. Throws at the end of input or at a byte that cannot
    /// start a value.
    mutating func peekKind() throws(ReadError) -> ValueKind {
        skipWhitespace()
        guard position < buffer.count else { throw endOfInput() }
        switch buffer[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw unexpectedCharacter(expected: "a value")
        }
    }

    /// Enters an object; then call `nextKey()` until it returns nil. `what` names the value for the message
    /// when it is not an object (e.g. `image 3`).
    @inline(__always)
    mutating func beginObject(_ what: @autoclosure () -> String) throws(ReadError) {
        skipWhitespace()
        guard position < buffer.count, buffer[position] == UInt8(ascii: "{") else {
            throw typeMismatch(what(), expected: "an object")
        }
        position += 1
        isAtContainerStart = true
    }

    /// The next key of the current object, with the reader placed on its value (which the caller must read
    /// or skip), or nil after the closing brace.
    @inline(__always)
    mutating func nextKey() throws(ReadError) -> JSONKey? {
        skipWhitespace()
        guard position < buffer.count else { throw endOfInput() }
        var byte = buffer[position]
        if byte == UInt8(ascii: "}") {
            position += 1
            isAtContainerStart = false
            return nil
        }
        if isAtContainerStart {
            isAtContainerStart = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw unexpectedCharacter(expected: "',' or '}' after a member") }
            position += 1
            skipWhitespace()
            guard position < buffer.count else { throw endOfInput() }
            byte = buffer[position]
        }
        guard byte == UInt8(ascii: "\"") else { throw unexpectedCharacter(expected: "a key in double quotes") }
        let key = try scanKey()
        skipWhitespace()
        guard position < buffer.count else { throw endOfInput() }
        guard buffer[position] == UInt8(ascii: ":") else { throw unexpectedCharacter(expected: "':' after the key") }
        position += 1
        skipWhitespace()
        return key
    }

    /// Enters an array; then call `nextElement()` until it returns false. `what` names the value for the
    /// message when it is not an array.
    @inline(__always)
    mutating func beginArray(_ what: @autoclosure () -> String) throws(ReadError) {
        skipWhitespace()
        guard position < buffer.count, buffer[position] == UInt8(ascii: "[") else {
            throw typeMismatch(what(), expected: "an array")
        }
        position += 1
        isAtContainerStart = true
    }

    /// True with the reader placed on the next element (which the caller must read or skip); false after
    /// the closing bracket.
    @inline(__always)
    mutating func nextElement() throws(ReadError) -> Bool {
        skipWhitespace()
        guard position < buffer.count else { throw endOfInput() }
        let byte = buffer[position]
        if byte == UInt8(ascii: "]") {
            position += 1
            isAtContainerStart = false
            return false
        }
        if isAtContainerStart {
            isAtContainerStart = false
            guard byte != UInt8(ascii: ",") else { throw unexpectedCharacter(expected: "a value") }
            return true
        }
        guard byte == UInt8(ascii: ",") else { throw unexpectedCharacter(expected: "',' or ']' after an element") }
        position += 1
        skipWhitespace()
        return true
    }

    /// Throws unless only whitespace is left.
    mutating func expectEnd() throws(ReadError) {
        skipWhitespace()
        if position < buffer.count {
            throw unexpectedCharacter(expected: "the end of the file after the top-level value")
        }
    }

    // MARK: - Errors

    /// The error for a file that stops in the middle of a value.
    func endOfInput() -> ReadError {
        .invalidJSON(location(ofOffset: buffer.count), reason: "unexpected end of input (the file is truncated)")
    }

    /// The error for a value of the wrong type at the current position (or a syntax error when no value
    /// starts there).
    mutating func typeMismatch(_ what: String, expected: String) -> ReadError {
        let kind: ValueKind
        do {
            kind = try peekKind()
        } catch {
            return error
        }
        if kind == .bool || kind == .null {
            // Only the first letter was looked at: a word such as `nan` or `nil` is a syntax error.
            var end = position
            while end < buffer.count && (buffer[end] | 0x20) >= UInt8(ascii: "a")
                && (buffer[end] | 0x20) <= UInt8(ascii: "z")
            {
                end += 1
            }
            let word = String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<end]), as: UTF8.self)
            if word != "true" && word != "false" && word != "null" {
                return .invalidJSON(location(ofOffset: position), reason: "unexpected '\(word)', expected a value")
            }
        }
        let fix: String
        switch kind {
        case .string: fix = "write it as \(expected), without quotes"
        case .null: fix = "give a value, or leave the key out where it is optional"
        default: fix = "write \(expected) there"
        }
        return .malformed(
            location(ofOffset: position), problem: "\(what) is \(kind.phrase), expected \(expected)", fix: fix)
    }

    /// The error for a byte that cannot appear here: binary data is reported as not text, anything else as
    /// invalid JSON naming the character.
    func unexpectedCharacter(expected: String) -> ReadError {
        unexpectedCharacter(at: position, expected: expected)
    }

    /// `unexpectedCharacter(expected:)` at a given offset.
    func unexpectedCharacter(at offset: Int, expected: String) -> ReadError {
        guard offset < buffer.count else { return endOfInput() }
        let byte = buffer[offset]
        let location = location(ofOffset: offset)
        if byte < 0x20 || byte == 0x7F || looksBinary(from: offset) {
            return .notText(path: path, line: location.line)
        }
        if byte < 0x80 {
            let shown = byte == UInt8(ascii: "'") ? "\"'\"" : "'\(Character(Unicode.Scalar(byte)))'"
            return .invalidJSON(location, reason: "unexpected \(shown), expected \(expected)")
        }
        guard let end = utf8SequenceEnd(at: offset) else {
            return .notText(path: path, line: location.line)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[offset..<end]), as: UTF8.self)
        let code = text.unicodeScalars.first.map { "U+" + String($0.value, radix: 16, uppercase: true) } ?? "?"
        return .invalidJSON(location, reason: "unexpected '\(text)' (\(code)), expected \(expected)")
    }

    /// Whether the bytes from `offset` on look like binary data rather than text with a stray character:
    /// a control character (other than whitespace) or invalid UTF-8 among the next 64 bytes. Catches files
    /// whose first bytes happen to be printable (`PK` of a zip, `%PDF`).
    private func looksBinary(from offset: Int) -> Bool {
        var index = offset
        let end = min(offset + 64, buffer.count)
        while index < end {
            let byte = buffer[index]
            if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D || byte == 0x7F { return true }
            if byte < 0x80 {
                index += 1
            } else if let next = utf8SequenceEnd(at: index) {
                index = next
            } else {
                return true
            }
        }
        return false
    }

    /// The end of the well-formed UTF-8 sequence starting at `offset`, or nil when the bytes there are not
    /// UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
    func utf8SequenceEnd(at offset: Int) -> Int? {
        let count = buffer.count
        let lead = buffer[offset]
        @inline(__always) func continuation(_ index: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            index < count && buffer[index] >= low && buffer[index] <= high
        }
        switch lead {
        case 0x00...0x7F:
            return offset + 1
        case 0xC2...0xDF:
            return continuation(offset + 1) ? offset + 2 : nil
        case 0xE0:
            return continuation(offset + 1, 0xA0) && continuation(offset + 2) ? offset + 3 : nil
        case 0xED:
            return continuation(offset + 1, 0x80, 0x9F) && continuation(offset + 2) ? offset + 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(offset + 1) && continuation(offset + 2) ? offset + 3 : nil
        case 0xF0:
            return continuation(offset + 1, 0x90) && continuation(offset + 2) && continuation(offset + 3)
                ? offset + 4 : nil
        case 0xF1...0xF3:
            return continuation(offset + 1) && continuation(offset + 2) && continuation(offset + 3)
                ? offset + 4 : nil
        case 0xF4:
            return continuation(offset + 1, 0x80, 0x8F) && continuation(offset + 2) && continuation(offset + 3)
                ? offset + 4 : nil
        default:
            return nil
        }
    }
}
