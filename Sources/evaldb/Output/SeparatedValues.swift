/// CSV or TSV text built as UTF-8 bytes, one field at a time: what `Renderer.separatedField` gives for every field,
/// without its `String` searches on the common values. A 500k-row `evaldb sql` result holds millions of fields.
///
/// `separatedField` compares characters. In ASCII text a character is one byte, except the pair "\r\n", which is one
/// character; so ASCII values without that pair are escaped here byte by byte, with the same result, and the others
/// (non-ASCII text, "\r\n") are left to `separatedField`.
struct SeparatedValues {
    /// CSV: fields separated by commas, quoted when they hold a comma, a quote or a line break, quotes doubled. TSV:
    /// fields separated by tabs, with backslash, tab, line feed and carriage return escaped.
    enum Style {
        case csv, tsv

        var separator: Character { self == .tsv ? "\t" : "," }
    }

    private let style: Style
    private let separatorByte: UInt8
    /// For each byte: what it asks of a field (`ByteClass`).
    private let classes: [UInt8]
    private var isAtLineStart = true
    /// The UTF-8 text of the rows so far: the full blocks, then `bytes`, the block being written. Fixed-size blocks
    /// are never copied to grow, as one large array would be.
    private var blocks: [[UInt8]] = []
    private var bytes: [UInt8] = []
    private static let blockSize = 1 << 20

    init(_ style: Style) {
        self.style = style
        separatorByte = style == .tsv ? Byte.tab : UInt8(ascii: ",")
        var classes = [UInt8](repeating: ByteClass.plain, count: 256)
        for byte in 0x80...0xFF { classes[byte] = ByteClass.undecided }
        let escaped =
            style == .tsv ? [Byte.backslash, Byte.tab, Byte.lineFeed] : [separatorByte, Byte.quote, Byte.lineFeed]
        for byte in escaped { classes[Int(byte)] = ByteClass.escaped }
        classes[Int(Byte.carriageReturn)] = ByteClass.carriageReturn
        self.classes = classes
    }

    /// The UTF-8 text of the rows so far, in order.
    var utf8Blocks: [[UInt8]] { blocks + [bytes] }

    /// The text of the rows so far.
    var text: String { String(decoding: utf8Blocks.joined(), as: UTF8.self) }

    /// Appends one line; null is an empty field.
    mutating func row(_ cells: [ResultTable.Cell]) {
        for cell in cells { append(cell) }
        endRow()
    }

    /// Appends one field to the current line; null is an empty field.
    mutating func append(_ cell: ResultTable.Cell) {
        if !isAtLineStart { bytes.append(separatorByte) }
        isAtLineStart = false
        switch cell {
        case .null: break
        case .text(let value): field(value)
        case .integer(let value): field(String(value))
        default: field(Renderer.text(of: cell))
        }
    }

    /// Ends the current line.
    mutating func endRow() {
        bytes.append(Byte.lineFeed)
        isAtLineStart = true
        if bytes.count >= Self.blockSize - Self.blockSize / 8 {
            blocks.append(bytes)
            bytes = []
            bytes.reserveCapacity(Self.blockSize)
        }
    }

    private mutating func field(_ value: String) {
        var value = value
        let isDone = value.withUTF8 { utf8 in
            switch scan(utf8) {
            case ByteClass.plain: bytes.append(contentsOf: utf8)
            case ByteClass.escaped: style == .tsv ? appendEscaped(utf8) : appendQuoted(utf8)
            default: return false
            }
            return true
        }
        if !isDone { bytes.append(contentsOf: Renderer.separatedField(value, separator: style.separator).utf8) }
    }

    /// `plain` when no byte needs escaping, `escaped` when some does, `undecided` for non-ASCII text or "\r\n".
    private func scan(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt8 {
        classes.withUnsafeBufferPointer { classes in
            var found = ByteClass.plain
            var previous = ByteClass.plain
            for byte in utf8 {
                let kind = classes[Int(byte)]
                if kind == ByteClass.undecided || (previous == ByteClass.carriageReturn && byte == Byte.lineFeed) {
                    return ByteClass.undecided
                }
                found |= kind
                previous = kind
            }
            return found == ByteClass.plain ? ByteClass.plain : ByteClass.escaped
        }
    }

    /// The field in quotes, its quotes doubled.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(Byte.quote)
        var start = 0
        for index in 0..<utf8.count where utf8[index] == Byte.quote {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...index]))
            bytes.append(Byte.quote)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        bytes.append(Byte.quote)
    }

    /// Backslash, tab, line feed and carriage return as `\\`, `\t`, `\n`, `\r`.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        for byte in utf8 {
            switch byte {
            case Byte.backslash: bytes.append(contentsOf: [Byte.backslash, Byte.backslash])
            case Byte.tab: bytes.append(contentsOf: [Byte.backslash, UInt8(ascii: "t")])
            case Byte.lineFeed: bytes.append(contentsOf: [Byte.backslash, UInt8(ascii: "n")])
            case Byte.carriageReturn: bytes.append(contentsOf: [Byte.backslash, UInt8(ascii: "r")])
            default: bytes.append(byte)
            }
        }
    }

    /// What a byte asks of a field; `scan` ORs them.
    private enum ByteClass {
        static let plain: UInt8 = 0
        static let escaped: UInt8 = 1
        static let carriageReturn: UInt8 = 3
        static let undecided: UInt8 = 4
    }

    private enum Byte {
        static let tab = UInt8(ascii: "\t")
        static let lineFeed = UInt8(ascii: "\n")
        static let carriageReturn = UInt8(ascii: "\r")
        static let quote = UInt8(ascii: "\"")
        static let backslash = UInt8(ascii: "\\")
    }
}
