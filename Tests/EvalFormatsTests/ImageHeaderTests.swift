import EvalFormats
import Foundation
import Testing

/// Paths of the reference fixtures, located from this file (no resource bundle).
enum ReaderFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Sorted, non-hidden entry names of a fixture folder.
    static func names(in relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(relative)).filter { !$0.hasPrefix(".") }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}

/// A fresh temporary folder for one test; files are written into it by relative path.
struct ReaderScratch {
    let path: String

    /// Runs `body` with a new empty folder and removes the folder afterwards.
    static func with<T>(_ body: (ReaderScratch) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("evaldb-readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(ReaderScratch(path: url.path))
    }

    func at(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func folder(_ relative: String) throws -> String {
        try FileManager.default.createDirectory(atPath: at(relative), withIntermediateDirectories: true)
        return at(relative)
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let url = URL(fileURLWithPath: at(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }
}

/// Minimal image files: just the header bytes the size reader looks at, plus an end marker.
enum TinyImages {
    static func png(width: UInt32, height: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        bytes += Array("IHDR".utf8) + bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
        return bytes + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
    }

    /// A JPEG whose frame header (marker `frame`) comes after APP0, DQT and a DHT segment whose bytes look like a
    /// frame header, with fill bytes before the frame marker.
    static func jpeg(width: UInt16, height: UInt16, frame: UInt8 = 0xC0) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        bytes += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
        // A Huffman table segment (C4 is not a frame header) holding bytes that would read as 4369x4369.
        bytes += [0xFF, 0xC4, 0x00, 0x09, 0x08, 0x11, 0x11, 0x11, 0x11, 0x01, 0x02]
        bytes += [0xFF, 0xFF, frame, 0x00, 0x0B, 0x08] + bigEndian(height) + bigEndian(width) + [1, 1, 0x11, 0]
        bytes += [0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0, 0x12, 0x34, 0xFF, 0xD9]
        return bytes
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}

@Suite struct ImageHeaderTests {
    @Test func visDroneFixtureHeadersMatchTheSizeTable() throws {
        let names = try ReaderFixtures.names(in: "visdrone-synth/images")
        try #require(names.count == 36)
        let table = try ImageSizeTable.read(path: ReaderFixtures.path("visdrone-synth/images.csv"))
        #expect(table.count == 36)
        var distinct = Set<String>()
        for name in names {
            let size = try ImageHeader.size(ofFile: ReaderFixtures.path("visdrone-synth/images/\(name)"))
            let listed = try #require(table[String(name.dropLast(4))])
            #expect(size.width == listed.width && size.height == listed.height, "\(name)")
            distinct.insert("\(size.width)x\(size.height)")
        }
        #expect(distinct == ["1360x765", "1920x1080", "960x540", "2000x1500", "1400x1050"])
    }

    @Test(arguments: [(UInt16(640), UInt16(480), UInt8(0xC0)), (17, 4000, 0xC2), (65535, 1, 0xCF), (3, 2, 0xC1)])
    func jpegFrameHeaders(width: UInt16, height: UInt16, frame: UInt8) throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("a.jpg", bytes: TinyImages.jpeg(width: width, height: height, frame: frame))
            let size = try ImageHeader.size(ofFile: path)
            #expect(size.width == Int(width))
            #expect(size.height == Int(height))
        }
    }

    @Test func pngHeader() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("a.png", bytes: TinyImages.png(width: 70_000, height: 3))
            let size = try ImageHeader.size(ofFile: path)
            #expect(size.width == 70_000)
            #expect(size.height == 3)
        }
    }

    @Test func refusesFilesThatAreNotImages() throws {
        try ReaderScratch.with { scratch in
            let text = try scratch.write("notes.jpg", "hello")
            let error = #expect(throws: ReadError.self) { try ImageHeader.size(ofFile: text) }
            #expect(error?.description.contains("not a JPEG or PNG image (it starts with bytes 68 65)") == true)
            #expect(error?.description.contains("--sizes images.csv") == true)

            let truncated = try scratch.write("cut.jpg", bytes: Array(TinyImages.jpeg(width: 5, height: 5).prefix(30)))
            let cut = #expect(throws: ReadError.self) { try ImageHeader.size(ofFile: truncated) }
            #expect(cut?.description.contains("the file ends inside") == true)

            let scanFirst = try scratch.write("scan.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9])
            let scan = #expect(throws: ReadError.self) { try ImageHeader.size(ofFile: scanFirst) }
            #expect(scan?.description.contains("scan data before any frame header") == true)

            let garbage = try scratch.write("junk.jpg", bytes: [0xFF, 0xD8, 0x12, 0x34])
            let junk = #expect(throws: ReadError.self) { try ImageHeader.size(ofFile: garbage) }
            #expect(junk?.description.contains("byte 12 at offset 2") == true)

            let zero = try scratch.write("zero.png", bytes: TinyImages.png(width: 0, height: 10))
            let empty = #expect(throws: ReadError.self) { try ImageHeader.size(ofFile: zero) }
            #expect(empty?.description.contains("size of 0x10") == true)

            let nothing = try scratch.write("empty.png", bytes: [])
            #expect(throws: ReadError.empty(path: nothing)) { try ImageHeader.size(ofFile: nothing) }
            #expect(throws: ReadError.notFound(path: scratch.at("missing.png"))) {
                try ImageHeader.size(ofFile: scratch.at("missing.png"))
            }
            #expect(throws: ReadError.isDirectory(path: scratch.path, expected: "an image file")) {
                try ImageHeader.size(ofFile: scratch.path)
            }
        }
    }
}

@Suite struct ImageSizeTableTests {
    @Test func readsTheVisDroneTable() throws {
        let table = try ImageSizeTable.read(path: ReaderFixtures.path("visdrone-synth/images.csv"))
        let first = try #require(table["9000000_35257_d_0000000"])
        #expect(first.width == 2000 && first.height == 1500)
        let fourth = try #require(table["9000003_91907_d_0000003"])
        #expect(fourth.width == 1400 && fourth.height == 1050)
    }

    @Test func keysByStemAndAcceptsAnyColumnOrder() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("s.csv", "height, image ,width\r\n10,a.jpg,20\n\n 30 , b ,40,\n")
            let table = try ImageSizeTable.read(path: path)
            #expect(table.count == 2)
            #expect(table["a"]?.width == 20 && table["a"]?.height == 10)
            #expect(table["b"]?.width == 40 && table["b"]?.height == 30)
        }
    }

    @Test(arguments: [
        ("a,1,2\n", ":1: the header is 'a,1,2', not image,width,height"),
        ("image,width,height\na,1\n", ":2: expected 3 comma-separated fields, found 2"),
        ("image,width,height\na,1,2\nb,x,2\n", ":3: width is 'x', not a positive whole number"),
        ("image,width,height\na,1,0\n", ":2: height is '0', not a positive whole number"),
        ("image,width,height\na.jpg,1,2\na.png,1,2\n", ":3: image 'a' is listed twice (first on line 2)"),
        ("image,width,height\n,1,2\n", ":2: the image name is empty"),
    ])
    func reportsBadRowsWithTheirLine(text: String, message: String) throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("sizes.csv", text)
            let error = #expect(throws: ReadError.self) { try ImageSizeTable.read(path: path) }
            #expect(error?.description.hasPrefix(path + message) == true, "\(String(describing: error))")
        }
    }
}
