import EvalFormats
import Foundation
import Testing

@Suite struct VisDroneDatasetReaderTests {
    static let fixture = ReaderFixtures.path("visdrone-synth")

    /// Counts taken from the raw annotation text with Foundation, independently of the reader.
    struct RawCounts: Equatable {
        var boxes = 0, regions = 0, scoreZeroBoxes = 0, othersBoxes = 0
    }

    static func rawCounts() throws -> RawCounts {
        var counts = RawCounts()
        for name in try ReaderFixtures.names(in: "visdrone-synth/annotations") {
            let text = try String(contentsOfFile: fixture + "/annotations/" + name, encoding: .utf8)
            for line in text.components(separatedBy: .newlines) where !line.isEmpty {
                let fields = line.components(separatedBy: ",")
                if fields[5] == "0" {
                    counts.regions += 1
                } else {
                    counts.boxes += 1
                    if fields[4] == "0" { counts.scoreZeroBoxes += 1 }
                    if fields[5] == "11" { counts.othersBoxes += 1 }
                }
            }
        }
        return counts
    }

    @Test func readsTheFixtureWithHeaderSizes() throws {
        let dataset = try VisDroneDatasetReader.read(path: Self.fixture)
        let names = try ReaderFixtures.names(in: "visdrone-synth/annotations")
        #expect(dataset.format == .visdrone)
        #expect(dataset.images.count == 36)
        #expect(dataset.images.map(\.id) == Array(1...36))
        #expect(dataset.images.map(\.fileName) == names.map { $0.replacingOccurrences(of: ".txt", with: ".jpg") })
        let table = try ImageSizeTable.read(path: Self.fixture + "/images.csv")
        for image in dataset.images {
            let size = try #require(table[image.stem])
            #expect(image.width == size.width && image.height == size.height, "\(image.fileName)")
        }
        let raw = try Self.rawCounts()
        let read = RawCounts(
            boxes: dataset.boxes.count, regions: dataset.ignoredRegions.count,
            scoreZeroBoxes: dataset.boxes.count { $0.isIgnored },
            othersBoxes: dataset.boxes.count { $0.categoryID == 11 })
        #expect(read == raw)
        // The fixture's score-0 rows are all ignored regions; score-0 boxes are covered by the hand-made tests.
        #expect(raw == RawCounts(boxes: 2756, regions: 60, scoreZeroBoxes: 0, othersBoxes: 25))
        #expect(dataset.categories.map(\.id) == Array(1...11))
        #expect(
            dataset.categories.map(\.name) == [
                "pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor",
                "others",
            ])
    }

    @Test func readsExactRows() throws {
        let dataset = try VisDroneDatasetReader.read(path: Self.fixture)
        let file = Self.fixture + "/annotations/9000000_35257_d_0000000.txt"
        // Line 1: 292,781,361,199,0,0,0,0 (an ignored region).
        let region = try #require(dataset.ignoredRegions.first)
        #expect(
            region
                == IgnoredRegion(
                    imageIndex: 0, x: 292, y: 781, width: 361, height: 199,
                    location: SourceLocation(file: file, line: 1)))
        // Line 5: 430,120,55,41,1,4,0,0 (the first box).
        let box = try #require(dataset.boxes.first)
        #expect(
            box
                == GroundTruthBox(
                    imageIndex: 0, categoryID: 4, x: 430, y: 120, width: 55, height: 41, area: 55 * 41, truncation: 0,
                    occlusion: 0, location: SourceLocation(file: file, line: 5)))
        // The last box of the last image, compared with the raw line.
        let lastName = try #require(try ReaderFixtures.names(in: "visdrone-synth/annotations").last)
        let lastText = try String(contentsOfFile: Self.fixture + "/annotations/" + lastName, encoding: .utf8)
        let lines = lastText.split(separator: "\n")
        let lastBoxLine = try #require(lines.lastIndex { $0.split(separator: ",")[5] != "0" })
        let fields = lines[lastBoxLine].split(separator: ",").map { Double($0)! }
        let last = try #require(dataset.boxes.last)
        #expect(last.imageIndex == 35)
        #expect([last.x, last.y, last.width, last.height] == Array(fields[0..<4]))
        #expect(last.isIgnored == (fields[4] == 0))
        #expect(last.categoryID == Int64(fields[5]))
        #expect(last.truncation == Int(fields[6]) && last.occlusion == Int(fields[7]))
        #expect(last.location?.line == lastBoxLine + 1)
    }

    @Test func sizesFromATableReplaceHeaders() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/annotations/b.txt", "1,2,3,4,1,1,0,0\n")
            try scratch.write("set/annotations/a.txt", "")
            try scratch.write("set/images/a.png", bytes: TinyImages.png(width: 10, height: 20))
            let dataset = try VisDroneDatasetReader.read(
                path: scratch.at("set"), sizes: ["a": (width: 11, height: 21), "b": (width: 30, height: 40)])
            #expect(
                dataset.images == [
                    ImageRecord(id: 1, fileName: "a.png", width: 11, height: 21),
                    ImageRecord(id: 2, fileName: "b.jpg", width: 30, height: 40),
                ])
            #expect(dataset.boxes.map(\.imageIndex) == [1])
        }
    }

    @Test func toleratesTrailingCommasSpacesBlankLinesAndCRLF() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write(
                "set/annotations/x.txt", "\r\n 1, 2 ,3,4,0,5,1,2,\r\n\r\n10.5,20,30,40,1,0,0,0\r\n  \n")
            try scratch.write("set/images/x.jpg", bytes: TinyImages.jpeg(width: 100, height: 50))
            let dataset = try VisDroneDatasetReader.read(path: scratch.at("set"))
            #expect(dataset.images == [ImageRecord(id: 1, fileName: "x.jpg", width: 100, height: 50)])
            #expect(
                dataset.boxes == [
                    GroundTruthBox(
                        imageIndex: 0, categoryID: 5, x: 1, y: 2, width: 3, height: 4, isIgnored: true, truncation: 1,
                        occlusion: 2, location: SourceLocation(file: path, line: 2))
                ])
            #expect(
                dataset.ignoredRegions == [
                    IgnoredRegion(
                        imageIndex: 0, x: 10.5, y: 20, width: 30, height: 40,
                        location: SourceLocation(file: path, line: 4))
                ])
        }
    }

    @Test(arguments: [
        ("1,2,3,4,1,1,0,0\n\n1,2,3,4,1,1,0\n", ":3: expected 8 comma-separated fields", "found 7"),
        ("1,2,3,4,1,1,0,0,9,9\n", ":1: expected 8 comma-separated fields", "found 10"),
        ("1,2,x,4,1,1,0,0\n", ":1: width (field 3) is 'x', not a number", "plain decimal"),
        ("1,2,3,nan,1,1,0,0\n", ":1: height (field 4) is 'nan', not a finite number", "plain decimal"),
        ("1,2,3,4,1,1.5,0,0\n", ":1: category (field 6) is '1.5', not a whole number", "whole number"),
        ("1,2,3,4,1,1,0,0\n1,2,3,4,1,12,0,0\n", ":2: category 12 is outside 0...11", "1 pedestrian"),
        ("1,2,3,4,1,-1,0,0\n", ":1: category -1 is outside 0...11", "11 others"),
        ("1 2 3 4 1 1 0 0\n", ":1: expected 8 comma-separated fields", "found 1"),
    ])
    func reportsBadLinesWithTheirLocation(text: String, message: String, fix: String) throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("set/annotations/a.txt", text)
            try scratch.write("set/images/a.jpg", bytes: TinyImages.jpeg(width: 8, height: 8))
            let error = #expect(throws: ReadError.self) { try VisDroneDatasetReader.read(path: scratch.at("set")) }
            let description = error?.description ?? ""
            #expect(description.hasPrefix(path + message), "\(description)")
            #expect(description.contains(fix), "\(description)")
        }
    }

    @Test func namesTheImageWhenNeitherFileNorSizeExists() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/annotations/a.txt", "")
            let path = try scratch.write("set/annotations/b_1.txt", "")
            try scratch.write("set/images/a.jpg", bytes: TinyImages.jpeg(width: 8, height: 8))
            try scratch.write("set/images/b_1.txt", "not an image")
            let error = #expect(throws: ReadError.self) { try VisDroneDatasetReader.read(path: scratch.at("set")) }
            #expect(error?.description.hasPrefix("\(path): no image 'b_1' (.jpg, .jpeg or .png) in ") == true)
            #expect(error?.description.contains("pass --sizes images.csv") == true)
            let partial = #expect(throws: ReadError.self) {
                try VisDroneDatasetReader.read(path: scratch.at("set"), sizes: ["a": (8, 8)])
            }
            #expect(partial?.description.contains("add it to the --sizes table") == true)
        }
    }

    @Test func refusesBadPaths() throws {
        try ReaderScratch.with { scratch in
            #expect(throws: ReadError.notFound(path: scratch.at("nope"))) {
                try VisDroneDatasetReader.read(path: scratch.at("nope"))
            }
            let file = try scratch.write("file.txt", "1,2,3,4,1,1,0,0\n")
            let notFolder = #expect(throws: ReadError.self) { try VisDroneDatasetReader.read(path: file) }
            #expect(
                notFolder
                    == .notDirectory(path: file, expected: "a VisDrone-DET folder holding annotations/ and images/"))
            let noAnnotations = #expect(throws: ReadError.self) { try VisDroneDatasetReader.read(path: scratch.path) }
            #expect(noAnnotations?.description.contains("no annotations/ folder") == true)
            try scratch.folder("set/annotations")
            let empty = #expect(throws: ReadError.self) { try VisDroneDatasetReader.read(path: scratch.at("set")) }
            #expect(empty?.description.contains("no .txt files in the folder") == true)
            let binary = try scratch.write("set/annotations/a.txt", bytes: [0x31, 0x2C, 0x0A, 0x00, 0xFF, 0xD8])
            #expect(throws: ReadError.notText(path: binary, line: 2)) {
                try VisDroneDatasetReader.read(path: scratch.at("set"), sizes: ["a": (1, 1)])
            }
        }
    }
}

