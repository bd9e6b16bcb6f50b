import Foundation
import Testing

@testable import EvalFormats

@Suite("CocoResultsReader")
struct CocoResultsReaderTests {
    func read(_ text: String, path: String = "det.json") throws(ReadError) -> DetectionBatch {
        try CocoResultsReader.read(bytes: Array(text.utf8), path: path)
    }

    func error(_ text: String) -> ReadError? {
        JSONTestSupport.readError { () throws(ReadError) in try read(text) }
    }

    /// Row `index` as comparable values.
    func row(_ batch: DetectionBatch, _ index: Int) -> [Double] {
        [batch.scores[index], batch.a[index], batch.b[index], batch.c[index], batch.d[index]]
    }

    // MARK: - Fixtures

    @Test("coco-val2014-fake100: 734 detections, exact values, one file, one line")
    func fake100() throws {
        let path = JSONTestSupport.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        let batch = try CocoResultsReader.read(path: path)
        #expect(batch.count == 734)
        #expect(batch.format == .coco)
        #expect(batch.boxEncoding == .xywh)
        #expect(batch.files == [path])
        #expect(batch.imageKeys.count == 734 && batch.categoryKeys.count == 734 && batch.d.count == 734)
        #expect(batch.fileIndex.allSatisfy { $0 == 0 })
        #expect(batch.lines.allSatisfy { $0 == 1 })
        #expect(batch.imageKeys[0] == .id(42))
        #expect(batch.categoryKeys[0] == .id(18))
        #expect(row(batch, 0) == [0.236, 258.15, 41.29, 348.26, 243.78])
        #expect(batch.imageKeys[733] == .id(1292))
        #expect(batch.categoryKeys[733] == .id(47))
        #expect(row(batch, 733) == [0.097, 66.74, 228.43, 32.05, 32.89])
        #expect(Set(batch.imageKeys).count == 99)
        // Sums in file order, as Python computes them.
        #expect(batch.scores.reduce(0, +) == 366.35400000000044)
        #expect(batch.d.reduce(0, +) == 75112.87)
        // The sixth object starts at the sixth `{"image_id"` of the one-line file (1-based column).
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var starts: [Int] = []
        var offset = text.utf8.startIndex
        while let found = text[offset...].firstRange(of: "{\"image_id\"") {
            starts.append(text.utf8.distance(from: text.utf8.startIndex, to: found.lowerBound))
            offset = found.upperBound
        }
        #expect(starts.count == 734)
        #expect(batch.location(ofRow: 5) == SourceLocation(file: path, line: 1, column: starts[5] + 1))
        #expect(batch.columns.map(Int.init) == starts.map { $0 + 1 })
    }

