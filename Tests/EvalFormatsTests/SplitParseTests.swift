import Foundation
import Synchronization
import Testing

@testable import EvalFormats

/// A COCO results file parsed in two halves on two threads gives the very batch, and the very errors, of one
/// parser reading it in order, wherever the second half starts.
@Suite struct SplitParseTests {
    typealias Generator = JSONTestSupport.SeededRandom

    /// How a generated document is written.
    struct Style {
        var pretty = false
        var crlf = false
        var byteOrderMark = false
        var names = false
        var trailingKey = false
        var wrapped = false
    }

    /// A results document of `count` detections in `style`; `decoy` puts a string holding `},{` in each row.
    static func document(count: Int, style: Style, seed: UInt64, decoy: Bool = false) -> [UInt8] {
        var random = Generator(seed: seed)
        let newline = style.crlf ? "\r\n" : "\n"
        var rows: [String] = []
        for i in 0..<count {
            var fields: [String] = []
            if style.names && random.next() % 3 == 0 {
                fields.append("\"image_id\": \"img_\(random.next() % 50).jpg\"")
            } else {
                fields.append("\"image_id\": \(random.next() % 100)")
            }
            if style.names && random.next() % 4 == 0 {
                fields.append("\"category_name\": \"class \(random.next() % 7)\"")
            } else {
                let id = random.next() % 20
                fields.append("\"category_id\": \(id)")
                if style.names && random.next() % 5 == 0 { fields.append("\"category_name\": \"n\(id)-\(i % 3)\"") }
            }
            let box = (0..<4).map { _ in String(Double(random.next() % 100_000) / 97) }
            fields.append("\"bbox\": [\(box.joined(separator: ", "))]")
            fields.append("\"score\": \(Double(random.next() % 1000) / 1000)")
            if decoy { fields.append("\"note\": \"a},{\\\"image_id\\\": 1, \\\"x\\\": [1, 2]}, {b\"") }
            if style.pretty {
                rows.append(
                    "  {" + newline + fields.map { "    " + $0 }.joined(separator: "," + newline) + newline + "  }")
            } else {
                rows.append("{" + fields.joined(separator: ", ") + "}")
            }
        }
        var text =
            "[" + (style.pretty ? newline : "") + rows.joined(separator: style.pretty ? "," + newline : ", ")
            + (style.pretty ? newline : "") + "]"
        if style.wrapped {
            text =
                "{\"info\": {\"a\": [1, {\"b\": 2}]}, \"annotations\": " + text
                + (style.trailingKey ? ", \"after\": [{\"x\": 1}, {\"y\": 2}]" : "") + "}"
        }
        text += newline
        return (style.byteOrderMark ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
    }

    /// The batch (or error) of one parser, and of two with the second half found near `near`, and whether the
    /// second parser's rows were taken.
    static func both(_ bytes: [UInt8], near: Int) -> (
        single: Result<DetectionBatch, ReadError>, split: Result<DetectionBatch, ReadError>, tookTail: Bool
    ) {
        bytes.withUnsafeBufferPointer { buffer in
            let single = Result { () throws(ReadError) in try CocoResultsReader.read(buffer: buffer, path: "d.json") }
            var tookTail = false
            let split = Result { () throws(ReadError) in
                let read = try CocoResultsReader.readSplitting(
                    buffer: buffer, path: "d.json", splittingAbove: 0, near: near, passed: { _ in },
                    progress: { _ in })
                tookTail = read.tookTail
                return read.batch
            }
            return (single, split, tookTail)
        }
    }

    /// Every column of `batch`, as comparable values (numbers by their bits, so NaN equals NaN).
    static func columns(_ batch: DetectionBatch) -> [String] {
        func bits(_ values: [Double]) -> String { values.map { String($0.bitPattern) }.joined(separator: ",") }
        return [
            "\(batch.count)", "\(Array(batch.imageKeys))", "\(Array(batch.categoryKeys))", bits(batch.scores),
            bits(batch.a), bits(batch.b), bits(batch.c), bits(batch.d), "\(Array(batch.lines))",
            "\(batch.columns)", "\(Array(batch.fileIndex))",
            "\(batch.categoryNames.sorted { $0.key < $1.key })", "\(batch.notes.count)",
            "\(batch.imageKeys.names)", "\(batch.categoryKeys.names)",
        ]
    }

    /// Expects the same outcome of one parser and of two; returns whether the second's rows were taken.
    @discardableResult
    static func expectSame(_ bytes: [UInt8], near: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation)
        -> Bool
    {
        let (single, split, tookTail) = both(bytes, near: near)
        switch (single, split) {
        case (.success(let a), .success(let b)):
            #expect(columns(a) == columns(b), sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)):
            #expect(a == b, sourceLocation: sourceLocation)
            #expect(a.description == b.description, sourceLocation: sourceLocation)
        default:
            Issue.record("one parser failed, the other did not: \(single) / \(split)", sourceLocation: sourceLocation)
        }
        return tookTail
    }

    @Test(arguments: [
        Style(), Style(pretty: true), Style(pretty: true, crlf: true), Style(byteOrderMark: true),
        Style(names: true), Style(pretty: true, names: true, wrapped: true),
        Style(names: true, trailingKey: true, wrapped: true),
    ])
    func everySplitPointGivesTheSameBatch(style: Style) {
        let bytes = Self.document(count: 60, style: style, seed: 7)
        // Every seventh byte as the place the second half is looked for: element starts, strings, numbers, the end.
        var taken = 0
        var tried = 0
        for near in stride(from: 0, through: bytes.count, by: 7) {
            tried += 1
            if Self.expectSame(bytes, near: near) { taken += 1 }
        }
        // The second parser's rows are used wherever an element follows in the list (all but its last row).
        #expect(taken > tried * 8 / 10)
    }

    /// A row holding `},{` in a string: the guessed element start falls inside it, and the first parser, never
    /// landing there, reads the rest alone.
    @Test func aGuessInsideAStringIsDropped() {
        let bytes = Self.document(count: 40, style: Style(), seed: 3, decoy: true)
        let text = String(decoding: bytes, as: UTF8.self)
        let decoy = text.range(of: "a},{")!
        let near = text.utf8.distance(from: text.startIndex, to: decoy.lowerBound)
        #expect(bytes.withUnsafeBufferPointer { CocoResultsReader.elementStart(in: $0, near: near) } == near + 3)
        #expect(!Self.expectSame(bytes, near: near))
        for offset in stride(from: 0, through: bytes.count, by: 11) { Self.expectSame(bytes, near: offset) }
    }

    /// Broken rows in either half, or a truncated file: the same message as one parser's.
    @Test func errorsAreThoseOfOneParser() {
        let good = String(decoding: Self.document(count: 50, style: Style(pretty: true), seed: 11), as: UTF8.self)
        let rows = good.components(separatedBy: "\"score\"")
        let broken = [
            // A row without a score, early and late.
            good.replacingFirst("\"score\"", with: "\"scor\""),
            rows.dropLast().joined(separator: "\"score\"") + "\"scor\"" + rows.last!,
            // A box of five numbers late in the file; a string where a number goes.
            good.replacingLast("\"bbox\": [", with: "\"bbox\": [1, "),
            good.replacingLast("\"score\": ", with: "\"score\": \"x\", \"s\": "),
            // Truncated in the second half; garbage after the list.
            String(good.prefix(good.count * 3 / 4)),
            good + "x",
        ]
        for text in broken {
            let bytes = Array(text.utf8)
            guard case .failure = Self.both(bytes, near: 0).single else {
                Issue.record("not broken: \(text.suffix(80))")
                continue
            }
            for near in stride(from: 0, through: bytes.count, by: 13) { Self.expectSame(bytes, near: near) }
        }
    }

    /// Large enough for the default threshold: the public entry splits, and the ranges it reports passed cover
    /// the file once parsed.
    @Test func theDefaultThresholdSplitsALargeFile() {
        let bytes = Self.document(count: 200_000, style: Style(names: true), seed: 5)
        #expect(bytes.count > 16 << 20)
        let passed = Mutex<[Range<Int>]>([])
        bytes.withUnsafeBufferPointer { buffer in
            let single = try? CocoResultsReader.read(buffer: buffer, path: "d.json")
            let split = try? CocoResultsReader.readSplitting(
                buffer: buffer, path: "d.json", passed: { range in passed.withLock { $0.append(range) } })
            #expect(single.map(Self.columns) == split.map(Self.columns))
        }
        let ranges = passed.withLock { $0 }
        // Both halves report ranges, and together they reach the end.
        #expect(ranges.contains { $0.lowerBound == 0 && $0.upperBound > 0 })
        #expect(ranges.contains { $0.lowerBound > 0 })
        #expect(ranges.map(\.upperBound).max() == bytes.count)
    }

    @Test func columnsAppendedWholeEqualColumnsAppendedRowByRow() {
        var random = Generator(seed: 9)
        for _ in 0..<50 {
            func key() -> ImageKey {
                switch random.next() % 4 {
                case 0: .name("n\(random.next() % 6)")
                case 1: .id(Int64(bitPattern: random.next()) >> (random.next() % 2 == 0 ? 0 : 40))
                default: .id(Int64(random.next() % 100))
                }
            }
            let first = (0..<Int(random.next() % 30)).map { _ in key() }
            let second = (0..<Int(random.next() % 30)).map { _ in key() }
            var whole = ReferenceColumn(first)
            whole.append(contentsOf: ReferenceColumn(second))
            let byRow = ReferenceColumn(first + second)
            #expect(whole == byRow && whole.names == byRow.names)
            #expect(whole.indices.map(whole.code(at:)) == byRow.indices.map(byRow.code(at:)))

            func values(_ n: Int) -> [Int32] {
                var value = Int32(random.next() % 10)
                return (0..<n).map { _ in
                    value &+= random.next() % 5 == 0 ? Int32(random.next() % 9) : 1
                    return value
                }
            }
            let a = values(Int(random.next() % 3000))
            let b = values(Int(random.next() % 3000))
            var stepped = SteppedColumn(a)
            stepped.append(contentsOf: SteppedColumn(b))
            #expect(stepped == a + b)
            let delta = Int32(random.next() % 1000)
            stepped.add(delta)
            #expect(stepped == (a + b).map { $0 + delta })
        }
    }

    @Test func backgroundWorkGivesItsValue() {
        let work = Background { (1...100_000).reduce(0, +) }
        #expect(work.value() == 5_000_050_000)
        #expect(work.value() == 5_000_050_000)
        #expect(Background(ready: "x").value() == "x")
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }

    fileprivate func replacingLast(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target, options: .backwards) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
