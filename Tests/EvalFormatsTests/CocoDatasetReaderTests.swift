import Foundation
import Testing

@testable import EvalFormats

@Suite("CocoDatasetReader")
struct CocoDatasetReaderTests {
    func read(_ text: String, path: String = "gt.json") throws(ReadError) -> GroundTruthDataset {
        try CocoDatasetReader.read(bytes: Array(text.utf8), path: path)
    }

    func error(_ text: String) -> ReadError? {
        JSONTestSupport.readError { () throws(ReadError) in try read(text) }
    }

    /// A small valid document with `annotations` replaced.
    func document(annotations: String, images: String = #"[{"id": 1}, {"id": 2}]"#) -> String {
        #"{"images": \#(images), "categories": [{"id": 3, "name": "cat"}], "annotations": \#(annotations)}"#
    }

    // MARK: - Fixtures

    @Test("coco-val2014-fake100: counts, sparse categories, crowd, exact boxes and areas")
    func fake100() throws {
        let path = JSONTestSupport.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dataset = try CocoDatasetReader.read(path: path)
        #expect(dataset.format == .coco)
        #expect(dataset.images.count == 100)
        #expect(dataset.boxes.count == 839)
        #expect(dataset.boxes.filter(\.isCrowd).count == 9)
        #expect(dataset.categories.count == 80)
        #expect(dataset.categories.first == CategoryRecord(id: 1, name: "person", supercategory: "person"))
        #expect(dataset.categories.last?.id == 90)
        #expect(!dataset.categories.contains { $0.id == 12 })  // COCO's ids have gaps
        #expect(dataset.images.prefix(5).map(\.id) == [1146, 400, 764, 459, 715])  // file order, not sorted
        #expect(
            dataset.images[0]
                == ImageRecord(id: 1146, fileName: "COCO_val2014_000000001146.jpg", width: 427, height: 640))

        // The first annotation (annotations come before images in this file).
        let first = dataset.boxes[0]
        #expect(first.annotationID == 1774)
        #expect(first.imageIndex == 73)
        #expect(dataset.images[first.imageIndex].id == 74)
        #expect(first.categoryID == 18)
        #expect([first.x, first.y, first.width, first.height] == [61.87, 276.25, 296.42, 103.18])
        #expect(first.area == 18234.62355)  // the mask area from the file, not width * height
        #expect(!first.isCrowd)
        #expect(first.location == SourceLocation(file: path, line: 1))

        let last = try #require(dataset.boxes.last)
        #expect(last.annotationID == 908_400_000_632)
        #expect(last.isCrowd)
        #expect(last.area == 20933)
        let crowd = try #require(dataset.boxes.first { $0.isCrowd })
        #expect(crowd.annotationID == 905_500_000_715)
        #expect([crowd.x, crowd.y, crowd.width, crowd.height] == [49, 155, 457, 324])

