/// An object key as read by `JSONReader.nextKey()`: the raw bytes between the quotes, borrowed from the
/// document. Comparing a key without escapes (the usual case) allocates nothing.
struct JSONKey {
    private let raw: UnsafeBufferPointer<UInt8>
    private let hasEscapes: Bool

    init(raw: UnsafeBufferPointer<UInt8>, hasEscapes: Bool) {
        self.raw = raw
        self.hasEscapes = hasEscapes
    }

    /// The key as a string (escapes decoded).
    var string: String {
        hasEscapes
            ? String(decoding: JSONReader.decodeEscapes(raw), as: UTF8.self) : String(decoding: raw, as: UTF8.self)
    }

    /// Whether the key is exactly `name`.
    @inline(__always)
    static func == (key: JSONKey, name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        let expected = name.utf8Start
        if key.hasEscapes {
            let decoded = JSONReader.decodeEscapes(key.raw)
            return decoded.count == count && (0..<count).allSatisfy { decoded[$0] == expected[$0] }
        }
        guard key.raw.count == count else { return false }
        for index in 0..<count where key.raw[index] != expected[index] { return false }
        return true
    }
}

extension JSONReader {
    // MARK: - Strings

    /// Reads a string. `what` names the value for the message when it is not a string.
    mutating func readString(_ what: @autoclosure () -> String) throws(ReadError) -> String {
        skipWhitespace()
        guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else {
            throw typeMismatch(what(), expected: "a string")
        }
        let stringStart = position
        let (start, end, hasEscapes) = try scanStringExtent()
        let content = UnsafeBufferPointer(rebasing: buffer[start..<end])
        guard hasEscapes else { return String(decoding: content, as: UTF8.self) }
        let decoded = Self.decodeEscapes(content)
        // A NUL (\u0000) would cut names short where they are stored and printed: no annotation needs one.
        guard !decoded.contains(0) else {
            throw .malformed(
                location(ofOffset: stringStart), problem: "\(what()) holds a NUL character (\\u0000)",
                fix: "remove it: names and file names cannot contain NUL")
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Reads the key string at the reader (which is on its opening quote).
    @inline(__always)
    mutating func scanKey() throws(ReadError) -> JSONKey {
        let (start, end, hasEscapes) = try scanStringExtent()
        return JSONKey(raw: UnsafeBufferPointer(rebasing: buffer[start..<end]), hasEscapes: hasEscapes)
    }

    /// Moves past the string at the reader (on its opening quote), checking that it is well formed: closed,
    /// no raw control characters, valid escapes and valid UTF-8. Returns the offsets of its content.
    @inline(__always)
    mutating func scanStringExtent() throws(ReadError) -> (start: Int, end: Int, hasEscapes: Bool) {
        let start = position + 1
        var index = start
        var hasEscapes = false
        let count = buffer.count
        while index < count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return (start, index, hasEscapes)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                index = try escapeEnd(at: index)
            } else if byte < 0x20 {
                throw controlCharacterInString(at: index)
            } else if byte < 0x80 {
                index += 1
            } else {
                guard let next = utf8SequenceEnd(at: index) else { throw invalidUTF8(at: index) }
                index = next
            }
        }
        position = count
        throw endOfInput()
    }

    /// The offset after the escape sequence starting at the backslash at `index`.
    private func escapeEnd(at index: Int) throws(ReadError) -> Int {
        guard index + 1 < buffer.count else { throw endOfInput() }
        switch buffer[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            for digit in index + 2..<index + 6 {
                guard digit < buffer.count else { throw endOfInput() }
                guard Self.hexValue(buffer[digit]) != nil else { throw invalidEscape(at: index) }
            }
            return index + 6
        default:
            throw invalidEscape(at: index)
        }
    }