@Suite struct VisDroneResultsReaderTests {
    @Test func readsResultsAInFileOrder() throws {
        let folder = ReaderFixtures.path("visdrone-synth/results-A")
        let batch = try VisDroneResultsReader.read(path: folder)
        let names = try ReaderFixtures.names(in: "visdrone-synth/results-A")
        #expect(names.count == 36)
        #expect(batch.files == names.map { folder + "/" + $0 })
        #expect(batch.format == .visdrone && batch.boxEncoding == .xywh)
        var expectedKeys: [ImageKey] = []
        var expectedLines: [Int32] = []
        var expectedScores: [Double] = []
        for name in names {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            for (number, line) in text.components(separatedBy: "\n").enumerated() where !line.isEmpty {
                expectedKeys.append(.name(String(name.dropLast(4))))
                expectedLines.append(Int32(number + 1))
                expectedScores.append(Double(line.components(separatedBy: ",")[4])!)
            }
        }
        #expect(batch.count == expectedKeys.count)
        #expect(batch.count == 5117)
        #expect(batch.imageKeys == expectedKeys)
        #expect(batch.lines == expectedLines)
        #expect(batch.scores == expectedScores)
        // First two rows: 429,118,58,40,0.9990,4,-1,-1 and 1142.68,337.53,34.78,38.40,0.9990,10,-1,-1.
        #expect([batch.a[0], batch.b[0], batch.c[0], batch.d[0], batch.scores[0]] == [429, 118, 58, 40, 0.999])
        #expect([batch.a[1], batch.b[1], batch.c[1], batch.d[1]] == [1142.68, 337.53, 34.78, 38.40])
        #expect(batch.categoryKeys[0] == .id(4) && batch.categoryKeys[1] == .id(10))
        #expect(batch.location(ofRow: 1) == SourceLocation(file: batch.files[0], line: 2))
    }

