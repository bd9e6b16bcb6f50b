import Foundation
import Testing

/// Every diagnosis through the binary: the broken input is refused with the finding's code in the error
/// line, the finding's message on stderr, exit 1, and nothing stored. Warnings are refused under --strict.
@Suite(.serialized) struct DiagnosisEndToEndTests {
    /// A hand-made COCO dataset: two 100x50 images (ids 1, 2; `000000000001.jpg`, `000000000002.jpg`),
    /// categories 1 cat, 2 dog, one box each.
    static let groundTruth = """
        {"images": [{"id": 1, "file_name": "000000000001.jpg", "width": 100, "height": 50},
                    {"id": 2, "file_name": "000000000002.jpg", "width": 100, "height": 50}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                         {"id": 2, "image_id": 2, "category_id": 2, "bbox": [50, 20, 30, 20], "area": 600, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var code: String
        var message: String
        var detections: String
        var strict = false
        var testDescription: String { code }
    }

    static func det(_ image: Int, _ category: Int, _ box: String, _ score: String = "0.9") -> String {
        "{\"image_id\": \(image), \"category_id\": \(category), \"bbox\": [\(box)], \"score\": \(score)}"
    }

    static let cases: [Case] = [
        Case(
            code: "normalized-coordinates", message: "the coordinates look normalized",
            detections: "[\(det(1, 1, "0.1, 0.2, 0.2, 0.4")), \(det(2, 2, "0.5, 0.4, 0.3, 0.4", "0.8"))]"),
        Case(
            code: "corners-read-as-sizes", message: "the boxes look like corner coordinates",
            detections: "[\(det(1, 1, "10, 10, 30, 30")), \(det(2, 2, "50, 20, 80, 40", "0.8"))]"),
        Case(
            code: "unknown-categories", message: "the ids look 0-based against the dataset's 1-based ids",
            detections: "[\(det(1, 0, "10, 10, 20, 20")), \(det(2, 1, "50, 20, 30, 20", "0.8"))]"),
        Case(
            code: "unknown-images", message: "not in dataset 'toy'",
            detections: "[\(det(3, 1, "10, 10, 20, 20"))]"),
        Case(
            code: "non-finite-box", message: "NaN or infinite box coordinates",
            detections: "[\(det(1, 1, "10, 10, Infinity, 20")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]"),
        Case(
            code: "non-finite-score", message: "NaN or infinite score",
            detections: "[\(det(1, 1, "10, 10, 20, 20", "NaN")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]"),
        Case(
            code: "empty-box", message: "zero or negative width or height",
            detections: "[\(det(1, 1, "10, 10, 0, 20")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]", strict: true),
        Case(
            code: "negative-score", message: "a negative score",
            detections: "[\(det(1, 1, "10, 10, 20, 20", "-1.5")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]", strict: true),
        Case(
            code: "box-outside-image", message: "more than 1 pixel beyond their image",
            detections: "[\(det(1, 1, "90, 10, 20, 20")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]", strict: true),
        Case(
            code: "duplicate-detections", message: "repeats an earlier detection exactly",
            detections:
                "[\(det(1, 1, "10, 10, 20, 20")), \(det(1, 1, "10, 10, 20, 20")), \(det(2, 2, "50, 20, 30, 20", "0.8"))]",
            strict: true),
        Case(
            code: "constant-score", message: "have the same score",
            detections: "[\(det(1, 1, "10, 10, 20, 20")), \(det(2, 2, "50, 20, 30, 20"))]", strict: true),
    ]

    @Test(arguments: cases)
    func brokenDetectionsAreRefusedAndNothingIsStored(_ testCase: Case) throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write("gt.json", Self.groundTruth)
        #expect(try cli.run(["dataset", "import", "toy", gt]).status == 0)
        let before = try cli.snapshot()
        let path = try cli.write("dets.json", testCase.detections)
        let result = try cli.run(["import", "run", path, "--dataset", "toy"] + (testCase.strict ? ["--strict"] : []))
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(testCase.message), "\(result.stderr)")
        let errorLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(errorLine.hasPrefix("Error: \(path): "))
        #expect(errorLine.contains(testCase.code), "\(errorLine)")
        #expect(errorLine.contains("nothing was stored"))
        #expect(try cli.snapshot() == before)
        // `check` agrees and stores nothing either.
        let check = try cli.run(["check", path, "--dataset", "toy"] + (testCase.strict ? ["--strict"] : []))
        #expect(check.status == 1)
        #expect(check.stderr.contains(testCase.message))
        #expect(try cli.snapshot() == before)
    }

    @Test func annotationIdZeroIsAWarningOnDatasetImport() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let zero = Self.groundTruth.replacingOccurrences(
            of: "{\"id\": 1, \"image_id\": 1", with: "{\"id\": 0, \"image_id\": 1")
        let gt = try cli.write("gt.json", zero)
        let strict = try cli.run(["dataset", "import", "toy", gt, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("warning: an annotation has id 0: pycocotools"))
        #expect(
            strict.stderr.hasSuffix(
                "1 problem stops the import (annotation-id-zero) under --strict; nothing was stored. Fix them as suggested above, then import again\n"
            ))
        #expect(try cli.run(["datasets", "--format", "csv"]).status == 0)
        #expect(try cli.run(["datasets", "--format", "csv"]).stdout.split(separator: "\n").count == 1)
        let relaxed = try cli.run(["dataset", "import", "toy", gt])
        #expect(relaxed.status == 0)
        #expect(relaxed.stderr.contains("warning: an annotation has id 0"))
    }

    @Test func theSuggestedFixesImportTheRightBoxes() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write("gt.json", Self.groundTruth)
        #expect(try cli.run(["dataset", "import", "toy", gt]).status == 0)
        let normalized = try cli.write("n.json", Self.cases[0].detections)
        let fixed = try cli.run(["import", "n", normalized, "--dataset", "toy", "--normalized"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let boxes = try cli.run(["sql", "SELECT x, y, w, h FROM dets WHERE run = 'n' ORDER BY seq", "--format", "csv"])
        // 0.1*100, 0.2*50, 0.2*100, 0.4*50 and 0.5*100, 0.4*50, 0.3*100, 0.4*50 in Double arithmetic.
        #expect(boxes.stdout == "x,y,w,h\n10.0,10.0,20.0,20.0\n50.0,20.0,30.0,20.0\n")
        let shifted = try cli.write("s.json", Self.cases[2].detections)
        let offset = try cli.run(["import", "s", shifted, "--dataset", "toy", "--category-offset", "1"])
        #expect(offset.status == 0, "\(offset.stderr)")
        let categories = try cli.run([
            "sql", "SELECT category FROM dets WHERE run = 's' ORDER BY seq", "--format", "csv",
        ])
        #expect(categories.stdout == "category\ncat\ndog\n")
        let show = try cli.run(["show", "s", "--format", "json"])
        #expect(show.stdout.contains("\"import_options\": \"category-offset=1\""))
    }
}
