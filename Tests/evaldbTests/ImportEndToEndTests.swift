import Foundation
import Testing

/// The built binary on the reference cases: exact output, exit codes, and what lands in the store.
@Suite(.serialized) struct ImportEndToEndTests {
    let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    @Test func cocoRoundTripThroughTheStore() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let imported = try cli.run(["dataset", "import", "fake100", gt])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout
                == "Imported dataset 'fake100' from \(gt): format coco (detected), 100 images, 839 boxes, 80 categories.\n"
        )
        // 80 categories are listed, 70 have boxes (REFERENCE-INDEX.md).
        #expect(imported.stderr.contains("info: 10 categories have no ground-truth box"))

        let run = try cli.run(["import", "r1", dets, "--dataset", "fake100", "--tag", "arch=fake", "--param", "lr=0.1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.hasPrefix("Imported run 'r1' on dataset 'fake100': 734 detections, format coco (detected).\n"))

        let datasets = try cli.run(["datasets", "--format", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(datasets.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list[0]["name"] as? String == "fake100")
        #expect(list[0]["format"] as? String == "coco")
        #expect(list[0]["images"] as? Int == 100)
        #expect(list[0]["annotations"] as? Int == 839)
        #expect(list[0]["categories"] as? Int == 80)

        let runs = try cli.run(["runs", "--format", "json"])
        let runList = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
        #expect(runList.count == 1)
        #expect(runList[0]["name"] as? String == "r1")
        #expect(runList[0]["dataset"] as? String == "fake100")
        #expect(runList[0]["detections"] as? Int == 734)
        #expect((runList[0]["created_at"] as? String)?.hasSuffix("Z") == true)

        // Box values as in the files: the first annotation and the first detection.
        let gtFile =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gt))) as! [String: Any]
        let firstAnnotation = (gtFile["annotations"] as! [[String: Any]])[0]
        let bbox = firstAnnotation["bbox"] as! [Double]
        let stored = try cli.run([
            "sql", "SELECT x, y, w, h, area, is_crowd FROM gt WHERE annotation_id = :id", "-p", "id",
            "\(firstAnnotation["id"] as! Int)", "--format", "json",
        ])
        let row = try #require(
            (try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(row["x"] as? Double == bbox[0])
        #expect(row["y"] as? Double == bbox[1])
        #expect(row["w"] as? Double == bbox[2])
        #expect(row["h"] as? Double == bbox[3])
        #expect(row["area"] as? Double == firstAnnotation["area"] as? Double)

        let crowd = try cli.run(["sql", "SELECT count(*) AS n FROM gt WHERE is_crowd = 1", "--format", "csv"])
        #expect(crowd.stdout == "n\n9\n")

        let detFile =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dets))) as! [[String: Any]]
        let first = detFile[0]
        let firstBox = first["bbox"] as! [Double]
        let storedDet = try cli.run([
            "sql", "SELECT image_id, category_id, score, x, y, w, h FROM dets WHERE run = 'r1' AND seq = 0",
            "--format", "json",
        ])
        let det = try #require(
            (try JSONSerialization.jsonObject(with: Data(storedDet.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(det["image_id"] as? Int == first["image_id"] as? Int)
        #expect(det["category_id"] as? Int == first["category_id"] as? Int)
        #expect(det["score"] as? Double == first["score"] as? Double)
        #expect([det["x"], det["y"], det["w"], det["h"]].map { $0 as? Double } == firstBox.map { Optional($0) })

        let tagged = try cli.run([
            "runs", "--where", "name IN (SELECT run FROM tags WHERE key = 'arch' AND value = 'fake')", "--format",
            "csv",
        ])
        #expect(tagged.stdout.split(separator: "\n").count == 2)
    }

    @Test func reimportingTheSameContentIsANoOpAndOtherContentNeedsReplace() throws {
        let cli = try CLI()
        defer { cli.remove() }
        try cli.run(["dataset", "import", "fake100", gt])
        try cli.run(["import", "r1", dets, "--dataset", "fake100"])
        let before = try cli.snapshot()
        let again = try cli.run(["import", "r1", dets, "--dataset", "fake100"])
        #expect(again.status == 0)
        #expect(
            again.stdout
                == "Run 'r1' is already stored with the same detections; nothing changed (--replace to re-import).\n")
        let sameDataset = try cli.run(["dataset", "import", "fake100", gt])
        #expect(sameDataset.stdout == "Dataset 'fake100' is already stored with the same content; nothing changed.\n")
        #expect(try cli.snapshot() == before)

        let fewer = try cli.write(
            "fewer.json", "[{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 30, 40], \"score\": 0.5}]")
        let refused = try cli.run(["import", "r1", fewer, "--dataset", "fake100"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.hasSuffix(
                "Error: a run named 'r1' already exists (dataset 'fake100') with other content; choose another name or pass --replace\n"
            ))
        #expect(try cli.snapshot() == before)
        let replaced = try cli.run(["import", "r1", fewer, "--dataset", "fake100", "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(replaced.stdout.hasPrefix("Replaced run 'r1' on dataset 'fake100': 1 detections"))
    }

    @Test func visDroneFolderRoundTrip() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let folder = CLI.fixture("visdrone-synth")
        // Independent counts from the raw annotation text.
        var boxes = 0
        var regions = 0
        var ignoreBoxes = 0
        var others = 0
        let annotations = CLI.fixtures.appendingPathComponent("visdrone-synth/annotations")
        let files = try FileManager.default.contentsOfDirectory(atPath: annotations.path).filter {
            $0.hasSuffix(".txt")
        }
        for file in files {
            let text = try String(contentsOf: annotations.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty
            {
                let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if fields[5] == "0" {
                    regions += 1
                } else {
                    boxes += 1
                    if fields[4] == "0" { ignoreBoxes += 1 }
                    if fields[5] == "11" { others += 1 }
                }
            }
        }
        let imported = try cli.run(["dataset", "import", "vd", folder])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout
                == "Imported dataset 'vd' from \(folder): format visdrone (detected), \(files.count) images, \(boxes) boxes, 11 categories, \(regions) ignored regions.\n"
        )
        let counts = try cli.run([
            "sql",
            "SELECT annotations, ignored_regions, (SELECT sum(is_ignored) FROM gt) AS ignore_boxes, (SELECT count(*) FROM gt WHERE category_id = 11) AS others, default_protocol FROM dataset_summary",
            "--format", "csv",
        ])
        #expect(
            counts.stdout
                == "annotations,ignored_regions,ignore_boxes,others,default_protocol\n\(boxes),\(regions),\(ignoreBoxes),\(others),visdrone\n"
        )

        // Image sizes from the JPEG headers equal images.csv.
        let csv = try String(contentsOfFile: CLI.fixture("visdrone-synth/images.csv"), encoding: .utf8)
        let expected = csv.split(whereSeparator: \.isNewline).dropFirst().map { line -> String in
            let f = line.split(separator: ",")
            return "\(f[0].split(separator: ".")[0]),\(f[1]),\(f[2])"
        }.sorted()
        let sizes = try cli.run([
            "sql", "SELECT file_name, width, height FROM images ORDER BY file_name", "--format", "csv",
        ])
        let stored = sizes.stdout.split(separator: "\n").dropFirst().map { line -> String in
            let f = line.split(separator: ",")
            return "\(f[0].split(separator: ".")[0]),\(f[1]),\(f[2])"
        }.sorted()
        #expect(stored == expected)

        // Run A: every row of every result file, in file order.
        var rows = 0
        let results = CLI.fixtures.appendingPathComponent("visdrone-synth/results-A")
        for file in try FileManager.default.contentsOfDirectory(atPath: results.path) where file.hasSuffix(".txt") {
            let text = try String(contentsOf: results.appendingPathComponent(file), encoding: .utf8)
            rows +=
                text.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                .count
        }
        let run = try cli.run(["import", "A", CLI.fixture("visdrone-synth/results-A"), "--dataset", "vd"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.hasPrefix("Imported run 'A' on dataset 'vd': \(rows) detections, format visdrone (detected).\n"))
    }

    @Test func vocXmlAndVocResultFiles() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let folder = CLI.fixture("padilla-review-toyexample/gts_vocpascal_format")
        let imported = try cli.run(["dataset", "import", "toy", folder])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout
                == "Imported dataset 'toy' from \(folder): format voc (detected), 10 images, 12 boxes, 1 categories.\n")
        // Corner boxes from the toy example's absolute x1 y1 x2 y2 detections, as VOC result lines.
        let source = CLI.fixtures.appendingPathComponent("padilla-review-toyexample/dets_classname_abs_xyx2y2")
        var lines: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
        where file.hasSuffix(".txt") {
            let image = String(file.dropLast(4))
            let text = try String(contentsOf: source.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline) {
                let f = line.split(separator: " ")
                guard f.count == 6 else { continue }
                lines.append("\(image) \(f[1]) \(f[2]) \(f[3]) \(f[4]) \(f[5])")
            }
        }
        let results = try cli.write("voc-results/comp4_det_test_cat.txt", lines.joined(separator: "\n") + "\n")
        let run = try cli.run([
            "import", "cats", URL(fileURLWithPath: results).deletingLastPathComponent().path, "--dataset", "toy",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\(lines.count) detections, format voc (detected)"))
        // The first line's corners became x, y, w, h.
        let f = lines[0].split(separator: " ").map(String.init)
        let (x1, y1, x2, y2) = (Double(f[2])!, Double(f[3])!, Double(f[4])!, Double(f[5])!)
        let stored = try cli.run(["sql", "SELECT x, y, w, h FROM dets WHERE seq = 0", "--format", "csv"])
        #expect(stored.stdout == "x,y,w,h\n\(x1),\(y1),\(x2 - x1),\(y2 - y1)\n")
    }
}

/// YOLO ground truth and predictions written by hand, with pixel values worked out here.
@Suite struct YoloEndToEndTests {
    @Test func yoloRoundTripConvertsNormalizedCentersToPixels() throws {
        let cli = try CLI()
        defer { cli.remove() }
        // a: 200x100, one car centred at (100, 50), 50x50 px -> x 75, y 25, w 50, h 50.
        // b: 400x300, one person at cx 0.25, cy 0.5, w 0.1, h 0.2 -> x 80, y 120, w 40, h 60.
        try cli.write("set/labels/a.txt", "1 0.5 0.5 0.25 0.5\n")
        try cli.write("set/labels/b.txt", "0 0.25 0.5 0.1 0.2\n")
        try cli.write("set/data.yaml", "names:\n  0: person\n  1: car\n")
        let sizes = try cli.write("sizes.csv", "image,width,height\na.jpg,200,100\nb.jpg,400,300\n")
        let dataset = cli.folder.appendingPathComponent("set").path
        let imported = try cli.run(["dataset", "import", "y", dataset, "--sizes", sizes])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stdout
                == "Imported dataset 'y' from \(dataset): format yolo (detected), 2 images, 2 boxes, 2 categories.\n")
        let gt = try cli.run([
            "sql", "SELECT file_name, category, x, y, w, h FROM gt ORDER BY file_name", "--format", "csv",
        ])
        #expect(
            gt.stdout
                == "file_name,category,x,y,w,h\na.jpg,car,75.0,25.0,50.0,50.0\nb.jpg,person,80.0,120.0,40.0,60.0\n")

        try cli.write("preds/a.txt", "1 0.5 0.5 0.25 0.5 0.75\n0 0.25 0.25 0.5 0.5 0.5\n")
        try cli.write("preds/b.txt", "0 0.25 0.5 0.1 0.2 0.875\n")
        let preds = cli.folder.appendingPathComponent("preds").path
        let run = try cli.run(["import", "p", preds, "--dataset", "y"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Imported run 'p' on dataset 'y': 3 detections, format yolo (detected).\n"))
        let dets = try cli.run([
            "sql", "SELECT seq, file_name, category, score, x, y, w, h FROM dets ORDER BY seq", "--format", "csv",
        ])
        // a row 2: cx 50, cy 25, w 100, h 50 -> x 0, y 0.
        #expect(
            dets.stdout
                == "seq,file_name,category,score,x,y,w,h\n0,a.jpg,car,0.75,75.0,25.0,50.0,50.0\n1,a.jpg,person,0.5,0.0,0.0,100.0,50.0\n2,b.jpg,person,0.875,80.0,120.0,40.0,60.0\n"
        )
    }
}
