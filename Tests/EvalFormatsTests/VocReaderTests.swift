import EvalFormats
import Foundation
import Testing

@Suite struct VocDatasetReaderTests {
    static let toyExample = ReaderFixtures.path("padilla-review-toyexample/gts_vocpascal_format")

    @Test func readsThePadillaToyExample() throws {
        let dataset = try VocDatasetReader.read(path: Self.toyExample)
        let names = try ReaderFixtures.names(in: "padilla-review-toyexample/gts_vocpascal_format")
        #expect(dataset.format == .voc)
        #expect(dataset.images.count == 10)
        #expect(dataset.images.map(\.id) == Array(1...10))
        #expect(dataset.images.map(\.fileName) == names.map { $0.replacingOccurrences(of: ".xml", with: ".jpg") })
        #expect(dataset.categories == [CategoryRecord(id: 1, name: "cat")])
        #expect(dataset.boxes.count == 12)
        #expect(dataset.boxes.allSatisfy { $0.categoryID == 1 && !$0.isDifficult })
        // Boxes per image, counted from the raw text.
        for (index, name) in names.enumerated() {
            let text = try String(contentsOfFile: Self.toyExample + "/" + name, encoding: .utf8)
            let objects = text.components(separatedBy: "<object>").count - 1
            #expect(dataset.boxes.count { $0.imageIndex == index } == objects, "\(name)")
        }
        #expect(dataset.boxes.contains { $0.imageIndex == 1 } == false)  // 2007_000733 has no object.
        // 2007_000549.xml: size 375x500; object on line 15, truncated 1, bndbox 1 49 341 499.
        #expect(dataset.images[0] == ImageRecord(id: 1, fileName: "2007_000549.jpg", width: 375, height: 500))
        let first = try #require(dataset.boxes.first)
        #expect(
            first
                == GroundTruthBox(
                    imageIndex: 0, categoryID: 1, x: 1, y: 49, width: 340, height: 450, truncation: 1,
                    location: SourceLocation(file: Self.toyExample + "/2007_000549.xml", line: 15)))
        #expect(first.x + first.width == 341 && first.y + first.height == 499)
    }

    @Test func readsAnnotationsFolderAndXMLDetails() throws {
        try ReaderScratch.with { scratch in
            let b = try scratch.write(
                "voc/Annotations/b.xml",
                """
                <?xml version="1.0" encoding="utf-8"?>
                <!-- exported -->
                <annotation verified="y>s" note='a "b"'>
                  <size><width>640</width><height>480</height><depth>3</depth></size>
                  <object>
                    <name>zebra</name>
                    <difficult>1</difficult>
                    <bndbox><xmin>10.5</xmin><ymin>20</ymin><xmax>30.25</xmax><ymax>20</ymax></bndbox>
                    <part><name>head</name>
                      <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part>
                  </object>
                  <object><name>R&amp;D <![CDATA[<bot>]]></name><truncated/>
                    <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>1</xmax><ymax>2</ymax></bndbox></object>
                  <object><name> apple </name><truncated>0</truncated>
                    <bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>8</ymax></bndbox></object>
                </annotation>
                """)
            try scratch.write(
                "voc/Annotations/a.xml",
                "<annotation><filename>pic.png</filename><size><width>2</width><height>3</height></size></annotation>")
            try scratch.write("voc/JPEGImages/a.jpg", bytes: [])
            let dataset = try VocDatasetReader.read(path: scratch.at("voc"))
            #expect(
                dataset.images == [
                    ImageRecord(id: 1, fileName: "pic.png", width: 2, height: 3),
                    ImageRecord(id: 2, fileName: "b.jpg", width: 640, height: 480),
                ])
            #expect(dataset.categories.map(\.name) == ["R&D <bot>", "apple", "zebra"])
            #expect(dataset.categories.map(\.id) == [1, 2, 3])
            #expect(
                dataset.boxes == [
                    GroundTruthBox(
                        imageIndex: 1, categoryID: 3, x: 10.5, y: 20, width: 19.75, height: 0, isDifficult: true,
                        location: SourceLocation(file: b, line: 5)),
                    GroundTruthBox(
                        imageIndex: 1, categoryID: 1, x: 0, y: 0, width: 1, height: 2,
                        location: SourceLocation(file: b, line: 12)),
                    GroundTruthBox(
                        imageIndex: 1, categoryID: 2, x: 5, y: 6, width: 2, height: 2, truncation: 0,
                        location: SourceLocation(file: b, line: 14)),
                ])
        }
    }

    /// An annotation whose single object, on line 2, has `original` replaced by `replacement`.
    static func oneObject(replacing original: String, with replacement: String) -> String {
        let object =
            "<object><name>a</name><bndbox><xmin>1</xmin><ymin>2</ymin>"
            + "<xmax>3</xmax><ymax>4</ymax></bndbox></object>"
        return "<annotation><size><width>4</width><height>4</height></size>\n"
            + object.replacingOccurrences(of: original, with: replacement) + "</annotation>"
    }

    @Test(arguments: [
        ("<annotation>\n<filename>x</filename>\n</annotation>", ":1: <annotation> has no <size>"),
        ("<annotation>\n<size><width>4</width></size></annotation>", ":2: <size> has no <height>"),
        (
            "<annotation><size><width>4</width><height>x</height></size></annotation>",
            ":1: <height> is 'x', not a whole number"
        ),
        (
            oneObject(replacing: "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>", with: ""),
            ":2: <object> has no <bndbox>"
        ),
        (oneObject(replacing: "<name>a</name>", with: ""), ":2: <object> has no <name>"),
        (oneObject(replacing: ">2<", with: ">two<"), ":2: <ymin> is 'two', not a number"),
        (oneObject(replacing: ">3<", with: ">0.5<"), ":2: xmax 0.5 is less than xmin 1.0"),
        (oneObject(replacing: ">4<", with: ">1<"), ":2: ymax 1.0 is less than ymin 2.0"),
        (
            "<annotation>\n<size><width>4</width>\n</annotation>",
            ":3: not well-formed XML: </annotation> closes <size> opened on line 2"
        ),
        ("<annotation>\n<size>", ":2: not well-formed XML: <size> opened on line 2 is never closed"),
        ("<annotation>\n<!-- open", ":2: not well-formed XML: a comment opened on line 2 is never closed"),
        ("<annotation></annotation>\n<annotation></annotation>", ":2: not well-formed XML: a second root element"),
        ("<annotation><name>&bogus;</name></annotation>", ":1: not well-formed XML: unknown entity '&bogus;'"),
        ("<doc></doc>", ":1: the root element is <doc>, not <annotation>"),
        ("\n<annotation a=\">\n", ":2: not well-formed XML: a tag opened on line 2 is never closed"),
    ])
    func reportsBadFilesWithTheirLine(text: String, message: String) throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("voc/x.xml", text)
            let error = #expect(throws: ReadError.self) { try VocDatasetReader.read(path: scratch.at("voc")) }
            #expect(error?.description.hasPrefix(path + message) == true, "\(String(describing: error))")
        }
    }

    @Test func refusesBadPathsAndBinaryFiles() throws {
        try ReaderScratch.with { scratch in
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try VocDatasetReader.read(path: scratch.at("none"))
            }
            let file = try scratch.write("voc/a.xml", "<annotation/>")
            let notFolder = #expect(throws: ReadError.self) { try VocDatasetReader.read(path: file) }
            #expect(notFolder?.description.contains("is a file, expected a PASCAL VOC folder") == true)
            try scratch.folder("empty")
            let empty = #expect(throws: ReadError.self) { try VocDatasetReader.read(path: scratch.at("empty")) }
            #expect(empty?.description.contains("no .xml files in the folder") == true)
            try scratch.write("voc/a.xml", bytes: [0x3C, 0x61, 0x0A, 0x0A, 0xC3, 0x28])
            #expect(throws: ReadError.notText(path: file, line: 3)) {
                try VocDatasetReader.read(path: scratch.at("voc"))
            }
        }
    }
}