    /// The bytes of a string's content with its escapes resolved; the content was checked by
    /// `scanStringExtent`. A lone UTF-16 surrogate (which JSON allows but Unicode text cannot hold) becomes
    /// U+FFFD.
    static func decodeEscapes(_ content: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(content.count)
        var index = 0
        let end = content.count
        while index < end {
            let byte = content[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < end else {
                bytes.append(byte)
                index += 1
                continue
            }
            let escaped = content[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexQuad(content, at: index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) && index + 6 <= end && content[index] == UInt8(ascii: "\\")
                    && content[index + 1] == UInt8(ascii: "u")
                {
                    // A high surrogate followed by a low one: one scalar beyond the Basic Multilingual Plane.
                    let low = hexQuad(content, at: index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes.append(contentsOf: String(Character(character)).utf8)
            default: bytes.append(escaped)  // `"`, `\` and `/` stand for themselves
            }
        }
        return bytes
    }

    /// The value of the four hex digits at `index` (already checked; missing digits count as 0).
    private static func hexQuad(_ content: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for digit in index..<min(index + 4, content.count) {
            value = value << 4 | UInt32(hexValue(content[digit]) ?? 0)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private func invalidEscape(at index: Int) -> ReadError {
        let end = min(index + 6, buffer.count)
        var shown = ""
        for offset in index..<end {
            let byte = buffer[offset]
            if offset > index + 1 && (byte == UInt8(ascii: "\"") || byte < 0x20 || byte >= 0x80) { break }
            shown.append(Character(Unicode.Scalar(byte < 0x80 ? byte : UInt8(ascii: "?"))))
            if offset == index + 1 && byte != UInt8(ascii: "u") { break }
        }
        return .invalidJSON(
            location(ofOffset: index),
            reason: "invalid escape '\(shown)' in a string (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
    }

    private func controlCharacterInString(at index: Int) -> ReadError {
        let code = String(buffer[index], radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: 4 - code.count) + code
        let reason =
            buffer[index] == 0x0A
            ? "line break inside a string (a string was not closed, or needs \\n)"
            : "control character U+\(padded) inside a string (write it as an escape)"
        return .invalidJSON(location(ofOffset: index), reason: reason)
    }

    private func invalidUTF8(at index: Int) -> ReadError {
        let code = String(buffer[index], radix: 16, uppercase: true)
        return .invalidJSON(
            location(ofOffset: index),
            reason: "invalid UTF-8 (byte 0x\(code)) inside a string; JSON files must be saved as UTF-8")
    }

    // MARK: - Literals

    /// Reads `true` or `false`. `what` names the value for the message when it is not a boolean.
    mutating func readBool(_ what: @autoclosure () -> String) throws(ReadError) -> Bool {
        skipWhitespace()
        if try matchLiteral("true") { return true }
        if try matchLiteral("false") { return false }
        throw typeMismatch(what(), expected: "true or false")
    }

    /// Moves past `null` and returns true when the next value is null; else leaves the reader as it was.
    mutating func skipNullIfPresent() throws(ReadError) -> Bool {
        skipWhitespace()
        return try matchLiteral("null")
    }

    /// Moves past `literal` when the input continues with it and returns true. Throws when the input starts
    /// like the literal but is cut short or continues with other letters (`tru`, `nulll`).
    mutating func matchLiteral(_ literal: StaticString) throws(ReadError) -> Bool {
        let count = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        guard position < buffer.count, buffer[position] == text[0] else { return false }
        for index in 1..<count {
            guard position + index < buffer.count else { throw endOfInput() }
            guard buffer[position + index] == text[index] else {
                throw unexpectedCharacter(at: position + index, expected: "'\(literal)'")
            }
        }
        let end = position + count
        if end < buffer.count, isIdentifierByte(buffer[end]) {
            throw unexpectedCharacter(at: end, expected: "a delimiter after '\(literal)'")
        }
        position = end
        return true
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: - Skipping

    /// Moves past the next value, whatever it is, checking that it is well formed without converting
    /// anything (numbers are not parsed, strings not decoded): the fast way past a `segmentation`.
    mutating func skipValue() throws(ReadError) {
        switch try peekKind() {
        case .string:
            _ = try scanStringExtent()
        case .number:
            try skipNumber()
        case .bool:
            _ = try readBool("a value")
        case .null:
            guard try matchLiteral("null") else { throw unexpectedCharacter(expected: "a value") }
        case .object:
            try enterSkippedContainer()
            while try nextKey() != nil { try skipValue() }
            skipDepth -= 1
        case .array:
            try enterSkippedContainer()
            while try nextElement() { try skipValue() }
            skipDepth -= 1
        }
    }

    private mutating func enterSkippedContainer() throws(ReadError) {
        guard skipDepth < Self.maximumSkipDepth else {
            throw .invalidJSON(
                location(ofOffset: position), reason: "values nested more than \(Self.maximumSkipDepth) levels deep")
        }
        skipDepth += 1
        position += 1
        isAtContainerStart = true
    }
}