        // Sums in file order, as Python computes them: every value read to the last bit.
        #expect(dataset.boxes.reduce(0.0) { $0 + $1.width } == 78710.19999999998)
        #expect(dataset.boxes.reduce(0.0) { $0 + $1.area } == 9155024.006400017)
    }

    @Test("detectron2-coco-2img: an image without annotations and a category without them")
    func detectron2() throws {
        let dataset = try CocoDatasetReader.read(path: JSONTestSupport.fixture("detectron2-coco-2img/gt.json"))
        #expect(dataset.images.map(\.id) == [285, 139])
        #expect(dataset.images[0] == ImageRecord(id: 285, fileName: "000000000285.jpg", width: 586, height: 640))
        #expect(
            dataset.categories == [
                CategoryRecord(id: 1, name: "person", supercategory: "person"),
                CategoryRecord(id: 65, name: "bed", supercategory: "furniture"),
            ])
        #expect(dataset.boxes.map(\.annotationID) == [230_831, 233_201])
        #expect(dataset.boxes.map(\.imageIndex) == [1, 1])
        #expect([dataset.boxes[1].x, dataset.boxes[1].y, dataset.boxes[1].width] == [384.43, 172.21, 15.12])
        #expect(dataset.boxes[1].area == 435.1449499999997)
    }

    @Test("torchmetrics-map-4img: images with only an id, one line per value")
    func torchmetrics() throws {
        let path = JSONTestSupport.fixture("torchmetrics-map-4img/gt_coco.json")
        let dataset = try CocoDatasetReader.read(path: path)
        #expect(dataset.images == [42, 73, 74, 987].map { ImageRecord(id: $0, fileName: "", width: 0, height: 0) })
        #expect(dataset.categories.map(\.id) == [0, 1, 2, 3, 4, 49])
        #expect(dataset.categories.allSatisfy { $0.supercategory == nil })
        #expect(dataset.boxes.count == 20)
        #expect(dataset.boxes.map { $0.location?.line ?? 0 } == Array(stride(from: 20, through: 267, by: 13)))
        let last = try #require(dataset.boxes.last)
        #expect(last.annotationID == 20)
        #expect(last.imageIndex == 3)
        #expect([last.x, last.y, last.width, last.height, last.area] == [58.18, 44.8, 8.24, 11.45, 94.348])
    }

    @Test("padilla-review-toyexample: annotation id 0 and category id 0 are kept")
    func padillaToyExample() throws {
        let path = JSONTestSupport.fixture("padilla-review-toyexample/gts_coco_format/toy_example_coco.JSON")
        let dataset = try CocoDatasetReader.read(path: path)
        #expect(dataset.images.count == 10)
        #expect(dataset.images[9] == ImageRecord(id: 9, fileName: "2010_004175.jpg", width: 400, height: 300))
        #expect(dataset.boxes.count == 12)
        #expect(dataset.boxes.first?.annotationID == 0)
        #expect(dataset.boxes.first?.categoryID == 0)
        #expect(dataset.categories == [CategoryRecord(id: 0, name: "cat", supercategory: "none")])
        let last = try #require(dataset.boxes.last)
        #expect([last.x, last.y, last.width, last.height, last.area] == [1, 39, 247, 261, 64976])
        #expect(last.imageIndex == 9)
    }

    // MARK: - Fields

    @Test("optional fields: area defaults to width * height, iscrowd to false; true, 1 and null are read")
    func optionalFields() throws {
        let dataset = try read(
            document(
                annotations: #"""
                    [{"id": 1, "image_id": 2, "category_id": 3, "bbox": [1, 2, 3.5, 4]},
                     {"id": 2.0, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "iscrowd": 1, "area": 3.25,
                      "segmentation": {"size": [10, 10], "counts": "abc"}},
                     {"id": 3, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "iscrowd": true, "area": null},
                     {"id": 4, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "iscrowd": null,
                      "segmentation": [[1, 2, 3, 4, 5, 6]], "extra": {"nested": [true, false, null]}}]
                    """#))
        #expect(dataset.boxes.map(\.annotationID) == [1, 2, 3, 4])
        #expect(dataset.boxes.map(\.imageIndex) == [1, 0, 0, 0])
        #expect(dataset.boxes.map(\.area) == [14, 3.25, 4, 4])
        #expect(dataset.boxes.map(\.isCrowd) == [false, true, true, false])
        #expect(dataset.boxes.map { $0.location?.line } == [1, 2, 4, 5])
    }

    @Test("empty lists are a valid (empty) dataset")
    func emptyLists() throws {
        let dataset = try read(#"{"info": {}, "images": [], "annotations": [], "categories": []}"#)
        #expect(dataset.images.isEmpty && dataset.boxes.isEmpty && dataset.categories.isEmpty)
    }

    // MARK: - Errors

    @Test(
        "documents of the wrong shape say what is expected",
        arguments: [
            (
                #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]"#,
                "gt.json:1:1: the top level is a list, not an object with \"images\", \"annotations\" and "
                    + "\"categories\"; this looks like a detection results file; import detections with `evaldb import`"
            ),
            ("42", "gt.json:1:1: the top level is a number, expected an object"),
            (
                #"{"images": [], "annotations": []}"#,
                "gt.json:1:1: the top-level object has no \"categories\"; a COCO ground-truth file needs"
            ),
            (#"{"annotations": []}"#, "gt.json:1:1: the top-level object has no \"images\" and \"categories\""),
            (
                #"{"images": [], "annotations": [], "categories": [], "images": []}"#,
                "gt.json:1:63: \"images\" appears twice at the top level"
            ),
            (
                #"{"images": {}, "annotations": [], "categories": []}"#,
                "gt.json:1:12: \"images\" is an object, expected an array"
            ),
        ])
    func wrongShape(text: String, expected: String) {
        let description = error(text)?.description ?? "no error"
        #expect(description.hasPrefix(expected), "\(description)")
    }

    @Test(
        "annotations with wrong types or missing fields name the annotation, the field and the place",
        arguments: [
            (
                #"[{"id": "7", "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]"#,
                "gt.json:1:101: annotation 1: \"id\" is a string, expected an integer; "
                    + "write it as an integer, without quotes"
            ),
            (
                #"[{"id": 1.5, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]"#,
                "gt.json:1:101: annotation 1: \"id\" is 1.5, expected an integer"
            ),
            (
                #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1]}]"#,
                "gt.json:1:145: annotation 1: \"bbox\" has 3 numbers, expected 4; write it as [x, y, width, height]"
            ),
            (
                #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, "0", 1, 1]}]"#,
                "gt.json:1:149: annotation 1: \"bbox\"[1] is a string, expected a number"
            ),
            (
                #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}, "#
                    + #"{"id": 2, "category_id": 3, "bbox": [0, 0, 1, 1]}]"#,
                "gt.json:1:160: annotation 2 has no \"image_id\"; give every annotation \"id\", \"image_id\""
            ),
            (
                #"[{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 0.9}]"#,
                "gt.json:1:94: annotation 1 has no \"id\" (it has a \"score\": this looks like a detection results file"
            ),
            (
                #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "iscrowd": "no"}]"#,
                "gt.json:1:170: annotation 1: \"iscrowd\" is a string, expected an integer"
            ),
            (
                #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "area": [1]}]"#,
                "gt.json:1:167: annotation 1: \"area\" is an array, expected a number"
            ),
        ])
    func annotationErrors(annotations: String, expected: String) {
        let description = error(document(annotations: annotations))?.description ?? "no error"
        #expect(description.hasPrefix(expected), "\(description)")
    }

    @Test("an annotation referring to an unknown image or category is pointed at, even before `images`")
    func unknownReferences() {
        let unknownImage = #"""
            {"annotations": [
              {"id": 16, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]},
              {"id": 17, "image_id": 99, "category_id": 3, "bbox": [0, 0, 1, 1]}],
             "images": [{"id": 1}], "categories": [{"id": 3, "name": "cat"}]}
            """#
        #expect(
            error(unknownImage)?.description
                == "gt.json:3:26: annotation 2 (id 17) refers to image_id 99, which is not in \"images\"; "
                + "add the image to \"images\" or correct the annotation's image_id")
        let unknownCategory = document(
            annotations: #"[{"id": 5, "image_id": 2, "category_id": 4, "bbox": [0, 0, 1, 1]}]"#)
        #expect(
            error(unknownCategory)?.description
                == "gt.json:1:134: annotation 1 (id 5) refers to category_id 4, which is not in \"categories\"; "
                + "add the category to \"categories\" or correct the annotation's category_id")
    }

    @Test("duplicate image and category ids and missing required fields are refused")
    func imageAndCategoryErrors() {
        let duplicateImage = error(document(annotations: "[]", images: #"[{"id": 1}, {"id": 2},\#n {"id": 1}]"#))
        #expect(
            duplicateImage?.description
                == "gt.json:2:2: image 3 has id 1, already used by image 1; image ids must be unique")
        let duplicateCategory = error(
            #"{"images": [], "annotations": [], "categories": [{"id": 3, "name": "a"}, {"id": 3, "name": "b"}]}"#)
        #expect(
            duplicateCategory?.description
                == "gt.json:1:74: category 2 (\"b\") has id 3, already used by category 1; category ids must be unique")
        let noName = error(#"{"images": [], "annotations": [], "categories": [{"id": 3}]}"#)
        #expect(noName?.description.hasPrefix("gt.json:1:50: category 1 has no \"name\"") == true)
        let noImageID = error(document(annotations: "[]", images: #"[{"file_name": "a.jpg"}]"#))
        #expect(noImageID?.description.hasPrefix("gt.json:1:13: image 1 has no \"id\"") == true)
        let badWidth = error(document(annotations: "[]", images: #"[{"id": 1, "width": 640.5}]"#))
        #expect(
            badWidth?.description.hasPrefix("gt.json:1:32: image 1: \"width\" is 640.5, expected an integer") == true)
    }

    @Test("file-level failures: missing path, directory, empty file, truncated, binary, invalid UTF-8")
    func fileErrors() throws {
        let directory = try JSONTestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nope.json").path
        #expect(
            JSONTestSupport.readError { () throws(ReadError) in try CocoDatasetReader.read(path: missing) }
                == .notFound(path: missing))
        let isDirectory = JSONTestSupport.readError { () throws(ReadError) in
            try CocoDatasetReader.read(path: directory.path)
        }
        #expect(isDirectory == .isDirectory(path: directory.path, expected: "a COCO annotation file (.json)"))

        try JSONTestSupport.withFile("") { path in
            #expect(
                JSONTestSupport.readError { () throws(ReadError) in try CocoDatasetReader.read(path: path) }
                    == .empty(path: path))
        }
        // The real fixture cut off in the middle of a segmentation.
        let fixture = try Data(
            contentsOf: URL(fileURLWithPath: JSONTestSupport.fixture("detectron2-coco-2img/gt.json")))
        try JSONTestSupport.withFile(Array(fixture.prefix(1000))) { path in
            let truncated = JSONTestSupport.readError { () throws(ReadError) in try CocoDatasetReader.read(path: path) }
            #expect(
                truncated?.description
                    == "\(path):1:1001: invalid JSON: unexpected end of input (the file is truncated); "
                    + "is the file complete and valid JSON?")
        }
        try JSONTestSupport.withFile([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00], named: "zip.json") { path in
            let binary = JSONTestSupport.readError { () throws(ReadError) in try CocoDatasetReader.read(path: path) }
            #expect(binary == .notText(path: path, line: 1))
        }
        let latin1: [UInt8] =
            Array(#"{"images": [{"id": 1, "file_name": "caf"#.utf8) + [0xE9] + Array(#".jpg"}]}"#.utf8)
        try JSONTestSupport.withFile(latin1) { path in
            let invalid = JSONTestSupport.readError { () throws(ReadError) in try CocoDatasetReader.read(path: path) }
            #expect(invalid?.description.hasPrefix("\(path):1:40: invalid JSON: invalid UTF-8 (byte 0xE9)") == true)
        }
    }
}
