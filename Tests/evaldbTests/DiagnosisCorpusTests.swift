import Foundation
import Testing

/// A corpus of broken exports built from the bundled fixtures' clean runs: every axis a reading can be wrong on,
/// and compounds of two. Each broken export must be refused with its cause named (or warned, for the mild ones),
/// and the fix evaldb prints, applied verbatim, must give exactly the clean export's evaluation: every summary
/// metric bit for bit.
///
/// COCO cases come from coco-val2014-fake100 (real sparse COCO ids, 100 images, 734 detections); YOLO cases from
/// a YOLO copy of it (labels normalized, classes by index, sizes from a CSV); VisDrone cases from visdrone-synth's
/// run A.
@Suite(.serialized) struct DiagnosisCorpusTests {
    /// The fake100 ground truth and detections, with what the transforms need.
    struct Coco: @unchecked Sendable {
        let groundTruth: [String: Any]
        let detections: [[String: Any]]
        let size: [Int: (width: Double, height: Double)]
        let fileName: [Int: String]
        let imageIDs: [Int]
        let categoryIDs: [Int]
        let categoryName: [Int: String]

        static let shared = try! Coco()

        init() throws {
            let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
            let dt = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
            groundTruth =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gt))) as! [String: Any]
            detections =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dt))) as! [[String: Any]]
            var size: [Int: (Double, Double)] = [:]
            var fileName: [Int: String] = [:]
            for image in groundTruth["images"] as! [[String: Any]] {
                let id = image["id"] as! Int
                size[id] = (Double(image["width"] as! Int), Double(image["height"] as! Int))
                fileName[id] = image["file_name"] as? String
            }
            self.size = size.mapValues { (width: $0.0, height: $0.1) }
            self.fileName = fileName
            imageIDs = size.keys.sorted()
            let categories = groundTruth["categories"] as! [[String: Any]]
            categoryIDs = categories.map { $0["id"] as! Int }.sorted()
            categoryName = Dictionary(
                uniqueKeysWithValues: categories.map { ($0["id"] as! Int, $0["name"] as! String) })
        }

        /// A fixed pseudo-random permutation of the category ids.
        var permutation: [Int: Int] {
            var shuffled = categoryIDs
            var state: UInt64 = 2026
            for index in stride(from: shuffled.count - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                shuffled.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
            }
            return Dictionary(uniqueKeysWithValues: zip(categoryIDs, shuffled))
        }

        /// The detections with each one transformed (false drops it), as JSON.
        func transformed(_ transform: Transform) throws -> Data {
            var rows: [[String: Any]] = []
            for var row in detections where transform(&row) { rows.append(row) }
            return try JSONSerialization.data(withJSONObject: rows)
        }

        /// Rewrites the box from its pixel `x, y, w, h` and the image size.
        func boxes(_ f: @escaping @Sendable (Double, Double, Double, Double, Double, Double) -> [Double]) -> Transform {
            { row in
                let b = row["bbox"] as! [Double]
                let s = size[row["image_id"] as! Int]!
                row["bbox"] = f(b[0], b[1], b[2], b[3], s.width, s.height)
                return true
            }
        }
    }

    typealias Transform = @Sendable (inout [String: Any]) -> Bool

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// Words the finding must contain.
        var cause: String
        /// The finding's code, which the error line names; nil for a warning (then the import succeeds and only
        /// --strict refuses it).
        var code: String?
        var build: @Sendable () throws -> Data
        var testDescription: String { name }
    }

    @Sendable static func letterbox(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ W: Double, _ H: Double)
        -> [Double]
    {
        let r = min(640 / W, 640 / H)
        return [x * r + (640 - W * r) / 2, y * r + (640 - H * r) / 2, w * r, h * r]
    }

    static let cocoCases: [Case] = {
        let c = Coco.shared
        func t(_ f: @escaping Transform) -> @Sendable () throws -> Data { { try c.transformed(f) } }
        func category(_ f: @escaping @Sendable (Int) -> Int) -> Transform {
            { row in
                row["category_id"] = f(row["category_id"] as! Int)
                return true
            }
        }
        func image(_ f: @escaping @Sendable (Int) -> Any) -> Transform {
            { row in
                row["image_id"] = f(row["image_id"] as! Int)
                return true
            }
        }
        func both(_ f: @escaping Transform, _ g: @escaping Transform) -> Transform { { row in f(&row) && g(&row) } }
        let perm = c.permutation
        let xyxy = c.boxes { x, y, w, h, _, _ in [x, y, x + w, y + h] }
        return [
            // Box layouts and units.
            Case(name: "xyxy", cause: "the boxes look like [x1, y1, x2, y2]", code: "box-reading", build: t(xyxy)),
            Case(
                name: "yxyx", cause: "[ymin, xmin, ymax, xmax] (TensorFlow Object Detection API order)",
                code: "box-reading", build: t(c.boxes { x, y, w, h, _, _ in [y, x, y + h, x + w] })),
            Case(
                name: "cxcywh pixels", cause: "[center x, center y, width, height]", code: "box-reading",
                build: t(c.boxes { x, y, w, h, _, _ in [x + w / 2, y + h / 2, w, h] })),
            Case(
                name: "xyhw", cause: "[x, y, height, width]", code: "box-reading",
                build: t(c.boxes { x, y, w, h, _, _ in [x, y, h, w] })),
            Case(
                name: "normalized", cause: "fractions of the image's width and height", code: "box-reading",
                build: t(c.boxes { x, y, w, h, W, H in [x / W, y / H, w / W, h / H] })),
            Case(
                name: "normalized by (H, W)", cause: "fractions of the image's height and width (swapped)",
                code: "box-reading", build: t(c.boxes { x, y, w, h, W, H in [x / H, y / W, w / H, h / W] })),
            Case(
                name: "scaled back with (H, W) swapped", cause: "width and height swapped", code: "box-reading",
                build: t(c.boxes { x, y, w, h, W, H in [x / W * H, y / H * W, w / W * H, h / H * W] })),
            Case(
                name: "letterbox 640", cause: "640x640 letterboxed network input", code: "box-reading",
                build: t(c.boxes(letterbox))),
            // Categories.
            Case(
                name: "0-based ids", cause: "the category ids look 0-based against the dataset's 1-based ids",
                code: "category-reading", build: t(category { $0 - 1 })),
            Case(
                name: "ids one too high", cause: "the category ids look 1-based against the dataset's 0-based ids",
                code: "category-reading", build: t(category { $0 + 1 })),
            Case(
                name: "contiguous 0-based indexes", cause: "0-based positions in the dataset's 80 categories",
                code: "category-reading", build: t(category { c.categoryIDs.firstIndex(of: $0)! })),
            Case(
                name: "contiguous 1-based indexes", cause: "1-based positions in the dataset's 80 categories",
                code: "category-reading", build: t(category { c.categoryIDs.firstIndex(of: $0)! + 1 })),
            Case(
                name: "permuted classes", cause: "the model's classes look like another order of the dataset's",
                code: "category-reading", build: t(category { perm[$0]! })),
            // Images.
            Case(
                name: "image ids shifted", cause: "the image ids look shifted", code: "image-reading",
                build: t(image { $0 + 1 })),
            Case(
                name: "data loader index", cause: "0-based positions in the dataset's images sorted by id",
                code: "image-reading", build: t(image { c.imageIDs.firstIndex(of: $0)! })),
            Case(
                name: "1-based data loader index", cause: "1-based positions in the dataset's images sorted by id",
                code: "image-reading", build: t(image { c.imageIDs.firstIndex(of: $0)! + 1 })),
            // Duplicates.
            Case(
                name: "every detection twice", cause: "the export looks written twice", code: "duplicate-detections",
                build: {
                    let rows = try JSONSerialization.jsonObject(with: try c.transformed { _ in true }) as! [Any]
                    return try JSONSerialization.data(withJSONObject: rows + rows)
                }),
            // Mild ones: warnings.
            Case(
                name: "shifted by one pixel", cause: "every box is shifted by 1 pixel in x and y", code: nil,
                build: t(c.boxes { x, y, w, h, _, _ in [x + 1, y + 1, w, h] })),
            Case(
                name: "one pixel too large", cause: "widths and heights are one pixel too large", code: nil,
                build: t(c.boxes { x, y, w, h, _, _ in [x, y, w + 1, h + 1] })),
            // Two axes at once.
            Case(
                name: "normalized yxyx",
                cause: "[ymin, xmin, ymax, xmax] (TensorFlow Object Detection API order) normalized",
                code: "box-reading",
                build: t(c.boxes { x, y, w, h, W, H in [y / H, x / W, (y + h) / H, (x + w) / W] })),
            Case(
                name: "normalized corners", cause: "[x1, y1, x2, y2] normalized", code: "box-reading",
                build: t(c.boxes { x, y, w, h, W, H in [x / W, y / H, (x + w) / W, (y + h) / H] })),
            Case(
                name: "normalized cxcywh", cause: "[center x, center y, width, height] normalized", code: "box-reading",
                build: t(c.boxes { x, y, w, h, W, H in [(x + w / 2) / W, (y + h / 2) / H, w / W, h / H] })),
            Case(
                name: "indexes and corners", cause: "0-based positions in the dataset's 80 categories",
                code: "box-reading", build: t(both(xyxy, category { c.categoryIDs.firstIndex(of: $0)! }))),
            Case(
                name: "file names and 0-based ids", cause: "the category ids look 0-based", code: "category-reading",
                build: t(both(image { c.fileName[$0]! }, category { $0 - 1 }))),
            Case(
                name: "shifted images and permuted classes", cause: "another order of the dataset's",
                code: "image-reading", build: t(both(image { $0 + 1 }, category { perm[$0]! }))),
            Case(
                name: "letterboxed centers",
                cause: "[center x, center y, width, height] in the pixels of a 640x640 letterbox",
                code: "box-reading",
                build: t(
                    c.boxes { x, y, w, h, W, H in
                        let b = letterbox(x, y, w, h, W, H)
                        return [b[0] + b[2] / 2, b[1] + b[3] / 2, b[2], b[3]]
                    })),
            Case(
                name: "written twice, normalized", cause: "fractions of the image's width and height",
                code: "box-reading",
                build: {
                    let rows =
                        try JSONSerialization.jsonObject(
                            with: try c.transformed(c.boxes { x, y, w, h, W, H in [x / W, y / H, w / W, h / H] }))
                        as! [Any]
                    return try JSONSerialization.data(withJSONObject: rows + rows)
                }),
        ]
    }()

    /// The flags of a printed fix: what follows "import with" up to " (" or ", ".
    static func fixFlags(_ stderr: String) -> [[String]] {
        stderr.split(separator: "\n").compactMap { line -> [String]? in
            guard let range = line.range(of: "fix: import with ") else { return nil }
            var flags = String(line[range.upperBound...])
            for stop in [" (", ", "] {
                if let end = flags.range(of: stop) { flags = String(flags[..<end.lowerBound]) }
            }
            return flags.split(separator: " ").map(String.init)
        }
    }

    func metrics(_ cli: CLI, _ run: String) throws -> [String: Double?] {
        let result = try cli.run(["eval", run, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let metrics = try #require(object["metrics"] as? [String: Any])
        return metrics.mapValues { $0 as? Double }
    }

    /// Imports `broken`, expects the cause, applies every printed fix verbatim, expects the clean evaluation.
    func check(_ testCase: Case, cli: CLI, dataset: String, clean: String, broken: String) throws {
        let expected = try metrics(cli, "clean")
        _ = clean
        let before = try cli.snapshot()
        let refused = try cli.run(["import", "broken", broken, "--dataset", dataset, "--no-eval", "--strict"])
        #expect(refused.status == 1, "\(testCase.name): \(refused.stderr)")
        #expect(refused.stderr.contains(testCase.cause), "\(testCase.name): \(refused.stderr)")
        #expect(try cli.snapshot() == before)
        if let code = testCase.code {
            let errorLine = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(errorLine.contains(code), "\(testCase.name): \(errorLine)")
            // Without --strict a fatal finding refuses too.
            let plain = try cli.run(["import", "broken", broken, "--dataset", dataset, "--no-eval"])
            #expect(plain.status == 1, "\(testCase.name)")
        } else {
            let warned = try cli.run(["import", "warned", broken, "--dataset", dataset, "--no-eval"])
            #expect(warned.status == 0, "\(testCase.name): \(warned.stderr)")
            #expect(warned.stderr.contains("warning: "))
        }
        let flags = Self.fixFlags(refused.stderr).flatMap { $0 }
        #expect(!flags.isEmpty, "\(testCase.name): no fix printed in \(refused.stderr)")
        // Not --strict here: a clean export may have warnings of its own (visdrone-synth has boxes past the edge).
        let fixed = try cli.run(["import", "fixed", broken, "--dataset", dataset, "--no-eval"] + flags)
        #expect(fixed.status == 0, "\(testCase.name) with \(flags): \(fixed.stderr)")
        let got = try metrics(cli, "fixed")
        #expect(got == expected, "\(testCase.name) with \(flags)")
    }

    static let fake100GroundTruth = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let fake100Detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    /// A store holding fake100 as dataset `fake100`, and its clean run as `clean` unless `clean` is false.
    func fake100Store(clean: Bool = true) throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "fake100", Self.fake100GroundTruth]).status == 0)
        if clean {
            #expect(
                try cli.run(["import", "clean", Self.fake100Detections, "--dataset", "fake100", "--no-eval"]).status
                    == 0)
        }
        return cli
    }

    /// fake100's detections with their categories permuted, written to the store's folder.
    func permutedDetections(_ cli: CLI) throws -> String {
        let c = Coco.shared
        let perm = c.permutation
        return try cli.write(
            "perm.json",
            try c.transformed { row in
                row["category_id"] = perm[row["category_id"] as! Int]!
                return true
            })
    }

    @Test(arguments: cocoCases)
    func brokenCocoExports(_ testCase: Case) throws {
        let cli = try fake100Store()
        defer { cli.remove() }
        let broken = try cli.write("broken.json", try testCase.build())
        try check(testCase, cli: cli, dataset: "fake100", clean: Self.fake100Detections, broken: broken)
    }

    /// The printed form (`--category-offset=-1`) and the spaced one (`--category-offset -1`) both work.
    @Test func negativeOffsetsParseEitherWay() throws {
        let cli = try fake100Store()
        defer { cli.remove() }
        let path = try cli.write(
            "plus1.json",
            try Coco.shared.transformed { row in
                row["category_id"] = (row["category_id"] as! Int) + 1
                return true
            })
        for (name, flags) in [("a", ["--category-offset=-1"]), ("b", ["--category-offset", "-1"])] {
            let result = try cli.run(["import", name, path, "--dataset", "fake100", "--no-eval"] + flags)
            #expect(result.status == 0, "\(flags): \(result.stderr)")
            #expect(try metrics(cli, name) == (try metrics(cli, "clean")))
        }
    }

    /// Detections on only half of the images: a warning that names the share and the likely cause.
    @Test func halfOfTheImagesIsAWarning() throws {
        let cli = try fake100Store(clean: false)
        defer { cli.remove() }
        let c = Coco.shared
        let half = Set(c.imageIDs.prefix(50))
        let path = try cli.write("half.json", try c.transformed { half.contains($0["image_id"] as! Int) })
        let result = try cli.run(["import", "half", path, "--dataset", "fake100", "--no-eval"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: the detections cover 50 of the 100 images (50%)"), "\(result.stderr)")
        #expect(result.stderr.contains("one process's output of a distributed run"))
        #expect(try cli.run(["import", "half2", path, "--dataset", "fake100", "--strict"]).status == 1)
    }

    /// References the default matching already resolves: file names with or without extension, another
    /// extension, a folder prefix, numeric strings.
    @Test(arguments: ["name", "stem", "png", "path"])
    func fileNameReferencesImport(_ form: String) throws {
        let cli = try fake100Store()
        defer { cli.remove() }
        let c = Coco.shared
        let path = try cli.write(
            "named.json",
            try c.transformed { row in
                let name = c.fileName[row["image_id"] as! Int]!
                let stem = String(name.dropLast(4))
                row["image_id"] =
                    form == "name" ? name : form == "stem" ? stem : form == "png" ? stem + ".png" : "val2014/" + name
                return true
            })
        let imported = try cli.run(["import", "named", path, "--dataset", "fake100", "--no-eval", "--strict"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try metrics(cli, "named") == (try metrics(cli, "clean")))
    }

    // MARK: - Explaining, and maps from files

    @Test func explainListsTheReadingsWithTheirEvidence() throws {
        let cli = try fake100Store(clean: false)
        defer { cli.remove() }
        let c = Coco.shared
        let perm = c.permutation
        let path = try permutedDetections(cli)
        let table = try cli.run(["check", path, "--dataset", "fake100", "--explain"])
        #expect(table.status == 1)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("reading ") == true)
        #expect(lines.contains { $0.hasPrefix("--category-map auto ") && $0.hasSuffix("best") }, "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("(the format's own) ") && $0.hasSuffix("given") })
        #expect(table.stdout.contains("The best reading's category map:"))
        let json = try cli.run(["check", path, "--dataset", "fake100", "--explain", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["sampled"] as? Int == 734)
        let readings = try #require(object["readings"] as? [[String: Any]])
        #expect(readings.count > 20)
        let best = try #require(readings.first { ($0["mark"] as? String)?.contains("best") == true })
        #expect(best["categories"] as? String == "estimated map")
        #expect((best["own_class"] as? Int ?? 0) > 600)
        // The estimated map is the inverse of the permutation for the classes whose detections overlap boxes (a
        // class whose few detections overlap nothing cannot be told; fake100 has 6 such among 75).
        let map = try #require(object["category_map"] as? [[String: Any]])
        let inverse = Dictionary(uniqueKeysWithValues: perm.map { ($0.value, $0.key) })
        let supported = Set(c.detections.map { perm[$0["category_id"] as! Int]! })
        var agreeing = 0
        for row in map {
            let model = Int(row["model"] as! String)!
            if row["category_id"] as? Int == inverse[model] { agreeing += 1 }
        }
        #expect(map.count == supported.count)
        #expect(agreeing >= 69, "\(agreeing) of \(supported.count)")
        // It is the map --category-map auto applies and stores.
        #expect(
            try cli.run(["import", "auto", path, "--dataset", "fake100", "--no-eval", "--category-map", "auto"]).status
                == 0)
        let stored = try cli.run([
            "sql", "SELECT model_key AS model, category_id FROM run_category_maps ORDER BY CAST(model_key AS INTEGER)",
            "--format", "json",
        ])
        let storedRows = try #require(
            try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [[String: Any]])
        #expect(
            storedRows.map { "\($0["model"]!)>\($0["category_id"]!)" }
                == map.map { "\($0["model"]!)>\($0["category_id"]!)" })
        #expect(try cli.run(["check", path, "--explain"]).status == 64)
    }

    @Test(arguments: ["csv", "json", "yaml"])
    func categoryMapFilesApplyAndAreStored(_ kind: String) throws {
        let cli = try fake100Store()
        defer { cli.remove() }
        let c = Coco.shared
        let perm = c.permutation
        let path = try permutedDetections(cli)
        // The model's category perm[d] is the dataset's d: by id (csv, json) or by the model's names (yaml).
        let map: String
        switch kind {
        case "csv":
            map = try cli.write(
                "map.csv", "model,dataset\n" + perm.map { "\($0.value),\($0.key)" }.joined(separator: "\n") + "\n")
        case "json":
            map = try cli.write(
                "map.json", "{" + perm.map { "\"\($0.value)\": \($0.key)" }.joined(separator: ", ") + "}")
        default:
            // A YOLO data.yaml of the model: class i is named after the dataset category it stands for. The
            // model's ids here are the permuted COCO ids, so list names at those positions.
            let largest = perm.values.max()!
            var names = (0...largest).map { "unused\($0)" }
            for (dataset, model) in perm { names[model] = c.categoryName[dataset]! }
            map = try cli.write("data.yaml", "names: [" + names.map { "'\($0)'" }.joined(separator: ", ") + "]\n")
        }
        let imported = try cli.run([
            "import", "mapped", path, "--dataset", "fake100", "--no-eval", "--category-map", map,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try metrics(cli, "mapped") == (try metrics(cli, "clean")))
        let show = try cli.run(["show", "mapped"])
        #expect(show.stdout.contains("Category map applied at import (model -> dataset):"))
        let stored = try cli.run(["sql", "SELECT count(*) FROM run_category_maps", "--format", "csv"])
        #expect(stored.stdout.hasSuffix("\n80\n"), "\(stored.stdout)")
        // A map naming a category the dataset lacks is refused, and says which.
        let bad = try cli.write("bad.csv", "0,zebra-crossing\n")
        let refused = try cli.run(["import", "bad", path, "--dataset", "fake100", "--category-map", bad])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "the category map names 1 category not in dataset 'fake100' (class 'zebra-crossing')"))
    }

    // MARK: - YOLO

    /// A YOLO copy of fake100: labels (class = position among the sorted category ids), classes.txt, sizes.csv.
    func yoloDataset(_ cli: CLI) throws -> String {
        let c = Coco.shared
        var labels: [Int: [String]] = [:]
        for box in c.groundTruth["annotations"] as! [[String: Any]] where (box["iscrowd"] as? Int ?? 0) == 0 {
            let id = box["image_id"] as! Int
            let b = box["bbox"] as! [Double]
            let s = c.size[id]!
            let k = c.categoryIDs.firstIndex(of: box["category_id"] as! Int)!
            labels[id, default: []].append(
                "\(k) \((b[0] + b[2] / 2) / s.width) \((b[1] + b[3] / 2) / s.height) \(b[2] / s.width) \(b[3] / s.height)"
            )
        }
        var sizes = "image,width,height\n"
        for id in c.imageIDs {
            let name = c.fileName[id]!
            try cli.write("yolo/labels/\(name.dropLast(4)).txt", (labels[id] ?? []).joined(separator: "\n") + "\n")
            sizes += "\(name),\(Int(c.size[id]!.width)),\(Int(c.size[id]!.height))\n"
        }
        try cli.write("yolo/classes.txt", c.categoryIDs.map { c.categoryName[$0]! }.joined(separator: "\n") + "\n")
        try cli.write("sizes.csv", sizes)
        return cli.folder.appendingPathComponent("yolo").path
    }

    /// Writes YOLO predictions from fake100's detections, one line per detection from `line(class, box, conf,
    /// W, H)`.
    func yoloPredictions(
        _ cli: CLI, _ folder: String, classOf: (Int) -> Int = { Coco.shared.categoryIDs.firstIndex(of: $0)! },
        line: (Int, [Double], Double, Double, Double) -> String
    ) throws -> String {
        let c = Coco.shared
        var files: [Int: [String]] = [:]
        for row in c.detections {
            let id = row["image_id"] as! Int
            let s = c.size[id]!
            files[id, default: []].append(
                line(
                    classOf(row["category_id"] as! Int), row["bbox"] as! [Double], row["score"] as! Double, s.width,
                    s.height))
        }
        for (id, lines) in files {
            try cli.write("\(folder)/\(c.fileName[id]!.dropLast(4)).txt", lines.joined(separator: "\n") + "\n")
        }
        return cli.folder.appendingPathComponent(folder).path
    }

    static func yoloNormalized(_ k: Int, _ b: [Double], _ conf: Double, _ W: Double, _ H: Double) -> String {
        "\(k) \((b[0] + b[2] / 2) / W) \((b[1] + b[3] / 2) / H) \(b[2] / W) \(b[3] / H) \(conf)"
    }

    @Test(arguments: ["confidence second", "normalized corners", "pixels", "model's own class order"])
    func brokenYoloPredictions(_ form: String) throws {
        let cli = try CLI()
        defer { cli.remove() }
        let dataset = try yoloDataset(cli)
        let sizes = cli.folder.appendingPathComponent("sizes.csv").path
        let imported = try cli.run(["dataset", "import", "yolo", dataset, "--sizes", sizes])
        #expect(imported.status == 0, "\(imported.stderr)")
        let clean = try yoloPredictions(cli, "clean", line: Self.yoloNormalized)
        #expect(try cli.run(["import", "clean", clean, "--dataset", "yolo", "--no-eval"]).status == 0)
        let c = Coco.shared
        let broken: String
        let cause: String
        switch form {
        case "confidence second":
            cause = "with the confidence in the second column"
            broken = try yoloPredictions(cli, "broken") { k, b, conf, W, H in
                "\(k) \(conf) \((b[0] + b[2] / 2) / W) \((b[1] + b[3] / 2) / H) \(b[2] / W) \(b[3] / H)"
            }
        case "normalized corners":
            cause = "the boxes look like [x1, y1, x2, y2]"
            broken = try yoloPredictions(cli, "broken") { k, b, conf, W, H in
                "\(k) \(b[0] / W) \(b[1] / H) \((b[0] + b[2]) / W) \((b[1] + b[3]) / H) \(conf)"
            }
        case "pixels":
            cause = "the coordinates look like pixels"
            broken = try yoloPredictions(cli, "broken") { k, b, conf, _, _ in
                "\(k) \(b[0] + b[2] / 2) \(b[1] + b[3] / 2) \(b[2]) \(b[3]) \(conf)"
            }
        default:
            // The model numbers its classes in name order, and says so in the data.yaml beside its predictions.
            cause = "the class names the run carries match the dataset's category names"
            let byName = c.categoryIDs.sorted { c.categoryName[$0]! < c.categoryName[$1]! }
            broken = try yoloPredictions(
                cli, "broken/labels", classOf: { byName.firstIndex(of: $0)! }, line: Self.yoloNormalized)
            try cli.write(
                "broken/data.yaml",
                "names: [" + byName.map { "'\(c.categoryName[$0]!)'" }.joined(separator: ", ") + "]\n")
        }
        let path = form == "model's own class order" ? cli.folder.appendingPathComponent("broken").path : broken
        try check(
            Case(name: form, cause: cause, code: form == "model's own class order" ? "category-reading" : "box-reading")
            {
                Data()
            }, cli: cli, dataset: "yolo", clean: clean, broken: path)
    }

    /// Ground truth: YOLO labels written in pixels are refused, and the printed fix reads them right.
    @Test func yoloLabelsInPixels() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let normalized = try yoloDataset(cli)
        let sizes = cli.folder.appendingPathComponent("sizes.csv").path
        #expect(try cli.run(["dataset", "import", "yolo", normalized, "--sizes", sizes]).status == 0)
        // The same labels in pixels.
        let c = Coco.shared
        for id in c.imageIDs {
            let stem = c.fileName[id]!.dropLast(4)
            let text = try String(contentsOfFile: "\(normalized)/labels/\(stem).txt", encoding: .utf8)
            let s = c.size[id]!
            let lines = text.split(separator: "\n").map { line -> String in
                let f = line.split(separator: " ").map(String.init)
                return
                    "\(f[0]) \(Double(f[1])! * s.width) \(Double(f[2])! * s.height) \(Double(f[3])! * s.width) \(Double(f[4])! * s.height)"
            }
            try cli.write("pixels/labels/\(stem).txt", lines.joined(separator: "\n") + "\n")
        }
        try cli.write("pixels/classes.txt", c.categoryIDs.map { c.categoryName[$0]! }.joined(separator: "\n") + "\n")
        let pixels = cli.folder.appendingPathComponent("pixels").path
        let refused = try cli.run(["dataset", "import", "px", pixels, "--sizes", sizes])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the labels look written in pixels"), "\(refused.stderr)")
        let flags = Self.fixFlags(refused.stderr).flatMap { $0 }
        #expect(flags == ["--scale", "pixels"])
        let fixed = try cli.run(["dataset", "import", "px", pixels, "--sizes", sizes] + flags)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        // The boxes are those of the normalized labels, to rounding.
        let differing = try cli.run([
            "sql",
            "SELECT count(*) FROM gt a WHERE a.dataset = 'yolo' AND NOT EXISTS (SELECT 1 FROM gt b WHERE b.dataset = 'px' AND b.file_name = a.file_name AND b.category_id = a.category_id AND abs(a.x - b.x) < 1e-6 AND abs(a.y - b.y) < 1e-6 AND abs(a.w - b.w) < 1e-6 AND abs(a.h - b.h) < 1e-6)",
            "--format", "csv",
        ])
        #expect(differing.stdout.hasSuffix("\n0\n"), "\(differing.stdout)\(differing.stderr)")
        let counts = try cli.run(["sql", "SELECT count(*) FROM gt_boxes GROUP BY dataset_id", "--format", "csv"])
        #expect(Set(counts.stdout.split(separator: "\n").dropFirst()).count == 1)
        #expect(try cli.run(["dataset", "import", "voc", pixels, "--scale", "pixels", "--format", "voc"]).status != 0)
    }

    /// Ground truth: VOC corners starting at 0 are 0-based, a warning.
    @Test func vocZeroBasedCornersAreAWarning() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let source = CLI.fixture("padilla-review-toyexample/gts_vocpascal_format")
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file.hasSuffix(".xml") {
            var text = try String(contentsOfFile: "\(source)/\(file)", encoding: .utf8)
            if let range = text.range(of: #"<xmin>\d+</xmin>"#, options: .regularExpression) {
                text.replaceSubrange(range, with: "<xmin>0</xmin>")
            }
            try cli.write("voc/\(file)", text)
        }
        let result = try cli.run(["dataset", "import", "voc", cli.folder.appendingPathComponent("voc").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("start at pixel 0: PASCAL VOC corners are 1-based"), "\(result.stderr)")
    }

    // MARK: - VisDrone

    @Test(arguments: ["corners", "0-based classes"])
    func brokenVisDroneResults(_ form: String) throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "vd", CLI.fixture("visdrone-synth")]).status == 0)
        let clean = CLI.fixture("visdrone-synth/results-A")
        #expect(try cli.run(["import", "clean", clean, "--dataset", "vd", "--no-eval"]).status == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: clean) where file.hasSuffix(".txt") {
            let text = try String(contentsOfFile: "\(clean)/\(file)", encoding: .utf8)
            let lines = text.split(separator: "\n").map { line -> String in
                var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if form == "corners" {
                    f[2] = "\(Double(f[0])! + Double(f[2])!)"
                    f[3] = "\(Double(f[1])! + Double(f[3])!)"
                } else {
                    f[5] = "\(Int(f[5])! - 1)"
                }
                return f.joined(separator: ",")
            }
            try cli.write("broken/\(file)", lines.joined(separator: "\n") + "\n")
        }
        try check(
            Case(
                name: form,
                cause: form == "corners" ? "the boxes look like [x1, y1, x2, y2]" : "the category ids look 0-based",
                code: form == "corners" ? "box-reading" : "category-reading"
            ) { Data() }, cli: cli, dataset: "vd", clean: clean,
            broken: cli.folder.appendingPathComponent("broken").path)
    }
}
