import Foundation
import Testing

@testable import EvalFormats

/// Fixture paths and temporary files for the JSON and COCO reader tests.
enum JSONTestSupport {
    /// `Tests/Fixtures/<relative>`, found from this source file.
    static func fixture(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(relative).path
    }

    /// A fresh, empty temporary directory; the caller removes it.
    static func makeTemporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("evaldb-json-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Writes `bytes` to `name` in a fresh temporary directory, runs `body` with the file's path, and
    /// removes the directory.
    static func withFile<Result>(
        _ bytes: [UInt8], named name: String = "input.json", _ body: (String) throws -> Result
    ) throws -> Result {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return try body(url.path)
    }

    /// `withFile` for text.
    static func withFile<Result>(
        _ text: String, named name: String = "input.json", _ body: (String) throws -> Result
    ) throws -> Result {
        try withFile(Array(text.utf8), named: name, body)
    }

    /// The error `body` throws, or nil.
    static func readError<Result>(_ body: () throws(ReadError) -> Result) -> ReadError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }
}

@Suite("JSONReader")
struct JSONReaderTests {
    /// Reads one number document the way the COCO readers do.
    func double(_ text: String) throws(ReadError) -> Double {
        try JSONReader.read(Array(text.utf8), path: "n.json") { (reader) throws(ReadError) in
            try reader.readDouble("the value")
        }
    }

    func int64(_ text: String) throws(ReadError) -> Int64 {
        try JSONReader.read(Array(text.utf8), path: "n.json") { (reader) throws(ReadError) in
            try reader.readInt64("the value")
        }
    }

    func string(_ bytes: [UInt8]) throws(ReadError) -> String {
        try JSONReader.read(bytes, path: "s.json") { (reader) throws(ReadError) in try reader.readString("the value") }
    }

    /// The error of reading `text` as one value skipped whole, or nil when it is valid.
    func syntaxError(_ text: String) -> ReadError? {
        JSONTestSupport.readError { () throws(ReadError) in
            try JSONReader.read(Array(text.utf8), path: "t.json") { (reader) throws(ReadError) in try reader.skipValue()
            }
        }
    }

    // MARK: - Numbers

    @Test(
        "numbers convert to the correctly rounded Double",
        arguments: [
            "0.1", "1e-7", "123456789012345678", "2.2250738585072014e-308", "0.30000000000000004",
            "1.7976931348623157e308", "-0", "-0.0", "0", "5e-324", "4.9406564584124654e-324",
            "2.225073858507201e-308", "1e22", "1e23", "9007199254740993", "9007199254740992", "18446744073709551615",
            "123.45678", "0.8123456789", "417.3332824707031", "0.07092753797769547", "0.9949821829795837",
            "1e308", "1e-308", "1e-320", "1.5e300", "-1.5e-300", "7.038531e-26", "3.4028234663852886e38",
            "0.000000000000000000000000000000000000000000001", "1234567890123456789012345678901234567890",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126", "2.0000000000000004440892098500626",
            "9.999999999999999e22", "1E+2", "1e+0", "1.0e-0", "10000000000000000000000000000000000000000e-40",
            "0.000000000000000000000000000000000000000000000000000000001e57",
            "179769313486231570000000000000000000000"
                + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ])
    func numberExactness(text: String) throws {
        let expected = try #require(Double(text))
        let value = try double(text)
        #expect(value.bitPattern == expected.bitPattern, "\(text): got \(value), expected \(expected)")
    }

    @Test("beyond the Double range: infinity and zero, as Python's json reads them")
    func outOfRange() throws {
        #expect(try double("1e400") == .infinity)
        #expect(try double("-1e400") == -.infinity)
        #expect(try double("1e-400") == 0)
        #expect(try double("1e99999999999").isInfinite)
    }

    @Test("random decimals of every length and exponent match Double(String) bit for bit")
    func randomDecimals() throws {
        var random = JSONTestSupport.SeededRandom(seed: 20_240_601)
        for _ in 0..<100_000 {
            let digitCount = Int(random.next() % 22) + 1
            var digits = String(random.next() % 9 + 1)
            for _ in 1..<digitCount { digits.append(String(random.next() % 10)) }
            let point = Int(random.next() % UInt64(digitCount + 1))
            var text = point == digitCount ? digits : String(digits.prefix(point)) + "." + digits.dropFirst(point)
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            if random.next() % 2 == 0 { text += "e\(Int(random.next() % 640) - 330)" }
            if random.next() % 4 == 0 { text = "-" + text }
            let expected = try #require(Double(text))
            let value = try double(text)
            try #require(value.bitPattern == expected.bitPattern, "\(text): got \(value), expected \(expected)")
        }
    }