    @Test("the same detections in dict form (padilla-review-coco-sampled) read identically")
    func dictFormMatchesList() throws {
        let list = try CocoResultsReader.read(
            path: JSONTestSupport.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json"))
        let dict = try CocoResultsReader.read(
            path: JSONTestSupport.fixture("padilla-review-coco-sampled/dt/sampled_bbox_results.json"))
        #expect(dict.count == 734)
        #expect(dict.imageKeys == list.imageKeys)
        #expect(dict.categoryKeys == list.categoryKeys)
        #expect(dict.scores == list.scores)
        #expect(dict.a == list.a && dict.b == list.b && dict.c == list.c && dict.d == list.d)
    }

    @Test("detectron2-coco-2img: float32-derived 17-digit values, with and without masks")
    func detectron2() throws {
        let plain = try CocoResultsReader.read(path: JSONTestSupport.fixture("detectron2-coco-2img/dt_bbox.json"))
        let masks = try CocoResultsReader.read(path: JSONTestSupport.fixture("detectron2-coco-2img/dt_with_segm.json"))
        #expect(plain.count == 3)
        #expect(plain.imageKeys == [.id(139), .id(139), .id(139)])
        #expect(plain.categoryKeys == [.id(1), .id(1), .id(1)])
        #expect(
            row(plain, 0) == [
                0.9949821829795837, 417.3332824707031, 159.27003479003906, 47.66064453125, 143.00193786621094,
            ])
        #expect(
            row(plain, 2) == [
                0.07092753797769547, 457.8359069824219, 158.88027954101562, 9.89764404296875, 8.771820068359375,
            ])
        #expect(masks.count == 3)
        #expect(masks.scores == plain.scores && masks.a == plain.a && masks.d == plain.d)
    }

    @Test("torchmetrics-map-4img: one value per line; each row records the line its object starts on")
    func torchmetrics() throws {
        let batch = try CocoResultsReader.read(path: JSONTestSupport.fixture("torchmetrics-map-4img/dt_coco.json"))
        #expect(batch.count == 19)
        #expect(batch.lines == Array(stride(from: 2, through: 200, by: 11)))
        #expect(row(batch, 1) == [0.318, 61, 22.75, 504, 609.67])
        #expect(batch.imageKeys[18] == .id(987))
        #expect(batch.categoryKeys[18] == .id(49))
        #expect(row(batch, 18) == [0.349, 56.18, 44.8, 8.24, 11.45])
    }

    @Test("padilla-review-toyexample: an object with images, annotations (with scores) and categories")
    func padillaDictForm() throws {
        let path = JSONTestSupport.fixture("padilla-review-toyexample/dets_coco_format/coco_dets.json")
        let batch = try CocoResultsReader.read(path: path)
        #expect(batch.count == 12)
        #expect(batch.lines == Array(stride(from: 65, through: 241, by: 16)))
        #expect(batch.imageKeys.first == .id(0))
        #expect(batch.categoryKeys.allSatisfy { $0 == .id(0) })
        #expect(row(batch, 0) == [0.94, 12, 44, 332, 437])
        #expect(batch.imageKeys.last == .id(9))
        #expect(row(batch, 11) == [0.98, 47, 43, 179, 255])
    }

    // MARK: - Values

    @Test("an empty list, or an empty annotations list, is valid")
    func empty() throws {
        #expect(try read("[]").count == 0)
        #expect(try read(" [ ] \n").count == 0)
        #expect(try read(#"{"annotations": []}"#).count == 0)
    }

    @Test("values are not judged here: NaN, infinities, negative sizes and odd ids pass through")
    func valuesPassThrough() throws {
        let batch = try read(
            #"""
            [
            {"image_id": -1, "category_id": 0, "bbox": [NaN, -5, -Infinity, 1e400], "score": Infinity},
            {"score": -0.5, "bbox": [1.0, 2.5, 3, 4], "category_id": 7.0, "image_id": 3, "segmentation": [[1, 2]]}
            ]
            """#)
        #expect(batch.count == 2)
        #expect(batch.imageKeys == [.id(-1), .id(3)])
        #expect(batch.categoryKeys == [.id(0), .id(7)])
        #expect(batch.a[0].isNaN)
        #expect(batch.b[0] == -5 && batch.c[0] == -.infinity && batch.d[0] == .infinity)
        #expect(batch.scores[0] == .infinity)
        #expect(row(batch, 1) == [-0.5, 1, 2.5, 3, 4])
        #expect(batch.lines == [2, 3])
    }

    // MARK: - Errors

    @Test(
        "wrong types and missing fields name the detection, the field, the place and the fix",
        arguments: [
            (
                "[\n{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n"
                    + "{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": \"0.9\"}]",
                "det.json:3:66: detection 2: \"score\" is a string, expected a number; "
                    + "write it as a number, without quotes"
            ),
            (
                #"[{"image_id": true, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
                "det.json:1:15: detection 1: \"image_id\" is a boolean, expected an integer"
            ),
            (
                #"[{"image_id": 1.5, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
                "det.json:1:15: detection 1: \"image_id\" is 1.5, expected an integer; write a whole number"
            ),
            (
                #"[{"image_id": 1, "category_id": null, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
                "det.json:1:33: detection 1: \"category_id\" is null, expected an integer"
            ),
            (
                #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4, 5], "score": 0.5}]"#,
                "det.json:1:44: detection 1: \"bbox\" has 5 numbers, expected 4; write it as [x, y, width, height]"
            ),
            (
                #"[{"image_id": 1, "category_id": 1, "bbox": {"x": 1}, "score": 0.5}]"#,
                "det.json:1:44: detection 1: \"bbox\" is an object, expected an array"
            ),
            (
                #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]"#,
                "det.json:1:2: detection 1 has no \"score\"; give every detection \"image_id\", \"category_id\""
            ),
            (
                #"[{"score": 0.5}]"#,
                "det.json:1:2: detection 1 has no \"image_id\", \"category_id\", \"bbox\"; give every detection"
            ),
            (
                #"{"annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0}]}"#,
                "det.json:1:18: detection 1 has no \"score\" (it has \"iscrowd\"/\"area\" but no \"score\": "
                    + "this looks like a ground-truth file"
            ),
            ("[1]", "det.json:1:2: detection 1 is a number, expected an object"),
            (
                #"{"images": []}"#,
                "det.json:1:1: the top-level object has no \"annotations\" list of detections; "
                    + "a COCO results file is a list"
            ),
            (#""detections""#, "det.json:1:1: the top level is a string, expected a list of detections"),
            (#"{"annotations": 3}"#, "det.json:1:17: \"annotations\" is a number, expected an array"),
        ])
    func shapeErrors(text: String, expected: String) {
        let description = error(text)?.description ?? "no error"
        #expect(description.hasPrefix(expected), "\(description)")
    }

    @Test("syntax errors: truncated, trailing garbage, invalid token")
    func syntaxErrors() {
        let truncated = error("[\n{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3")
        #expect(
            truncated?.description
                == "det.json:2:51: invalid JSON: unexpected end of input (the file is truncated); "
                + "is the file complete and valid JSON?")
        let trailing = error(#"[] []"#)
        #expect(trailing?.description.hasPrefix("det.json:1:4: invalid JSON: unexpected '['") == true)
        let token = error(#"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": nan}]"#)
        #expect(token?.description.hasPrefix("det.json:1:67: invalid JSON: unexpected 'nan', expected a value") == true)
        let bare = error(#"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": .5}]"#)
        #expect(bare?.description.hasPrefix("det.json:1:67: invalid JSON: unexpected '.', expected a value") == true)
    }

    @Test("file-level failures: missing path, directory, empty file, binary data")
    func fileErrors() throws {
        let directory = try JSONTestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let isDirectory = JSONTestSupport.readError { () throws(ReadError) in
            try CocoResultsReader.read(path: directory.path)
        }
        #expect(isDirectory == .isDirectory(path: directory.path, expected: "a COCO results file (.json)"))
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(
            JSONTestSupport.readError { () throws(ReadError) in try CocoResultsReader.read(path: missing) }
                == .notFound(path: missing))
        try JSONTestSupport.withFile("") { path in
            #expect(
                JSONTestSupport.readError { () throws(ReadError) in try CocoResultsReader.read(path: path) }
                    == .empty(path: path))
        }
        try JSONTestSupport.withFile([0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00], named: "det.json.gz") { path in
            #expect(
                JSONTestSupport.readError { () throws(ReadError) in try CocoResultsReader.read(path: path) }
                    == .notText(path: path, line: 1))
        }
    }

    @Test func stringImageIDsAreNamesAndCategoryNamesAreKept() throws {
        let text =
            #"[{"image_id": "images/0001.jpg", "category_id": 3, "category_name": "car", "bbox": [1, 2, 3, 4], "score": 0.5},"#
            + #" {"image_id": "0002", "category_name": "dog", "bbox": [1, 2, 3, 4], "score": 0.25}]"#
        let batch = try CocoResultsReader.read(bytes: Array(text.utf8), path: "det.json")
        #expect(batch.imageKeys == [.name("images/0001.jpg"), .name("0002")])
        #expect(batch.categoryKeys == [.id(3), .name("dog")])
        #expect(batch.categoryNames == [3: "car"])
    }
}
