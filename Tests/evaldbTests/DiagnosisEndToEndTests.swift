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

    // MARK: - Image references: the printed fix, pasted verbatim

    /// The flags of every printed fix: what follows "fix: import with " or "pass " up to " (", ", " or the end.
    static func printedFlags(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").flatMap { line -> [String] in
            guard let fix = line.range(of: "fix: ") else { return [] }
            let text = String(line[fix.upperBound...])
            guard let start = text.range(of: "import with ") ?? text.range(of: "pass --") else { return [] }
            var flags = String(text[start.upperBound...])
            if text[start].hasPrefix("pass") { flags = "--" + flags }
            for stop in [" (", ", "] {
                if let end = flags.range(of: stop) { flags = String(flags[..<end.lowerBound]) }
            }
            return flags.split(separator: " ").map(String.init)
        }
    }

    /// A COCO dataset of one class whose images have ids 1...n and numeric file names that are not their ids:
    /// image i is `<name(i)>.jpg` and holds one 20x20 box at x = 5i.
    static func numberedDataset(_ count: Int, name: (Int) -> Int) -> String {
        let images = (1...count).map {
            "{\"id\": \($0), \"file_name\": \"\(String(format: "%012d", name($0))).jpg\", \"width\": 100, \"height\": 100}"
        }
        let boxes = (1...count).map {
            "{\"id\": \($0), \"image_id\": \($0), \"category_id\": 1, \"bbox\": [\(5 * $0), 10, 20, 20], \"area\": 400, \"iscrowd\": 0}"
        }
        return "{\"images\": [\(images.joined(separator: ", "))], \"annotations\": [\(boxes.joined(separator: ", "))], "
            + "\"categories\": [{\"id\": 1, \"name\": \"thing\"}]}"
    }

    /// Detections that find every box exactly, referring to image i by `reference(i)`, scores 0.99, 0.98, ...
    static func exactDetections(_ count: Int, reference: (Int) -> Int) -> String {
        let rows = (1...count).map {
            "{\"image_id\": \(reference($0)), \"category_id\": 1, \"bbox\": [\(5 * $0), 10, 20, 20], \"score\": \(1 - Double($0) / 100)}"
        }
        return "[" + rows.joined(separator: ", ") + "]"
    }

    /// Every box found exactly, all 400 px^2 (small): precision 1 at every recall (from the second true positive
    /// on, tp / (tp + 2.2e-16) rounds to 1, and the envelope carries it back to the first), so AP = 1 wherever
    /// there is ground truth; medium and large have none.
    static let perfectSmall: [String: Double?] = [
        "AP": 1, "AP50": 1, "AP75": 1, "APs": 1, "APm": nil, "APl": nil, "AR1": 1, "AR10": 1, "AR100": 1, "ARs": 1,
        "ARm": nil, "ARl": nil,
    ]

    func metrics(_ cli: CLI, _ run: String) throws -> [String: Double?] {
        let result = try cli.run(["eval", run, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["metrics"] as? [String: Any]).mapValues { $0 as? Double }
    }

    /// Images with ids 1...4 named 000000000003.jpg ... 000000000006.jpg; the export refers to them by the numbers
    /// in their names. 3 and 4 are also dataset ids (of other images), so only 5 and 6 fail to match: too few
    /// detections for evidence, the unmatched references are what the finding explains, and they all match by
    /// file name. The printed flag, pasted as printed, matches every reference by name.
    @Test func unmatchedImagesRescuedByFileNameImportWithThePrintedFlag() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write("gt.json", Self.numberedDataset(4) { $0 + 2 })
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let dets = try cli.write("dets.json", Self.exactDetections(4) { $0 + 2 })
        let before = try cli.snapshot()
        let refused = try cli.run(["import", "r", dets, "--dataset", "d"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("fatal: 2 detections refer to 2 images not in dataset 'd' (image_id 5, image_id 6)")
        )
        #expect(refused.stderr.contains("every one of them matches a dataset image by file name"), "\(refused.stderr)")
        #expect(try cli.snapshot() == before)
        let flags = Self.printedFlags(refused.stderr)
        #expect(flags == ["--match-images-by", "file-name"], "\(refused.stderr)")
        let fixed = try cli.run(["import", "r", dets, "--dataset", "d"] + flags)
        #expect(fixed.status == 0, "\(flags): \(fixed.stderr)")
        let names = try cli.run(["sql", "SELECT seq, file_name FROM dets ORDER BY seq", "--format", "csv"])
        #expect(
            names.stdout
                == "seq,file_name\n0,000000000003.jpg\n1,000000000004.jpg\n2,000000000005.jpg\n3,000000000006.jpg\n")
        #expect(try metrics(cli, "r") == Self.perfectSmall)
        let show = try cli.run(["show", "r", "--format", "json"])
        #expect(show.stdout.contains("\"import_options\": \"match-images-by=file-name\""))
    }

    /// Twelve images named by id + 6, referred to by those numbers: the evidence finds that reading by file stem
    /// (every detection then overlaps its box, none as given) and prints its flag.
    @Test func imageReferencesReadByStemImportWithThePrintedFlag() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write("gt.json", Self.numberedDataset(12) { $0 + 6 })
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let dets = try cli.write("dets.json", Self.exactDetections(12) { $0 + 6 })
        let refused = try cli.run(["import", "r", dets, "--dataset", "d"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "fatal: the image references match the dataset's file names without their folders and extensions: read that way, 100% of the 12 most confident detections overlap a ground-truth box of their class at IoU >= 0.5, against 0% as given"
            ), "\(refused.stderr)")
        let errorLine = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(errorLine.contains("image-reading"))
        let flags = Self.printedFlags(refused.stderr)
        #expect(flags == ["--match-images-by", "stem"], "\(refused.stderr)")
        let fixed = try cli.run(["import", "r", dets, "--dataset", "d"] + flags)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(try metrics(cli, "r") == Self.perfectSmall)
    }

    /// An export whose references are partly dataset ids and partly file-name numbers: `cat.jpg` is image 1 and
    /// referred to as 1, `000000000007.jpg` is image 2 and referred to as 7. Only 7 is unmatched, and it matches by
    /// file name; but by file name 1 matches nothing, so no --match-images-by reads the whole export. A printed fix
    /// must work pasted as printed (README), so none is printed: the message says the export mixes two ways.
    @Test func aPartlyMatchedExportIsNotGivenAFixThatFails() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write(
            "gt.json",
            """
            {"images": [{"id": 1, "file_name": "cat.jpg", "width": 100, "height": 100},
                        {"id": 2, "file_name": "000000000007.jpg", "width": 100, "height": 100}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                             {"id": 2, "image_id": 2, "category_id": 1, "bbox": [30, 10, 20, 20], "area": 400, "iscrowd": 0}],
             "categories": [{"id": 1, "name": "thing"}]}
            """)
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let dets = try cli.write(
            "dets.json",
            """
            [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
             {"image_id": 7, "category_id": 1, "bbox": [30, 10, 20, 20], "score": 0.8}]
            """)
        let refused = try cli.run(["import", "r", dets, "--dataset", "d"])
        #expect(refused.status == 1)
        #expect(Self.printedFlags(refused.stderr).isEmpty, "a flag is printed that cannot work: \(refused.stderr)")
        #expect(refused.stderr.contains("the export refers to images in two ways"), "\(refused.stderr)")
        // Neither way alone imports it: under either, the other half is unknown.
        for way in ["file-name", "id"] {
            let tried = try cli.run(["import", "r", dets, "--dataset", "d", "--match-images-by", way])
            #expect(tried.status == 1, "\(way): \(tried.stderr)")
        }
        // Written one way, it imports and both boxes are found.
        try cli.write(
            "dets.json",
            """
            [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
             {"image_id": 2, "category_id": 1, "bbox": [30, 10, 20, 20], "score": 0.8}]
            """)
        #expect(try cli.run(["import", "r", dets, "--dataset", "d"]).status == 0)
        #expect(try metrics(cli, "r") == Self.perfectSmall)
    }
}
