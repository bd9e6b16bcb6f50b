import EvalFormats
import Foundation
import Testing

@Suite struct YoloDatasetReaderTests {
    /// A flat YOLO folder: a 200x100 PNG with one box, a 40x80 JPEG with two, names from `names`.
    static func writeFlatDataset(_ scratch: ReaderScratch, namesFile: (name: String, text: String)?) throws {
        try scratch.write("set/images/b.png", bytes: TinyImages.png(width: 200, height: 100))
        try scratch.write("set/images/a.jpg", bytes: TinyImages.jpeg(width: 40, height: 80))
        try scratch.write("set/labels/b.txt", "0 0.5 0.5 0.25 0.5\n")
        try scratch.write("set/labels/a.txt", "1 0.5 0.25 1 0.5\r\n\r\n2  0.125\t0.5 0.25 0.125  \n")
        if let namesFile { try scratch.write("set/" + namesFile.name, namesFile.text) }
    }

    @Test(arguments: [
        ("data.yaml", "path: ../x\nnames: [person, car, traffic light]\nnc: 3\n"),
        ("data.yaml", "names: ['person', \"car\", 'traffic light'] # comment\n"),
        ("data.yaml", "train: images\nnames:\n  0: person\n  1: car\n  2: 'traffic light'\nnc: 3\n"),
        ("data.yaml", "names:\n  2: traffic light\n  0: person  # first\n  1: car\n"),
        ("data.yaml", "names:\n- person\n- car\n- \"traffic light\"\nval: images\n"),
        ("data.yaml", "names:\n  - person\n\n  - car\n  - traffic light\n"),
        ("data.yaml", "names: {0: person, 1: car, 2: traffic light}\n"),
        ("data.yaml", "names: [person,\n  car,\n  traffic light,\n]\n"),
        ("data.yml", "names: [person, car, traffic light]\n"),
        ("classes.txt", "person\ncar\ntraffic light\n\n"),
    ])
    func readsClassNamesAndConvertsBoxes(file: String, text: String) throws {
        try ReaderScratch.with { scratch in
            try Self.writeFlatDataset(scratch, namesFile: (file, text))
            let dataset = try YoloDatasetReader.read(path: scratch.at("set"))
            #expect(dataset.format == .yolo)
            #expect(
                dataset.categories == [
                    CategoryRecord(id: 0, name: "person"), CategoryRecord(id: 1, name: "car"),
                    CategoryRecord(id: 2, name: "traffic light"),
                ])
            #expect(
                dataset.images == [
                    ImageRecord(id: 1, fileName: "a.jpg", width: 40, height: 80),
                    ImageRecord(id: 2, fileName: "b.png", width: 200, height: 100),
                ])
            let a = scratch.at("set/labels/a.txt")
            #expect(
                dataset.boxes == [
                    // 1 0.5 0.25 1 0.5 on 40x80: x = (0.5 - 0.5) * 40, y = (0.25 - 0.25) * 80, 40 x 40.
                    GroundTruthBox(
                        imageIndex: 0, categoryID: 1, x: 0, y: 0, width: 40, height: 40,
                        location: SourceLocation(file: a, line: 1)),
                    // 2 0.125 0.5 0.25 0.125 on 40x80: x = 0, y = (0.5 - 0.0625) * 80 = 35, 10 x 10.
                    GroundTruthBox(
                        imageIndex: 0, categoryID: 2, x: 0, y: 35, width: 10, height: 10,
                        location: SourceLocation(file: a, line: 3)),
                    // 0 0.5 0.5 0.25 0.5 on 200x100: x = (0.5 - 0.125) * 200 = 75, y = 25, 50 x 50.
                    GroundTruthBox(
                        imageIndex: 1, categoryID: 0, x: 75, y: 25, width: 50, height: 50,
                        location: SourceLocation(file: scratch.at("set/labels/b.txt"), line: 1)),
                ])
        }
    }

    @Test func namesArgumentWinsOverFiles() throws {
        try ReaderScratch.with { scratch in
            try Self.writeFlatDataset(scratch, namesFile: ("classes.txt", "x\ny\nz\n"))
            let dataset = try YoloDatasetReader.read(path: scratch.at("set"), names: ["p", "q", "r", "s"])
            #expect(dataset.categories.map(\.name) == ["p", "q", "r", "s"])
            #expect(dataset.categories.map(\.id) == [0, 1, 2, 3])
        }
    }

    @Test func sizesTableAndBackgroundImages() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
            try scratch.write("set/labels/c.txt", "")
            try scratch.write("set/images/b.jpg", bytes: TinyImages.jpeg(width: 7, height: 9))
            let table = try ImageSizeTable.read(
                path: try scratch.write("sizes.csv", "image,width,height\na.png,100,50\nc,3,4\n"))
            let dataset = try YoloDatasetReader.read(path: scratch.at("set"), sizes: table, names: ["thing"])
            #expect(
                dataset.images == [
                    ImageRecord(id: 1, fileName: "a.jpg", width: 100, height: 50),
                    ImageRecord(id: 2, fileName: "b.jpg", width: 7, height: 9),
                    ImageRecord(id: 3, fileName: "c.jpg", width: 3, height: 4),
                ])
            #expect(dataset.boxes.map { [$0.x, $0.y, $0.width, $0.height] } == [[25, 12.5, 50, 25]])
        }
    }

    @Test func readsUltralyticsSplitLayout() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/data.yaml", "names: [a, b]\n")
            try scratch.write("set/images/train/t1.png", bytes: TinyImages.png(width: 10, height: 10))
            try scratch.write("set/images/val/v1.png", bytes: TinyImages.png(width: 20, height: 20))
            try scratch.write("set/labels/train/t1.txt", "1 0.5 0.5 1 1\n")
            try scratch.write("set/labels/val/v1.txt", "0 0.5 0.5 0.5 0.5\n")
            let dataset = try YoloDatasetReader.read(path: scratch.at("set"))
            #expect(dataset.images.map(\.fileName) == ["train/t1.png", "val/v1.png"])
            #expect(dataset.images.map(\.stem) == ["t1", "v1"])
            #expect(dataset.boxes.map(\.categoryID) == [1, 0])
            #expect(dataset.boxes.map(\.width) == [10, 10])

            try scratch.write("set/images/val/t1.png", bytes: TinyImages.png(width: 20, height: 20))
            let clash = #expect(throws: ReadError.self) { try YoloDatasetReader.read(path: scratch.at("set")) }
            #expect(clash?.description.contains("have the same name 't1'") == true)
        }
    }

    @Test(arguments: [
        ("0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n", ":2: class 7 is outside the 3 names of data.yaml (0...2)"),
        ("0 0.5 0.5 0.1 0.1\n\n-1 0.5 0.5 0.1 0.1\n", ":3: class -1 is outside the 3 names"),
        ("0 0.5 0.5 0.1\n", ":1: expected 5 fields (class cx cy w h), found 4"),
        ("0 0.1 0.1 0.2 0.1 0.2 0.2 0.3\n", ":1: expected 5 fields (class cx cy w h), found 8"),
        ("0 0.5 abc 0.1 0.1\n", ":1: cy (field 3) is 'abc', not a number"),
        ("car 0.5 0.5 0.1 0.1\n", ":1: class (field 1) is 'car', not a whole number"),
    ])
    func reportsBadLabelLines(text: String, message: String) throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/data.yaml", "names: [a, b, c]\n")
            try scratch.write("set/images/x.png", bytes: TinyImages.png(width: 10, height: 10))
            let path = try scratch.write("set/labels/x.txt", text)
            let error = #expect(throws: ReadError.self) { try YoloDatasetReader.read(path: scratch.at("set")) }
            #expect(error?.description.hasPrefix(path + message) == true, "\(String(describing: error))")
        }
    }

    @Test(arguments: [
        ("data.yaml", "nc: 2\n", ": no top-level 'names:' key"),
        ("data.yaml", "names: [a, b\n", ":1: the names list is not closed"),
        ("data.yaml", "names: person\n", ":1: names: is 'person', not a list"),
        ("data.yaml", "names:\n  0: a\n  0: b\n", ":3: class key 0 is repeated or outside 0...1"),
        ("data.yaml", "names:\n  - a\n  1: b\n", ":1: names: mixes '- a' items and '0: a' keys"),
        ("data.yaml", "names: []\n", ":1: names: is empty"),
        ("data.yaml", "names: {a: b}\n", ":1: 'a: b' is not a 'number: name' entry"),
        ("classes.txt", "a\n\nb\n", ":2: blank line between class names"),
    ])
    func reportsBadNameSources(file: String, text: String, message: String) throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("set/" + file, text)
            try scratch.write("set/labels/x.txt", "")
            try scratch.write("set/images/x.png", bytes: TinyImages.png(width: 10, height: 10))
            let error = #expect(throws: ReadError.self) { try YoloDatasetReader.read(path: scratch.at("set")) }
            #expect(error?.description.hasPrefix(path + message) == true, "\(String(describing: error))")
        }
    }

    @Test func reportsMissingNamesImagesAndFolders() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("set/labels/x.txt", "0 0.5 0.5 0.1 0.1\n")
            let noNames = #expect(throws: ReadError.self) { try YoloDatasetReader.read(path: scratch.at("set")) }
            #expect(noNames?.description.contains("no class names: neither data.yaml nor classes.txt") == true)
            #expect(noNames?.description.contains("or pass --names") == true)

            let noImage = #expect(throws: ReadError.self) {
                try YoloDatasetReader.read(path: scratch.at("set"), names: ["a"])
            }
            #expect(noImage?.description.hasPrefix(scratch.at("set/labels/x.txt") + ": no image 'x'") == true)
            #expect(noImage?.description.contains("--sizes images.csv") == true)

            let emptyNames = #expect(throws: ReadError.self) {
                try YoloDatasetReader.read(path: scratch.at("set"), names: [])
            }
            #expect(emptyNames?.description.contains("the list of class names is empty") == true)

            try scratch.folder("bare")
            let noLabels = #expect(throws: ReadError.self) {
                try YoloDatasetReader.read(path: scratch.at("bare"), names: ["a"])
            }
            #expect(noLabels?.description.contains("no labels/ folder") == true)
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try YoloDatasetReader.read(path: scratch.at("none"), names: ["a"])
            }
            let file = scratch.at("set/labels/x.txt")
            let notFolder = #expect(throws: ReadError.self) { try YoloDatasetReader.read(path: file, names: ["a"]) }
            #expect(notFolder?.description.contains("is a file, expected a YOLO dataset folder") == true)

            let binary = try scratch.write("set/labels/x.txt", bytes: [0x30, 0x20, 0x00, 0x01])
            #expect(throws: ReadError.notText(path: binary, line: 1)) {
                try YoloDatasetReader.read(path: scratch.at("set"), sizes: ["x": (1, 1)], names: ["a"])
            }
        }
    }
}