    @Test func keepsValuesAsWrittenAndAcceptsEmptyFiles() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("run/a.txt", "")
            try scratch.write("run/b.txt", "-5,2,-3,4,nan,99,-1,-1,\r\n\n 1 ,2,3,4,0.5,0,-1,-1\n")
            try scratch.write("run/notes.md", "ignored")
            let batch = try VisDroneResultsReader.read(path: scratch.at("run"))
            #expect(batch.files == [scratch.at("run/a.txt"), scratch.at("run/b.txt")])
            #expect(batch.count == 2)
            #expect(batch.a == [-5, 1] && batch.c == [-3, 3])
            #expect(batch.scores[0].isNaN && batch.scores[1] == 0.5)
            #expect(batch.categoryKeys == [.id(99), .id(0)])
            #expect(batch.fileIndex == [1, 1] && batch.lines == [1, 3])
        }
    }

    @Test func reportsBadLinesAndPaths() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("run/a.txt", "1,2,3,4,0.5,1,-1,-1\n1,2,3,4,0.5,1\n")
            let short = #expect(throws: ReadError.self) { try VisDroneResultsReader.read(path: scratch.at("run")) }
            #expect(short?.description.hasPrefix("\(path):2: expected 8 comma-separated fields") == true)
            #expect(short?.description.contains("found 6") == true)
            try scratch.write("run/a.txt", "1,2,3,4,high,1,-1,-1\n")
            let word = #expect(throws: ReadError.self) { try VisDroneResultsReader.read(path: scratch.at("run")) }
            #expect(word?.description.hasPrefix("\(path):1: score (field 5) is 'high', not a number") == true)
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try VisDroneResultsReader.read(path: scratch.at("none"))
            }
            let notFolder = #expect(throws: ReadError.self) { try VisDroneResultsReader.read(path: path) }
            #expect(notFolder?.description.contains("is a file, expected a VisDrone-DET results folder") == true)
        }
    }
}