    @Test("random Doubles survive a round trip through their shortest and 17-digit forms")
    func randomDoublesRoundTrip() throws {
        var random = JSONTestSupport.SeededRandom(seed: 7)
        for _ in 0..<50_000 {
            let value = Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
            for text in [value.description, String(format: "%.17g", value), String(format: "%.16e", value)] {
                let parsed = try double(text)
                try #require(parsed.bitPattern == value.bitPattern, "\(text) -> \(parsed), expected \(value)")
            }
        }
    }

    @Test("NaN, Infinity and -Infinity (as Python writes them) are read")
    func nonFiniteTokens() throws {
        #expect(try double("NaN").isNaN)
        #expect(try double("Infinity") == .infinity)
        #expect(try double("-Infinity") == -.infinity)
        #expect(syntaxError("[NaN, -Infinity, Infinity]") == nil)
        for bad in ["Nan", "-NaN", "Inf", "infinity", "NaNa"] {
            #expect(syntaxError(bad) != nil, "\(bad) should be rejected")
        }
    }

    @Test("integers are exact; integral decimals are accepted, fractions refused")
    func integers() throws {
        #expect(try int64("123456789012345678") == 123_456_789_012_345_678)
        #expect(try int64("-9223372036854775808") == .min)
        #expect(try int64("9223372036854775807") == .max)
        #expect(try int64("1.0") == 1)
        #expect(try int64("1e3") == 1000)
        #expect(try int64("-0") == 0)
        let fraction = JSONTestSupport.readError { () throws(ReadError) in try int64("1.5") }
        #expect(fraction?.description == "n.json:1:1: the value is 1.5, expected an integer; write a whole number")
        let tooLarge = JSONTestSupport.readError { () throws(ReadError) in try int64("9223372036854775808") }
        #expect(tooLarge?.description.contains("outside the 64-bit integer range") == true)
        let quoted = JSONTestSupport.readError { () throws(ReadError) in try int64("\"7\"") }
        #expect(
            quoted?.description == "n.json:1:1: the value is a string, expected an integer; "
                + "write it as an integer, without quotes")
    }

    // MARK: - Strings

    @Test("string escapes and Unicode are decoded")
    func strings() throws {
        #expect(try string(Array(#""plain""#.utf8)) == "plain")
        #expect(try string(Array(#""a\"b\\c\/d\b\f\n\r\t""#.utf8)) == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(try string(Array(#""caf\u00e9 \u20AC""#.utf8)) == "café €")
        #expect(try string(Array(#""\ud83d\ude00""#.utf8)) == "😀")
        #expect(try string(Array(#""lone \ud83d here""#.utf8)) == "lone \u{FFFD} here")
        #expect(try string(Array("\"naïve 日本\"".utf8)) == "naïve 日本")
    }

    @Test("keys compare by bytes, escaped keys by their decoded text")
    func keys() throws {
        let found = try JSONReader.read(Array(#"{"bbox": 1, "\u0073core": 2, "image_id": 3}"#.utf8), path: "k.json") {
            (reader) throws(ReadError) -> [String] in
            var names: [String] = []
            try reader.beginObject("the top level")
            while let key = try reader.nextKey() {
                let value = try reader.readInt64("value")
                if key == "bbox" { names.append("bbox=\(value)") }
                if key == "score" { names.append("score=\(value)") }
                if key == "image" { names.append("wrong") }
                #expect(!(key == "bboxes"))
            }
            return names
        }
        #expect(found == ["bbox=1", "score=2"])
    }

    @Test(
        "malformed strings are reported with line and column",
        arguments: [
            ("[\"a\\x\"]", "t.json:1:4: invalid JSON: invalid escape '\\x'"),
            ("[\"a\\u12G4\"]", "t.json:1:4: invalid JSON: invalid escape '\\u12G4'"),
            ("[\n  \"tab\there\"]", "t.json:2:7: invalid JSON: control character U+0009 inside a string"),
            ("[\"open\n]", "t.json:1:7: invalid JSON: line break inside a string"),
        ])
    func malformedStrings(text: String, expected: String) {
        let error = syntaxError(text)
        #expect(error?.description.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    @Test("invalid UTF-8 inside a string names the line and column")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("{\n \"file_name\": \"caf".utf8) + [0xE9] + Array("\"\n}".utf8)
        let error = JSONTestSupport.readError { () throws(ReadError) in
            try JSONReader.read(bytes, path: "u.json") { (reader) throws(ReadError) in try reader.skipValue() }
        }
        #expect(
            error?.description.hasPrefix("u.json:2:19: invalid JSON: invalid UTF-8 (byte 0xE9) inside a string")
                == true, "\(String(describing: error))")
        // Overlong encodings and surrogates are not UTF-8 either.
        for sequence: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let text = [UInt8(ascii: "\"")] + sequence + [UInt8(ascii: "\"")]
            #expect(JSONTestSupport.readError { () throws(ReadError) in try string(text) } != nil)
        }
    }

    // MARK: - Structure and errors

    @Test("skipValue passes over any well-formed value and leaves the reader after it")
    func skipping() throws {
        let text = #"[{"segmentation": {"size": [426, 640], "counts": "Tc`52W=3N\"0"}, "x": [[1.5, -2e3], [], {}]}, 7]"#
        let last = try JSONReader.read(Array(text.utf8), path: "s.json") { (reader) throws(ReadError) -> Int64 in
            try reader.beginArray("the top level")
            #expect(try reader.nextElement())
            try reader.skipValue()
            #expect(try reader.nextElement())
            let value = try reader.readInt64("the second element")
            #expect(try !reader.nextElement())
            return value
        }
        #expect(last == 7)
    }

    @Test(
        "syntax errors name the place and the problem",
        arguments: [
            ("[1, 2", "t.json:1:6: invalid JSON: unexpected end of input"),
            ("{\"a\": [1,\n 2", "t.json:2:3: invalid JSON: unexpected end of input"),
            ("{\"a\": \"unterminated", "t.json:1:20: invalid JSON: unexpected end of input"),
            ("[1] x", "t.json:1:5: invalid JSON: unexpected 'x', expected the end of the file"),
            ("[1 2]", "t.json:1:4: invalid JSON: unexpected '2', expected ',' or ']' after an element"),
            ("[1,,2]", "t.json:1:4: invalid JSON: unexpected ',', expected a value"),
            ("[,1]", "t.json:1:2: invalid JSON: unexpected ',', expected a value"),
            ("[1,]", "t.json:1:4: invalid JSON: unexpected ']', expected a value"),
            ("{\"a\" 1}", "t.json:1:6: invalid JSON: unexpected '1', expected ':' after the key"),
            ("{a: 1}", "t.json:1:2: invalid JSON: unexpected 'a', expected a key in double quotes"),
            ("{\"a\": 1,}", "t.json:1:9: invalid JSON: unexpected '}', expected a key in double quotes"),
            ("[tru]", "t.json:1:5: invalid JSON: unexpected ']', expected 'true'"),
            ("[nulls]", "t.json:1:6: invalid JSON: unexpected 's', expected a delimiter after 'null'"),
            ("[01]", "t.json:1:2: invalid JSON: a number with a leading zero"),
            ("[1.]", "t.json:1:4: invalid JSON: unexpected ']', expected a digit after the decimal point"),
            ("[-]", "t.json:1:3: invalid JSON: unexpected ']', expected a digit after '-'"),
            ("[1e]", "t.json:1:4: invalid JSON: unexpected ']', expected a digit in the exponent"),
            ("[“1”]", "t.json:1:2: invalid JSON: unexpected '“' (U+201C), expected a value"),
            ("{\"é\": x}", "t.json:1:7: invalid JSON: unexpected 'x', expected a value"),
        ])
    func syntaxErrors(text: String, expected: String) {
        let error = syntaxError(text)
        #expect(error?.description.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    @Test("an empty or blank document is reported as empty")
    func emptyDocuments() {
        #expect(syntaxError("") == .empty(path: "t.json"))
        #expect(syntaxError(" \n\t\r\n") == .empty(path: "t.json"))
        #expect(syntaxError("\u{FEFF}") == .empty(path: "t.json"))
    }

    @Test("a byte-order mark is skipped and columns stay right")
    func byteOrderMark() {
        #expect(syntaxError("\u{FEFF}[1]") == nil)
        #expect(syntaxError("\u{FEFF}[1,]")?.description.hasPrefix("t.json:1:4:") == true)
    }

    @Test("binary data is reported as not text, with its line")
    func binaryData() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]
        let error = JSONTestSupport.readError { () throws(ReadError) in
            try JSONReader.read(png, path: "b.json") { (reader) throws(ReadError) in try reader.skipValue() }
        }
        #expect(error == .notText(path: "b.json", line: 1))
        #expect(syntaxError("[1,\n2,\n\u{0}]") == .notText(path: "t.json", line: 3))
        #expect(syntaxError("{\"a\": 1}\u{0}\u{0}") == .notText(path: "t.json", line: 1))
    }

    @Test("nesting beyond the limit is refused instead of exhausting the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(syntaxError(deep)?.description.contains("nested more than 512 levels") == true)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(syntaxError(fine) == nil)
    }

    @Test("a value of the wrong type is malformed, not invalid JSON")
    func typeMismatch() {
        let error = JSONTestSupport.readError { () throws(ReadError) in
            try JSONReader.read(Array("\n  {\"score\": \"0.5\"}".utf8), path: "d.json") {
                (reader) throws(ReadError) -> Double in
                try reader.beginObject("detection 1")
                _ = try reader.nextKey()
                return try reader.readDouble("detection 1: \"score\"")
            }
        }
        #expect(
            error
                == .malformed(
                    SourceLocation(file: "d.json", line: 2, column: 13),
                    problem: "detection 1: \"score\" is a string, expected a number",
                    fix: "write it as a number, without quotes"))
    }
}

extension JSONTestSupport {
    /// A small deterministic generator (SplitMix64) for reproducible random tests.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