@Suite struct YoloResultsReaderTests {
    @Test func readsPredictionsAsWritten() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("pred/b.txt", "3 0.5 0.25 0.1 0.2 0.875\n\n0 1.5 -0.5 0 0 nan\n")
            try scratch.write("pred/a.txt", "")
            let batch = try YoloResultsReader.read(path: scratch.at("pred"))
            #expect(batch.format == .yolo && batch.boxEncoding == .normalizedCenter)
            #expect(batch.files == [scratch.at("pred/a.txt"), scratch.at("pred/b.txt")])
            #expect(batch.count == 2)
            #expect(batch.imageKeys == [.name("b"), .name("b")])
            #expect(batch.categoryKeys == [.id(3), .id(0)])
            #expect(batch.a == [0.5, 1.5] && batch.b == [0.25, -0.5] && batch.c == [0.1, 0] && batch.d == [0.2, 0])
            #expect(batch.scores[0] == 0.875 && batch.scores[1].isNaN)
            #expect(batch.lines == [1, 3] && batch.fileIndex == [1, 1])
        }
    }

    @Test func readsTheLabelsSubfolderOfAPredictRun() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("predict/labels/img.txt", "1 0.5 0.5 0.5 0.5 0.9\n")
            try scratch.write("predict/img.jpg", bytes: TinyImages.jpeg(width: 4, height: 4))
            let batch = try YoloResultsReader.read(path: scratch.at("predict"))
            #expect(batch.files == [scratch.at("predict/labels/img.txt")])
            #expect(batch.imageKeys == [.name("img")] && batch.scores == [0.9])
        }
    }

    @Test func reportsMissingConfidenceAndBadLines() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("pred/a.txt", "1 0.5 0.5 0.5 0.5 0.9\n1 0.5 0.5 0.5 0.5\n")
            let noConf = #expect(throws: ReadError.self) { try YoloResultsReader.read(path: scratch.at("pred")) }
            #expect(noConf?.description.hasPrefix("\(path):2: no confidence") == true)
            #expect(noConf?.description.contains("save_conf=True") == true)
            try scratch.write("pred/a.txt", "1 0.5 0.5 0.5 0.5 0.9 7\n")
            let seven = #expect(throws: ReadError.self) { try YoloResultsReader.read(path: scratch.at("pred")) }
            #expect(
                seven?.description.hasPrefix("\(path):1: expected 6 fields (class cx cy w h conf), found 7") == true)
            try scratch.write("pred/a.txt", "1 0.5 0.5 0.5 0.5 high\n")
            let word = #expect(throws: ReadError.self) { try YoloResultsReader.read(path: scratch.at("pred")) }
            #expect(word?.description.hasPrefix("\(path):1: conf (field 6) is 'high', not a number") == true)
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try YoloResultsReader.read(path: scratch.at("none"))
            }
            #expect(
                throws: ReadError.notDirectory(path: path, expected: "a YOLO predictions folder of <image>.txt files")
            ) {
                try YoloResultsReader.read(path: path)
            }
        }
    }
}