@Suite struct VocResultsReaderTests {
    @Test func readsPerClassFiles() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("res/comp4_det_test_traffic_light.txt", "000005 0.5 1 2 3 4\n")
            try scratch.write(
                "res/comp4_det_test_car.txt", "2007_000549 0.9 10.5 20 30 40.25\n\n img\t0.25  1 1 2 2 \r\n")
            try scratch.write("res/dog.txt", "")
            try scratch.write("res/x_det_cow.txt", "a 1 -1 -1 nan 5\n")
            let batch = try VocResultsReader.read(path: scratch.at("res"))
            #expect(batch.format == .voc && batch.boxEncoding == .xyxy)
            #expect(
                batch.files.map { URL(fileURLWithPath: $0).lastPathComponent } == [
                    "comp4_det_test_car.txt", "comp4_det_test_traffic_light.txt", "dog.txt", "x_det_cow.txt",
                ])
            #expect(batch.imageKeys == [.name("2007_000549"), .name("img"), .name("000005"), .name("a")])
            #expect(batch.categoryKeys == [.name("car"), .name("car"), .name("traffic_light"), .name("cow")])
            #expect(batch.scores == [0.9, 0.25, 0.5, 1])
            #expect(batch.a == [10.5, 1, 1, -1] && batch.b == [20, 1, 2, -1] && batch.d == [40.25, 2, 4, 5])
            #expect(batch.c[0...2] == [30, 2, 3] && batch.c[3].isNaN)
            #expect(batch.lines == [1, 3, 1, 1] && batch.fileIndex == [0, 0, 1, 3])
        }
    }

    @Test func readsPlainClassFileNames() throws {
        try ReaderScratch.with { scratch in
            try scratch.write("res/cat.txt", "2007_000549 0.9 1 2 3 4\n")
            let batch = try VocResultsReader.read(path: scratch.at("res"))
            #expect(batch.categoryKeys == [.name("cat")])
        }
    }

    @Test func reportsBadLinesAndPaths() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("res/comp4_det_test_car.txt", "a 0.9 1 2 3 4\na 0.9 1 2 3\n")
            let short = #expect(throws: ReadError.self) { try VocResultsReader.read(path: scratch.at("res")) }
            #expect(
                short?.description.hasPrefix("\(path):2: expected 6 fields (image score x1 y1 x2 y2), found 5") == true)
            try scratch.write("res/comp4_det_test_car.txt", "a 0.9 1 2 x 4\n")
            let word = #expect(throws: ReadError.self) { try VocResultsReader.read(path: scratch.at("res")) }
            #expect(word?.description.hasPrefix("\(path):1: x2 (field 5) is 'x', not a number") == true)
            #expect(throws: ReadError.notFound(path: scratch.at("none"))) {
                try VocResultsReader.read(path: scratch.at("none"))
            }
            let notFolder = #expect(throws: ReadError.self) { try VocResultsReader.read(path: path) }
            #expect(notFolder?.description.contains("is a file, expected a PASCAL VOC results folder") == true)
        }
    }
}
