import Foundation
import Testing

/// `evaldb eval` through the binary against the reference values in Tests/Fixtures (pycocotools, the
/// official VisDrone toolkit, py-faster-rcnn's voc_eval), and the stored results through the views.
@Suite(.serialized) struct EvalEndToEndTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// nil for JSON null, else the number.
    func number(_ value: Any?) -> Double? { value as? Double ?? (value as? Int).map(Double.init) }

    func close(_ a: Double?, _ b: Double?, _ tolerance: Double) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return abs(a - b) <= tolerance
        default: return false
        }
    }

    @Test func cocoMatchesPycocotoolsAndLandsInTheViews() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        #expect(try cli.run(["import", "r1", dets, "--dataset", "fake100", "--no-eval"]).status == 0)
        let result = try cli.run(["eval", "r1", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try json(result.stdout)
        let expected = try json(
            String(contentsOfFile: CLI.fixture("coco-val2014-fake100/expected-pycocotools.json"), encoding: .utf8))
        let stats = try #require(expected["stats"] as? [Double])
        let names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
        let metrics = try #require(output["metrics"] as? [String: Any])
        #expect(output["run"] as? String == "r1")
        #expect(output["dataset"] as? String == "fake100")
        #expect(output["protocol"] as? String == "coco")
        for (name, value) in zip(names, stats) {
            #expect(close(number(metrics[name]), value == -1 ? nil : value, 1e-12), "\(name)")
        }
        let perCategory = try #require(expected["per_category"] as? [String: [String: Double]])
        let classes = try #require(output["classes"] as? [[String: Any]])
        #expect(classes.count == 80)
        for row in classes {
            let id = try #require(row["id"] as? Int)
            let reference = try #require(perCategory[String(id)])
            for key in ["AP", "AP50", "AP75", "AR100"] {
                let value = reference[key]!
                #expect(close(number(row[key]), value == -1 ? nil : value, 1e-12), "class \(id) \(key)")
            }
        }
        // The same numbers through SQL, and the other stored results.
        let summary = try cli.run(
            ["sql", "SELECT value FROM eval_summary WHERE run = 'r1' AND metric = 'AP'", "--format", "csv"])
        #expect(Double(summary.stdout.split(separator: "\n")[1]).map { abs($0 - stats[0]) <= 1e-12 } == true)
        let points = try cli.run(
            ["sql", "SELECT count(*) FROM pr_curve WHERE run = 'r1' AND iou = 0.5", "--format", "csv"])
        #expect(points.stdout.hasSuffix("\n\(80 * 101)\n"))
        let matches = try cli.run(["sql", "SELECT count(*) FROM detection_matches WHERE run = 'r1'", "--format", "csv"])
        #expect(matches.stdout.hasSuffix("\n734\n"))
        // Reused unless forced; the same output either way.
        let again = try cli.run(["eval", "r1", "--format", "json", "--timing"])
        #expect(again.stdout == result.stdout)
        #expect(again.stderr.contains("reused the stored evaluation"))
        let forced = try cli.run(["eval", "r1", "--format", "json", "--force"])
        #expect(forced.stdout == result.stdout)
        let count = try cli.run(["sql", "SELECT count(*) FROM evaluations", "--format", "csv"])
        #expect(count.stdout.hasSuffix("\n1\n"))
        // The table mirrors pycocotools' summary lines; undefined values print "-".
        let table = try cli.run(["eval", "r1", "--per-class"])
        let summaryLines = try #require(expected["summarize_output"] as? String).split(separator: "\n")
        #expect(table.stdout.contains(String(summaryLines[0])))
        #expect(table.stdout.contains(String(summaryLines[11])))
        #expect(table.stdout.contains("fire hydrant"))
    }

    @Test(arguments: ["A", "B"])
    func visDroneMatchesTheOfficialToolkit(run: String) throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "vd", CLI.fixture("visdrone-synth")]).status == 0)
        let imported = try cli.run(["import", run, CLI.fixture("visdrone-synth/results-\(run)"), "--dataset", "vd"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("protocol visdrone"))
        let result = try cli.run(["eval", run, "--format", "json"])
        let metrics = try #require(try json(result.stdout)["metrics"] as? [String: Any])
        let expected = try String(
            contentsOfFile: CLI.fixture("visdrone-synth/expected-official-\(run).txt"), encoding: .utf8)
        for line in expected.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let value = try #require(Double(parts[1])) / 100
            #expect(close(number(metrics[String(parts[0])]), value, 1e-9), "\(parts[0])")
        }
        // A budget the toolkit does not print (3) is the same weighted mean of per-class recalls: defined,
        // and between the recalls at 1 and 10 detections per image.
        let custom = try cli.run(["eval", run, "--max-dets", "3,10,500", "--format", "json"])
        let customMetrics = try #require(try json(custom.stdout)["metrics"] as? [String: Any])
        let ar3 = try #require(number(customMetrics["AR3"]))
        #expect(number(customMetrics["AR10"]) == number(metrics["AR10"]))
        #expect(ar3 >= number(metrics["AR1"])! && ar3 <= number(metrics["AR10"])!)
    }

    @Test func vocMatchesPyFasterRCNN() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(
            try cli.run(["dataset", "import", "toy", CLI.fixture("padilla-review-toyexample/gts_vocpascal_format")])
                .status == 0)
        let source = CLI.fixtures.appendingPathComponent("padilla-review-toyexample/dets_classname_abs_xyx2y2")
        var lines: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
        where file.hasSuffix(".txt") {
            let text = try String(contentsOf: source.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline) {
                let f = line.split(separator: " ")
                if f.count == 6 { lines.append("\(file.dropLast(4)) \(f[1]) \(f[2]) \(f[3]) \(f[4]) \(f[5])") }
            }
        }
        let path = try cli.write("voc/comp4_det_test_cat.txt", lines.joined(separator: "\n") + "\n")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try cli.run(["import", "cats", folder, "--dataset", "toy", "--no-eval"]).status == 0)
        let expected = try json(
            String(
                contentsOfFile: CLI.fixture("padilla-review-toyexample/expected-voc-pyfasterrcnn.json"), encoding: .utf8
            ))
        let results = try #require(expected["results"] as? [String: [String: [String: Any]]])
        for (iou, byMetric) in results {
            let threshold = String(iou.dropFirst(4))
            for (name, protocolName) in [("voc07_11point", "voc07"), ("voc10_allpoint", "voc12")] {
                let reference = try #require(byMetric[name]?["mAP"] as? Double)
                let result = try cli.run([
                    "eval", "cats", "--protocol", protocolName, "--iou", threshold, "--format", "json",
                ])
                #expect(result.status == 0, "\(result.stderr)")
                let metrics = try #require(try json(result.stdout)["metrics"] as? [String: Any])
                #expect(close(number(metrics["mAP"]), reference, 1e-9), "\(protocolName) at \(threshold)")
            }
        }
        // The same boxes under COCO: VOC boxes have no annotation ids, so none may act as pycocotools' id 0
        // (which never matches); the numbers are pycocotools' on the COCO copy with ids renumbered from 1.
        let coco = try cli.run(["eval", "cats", "--protocol", "coco", "--format", "json"])
        let cocoMetrics = try #require(try json(coco.stdout)["metrics"] as? [String: Any])
        let cocoExpected = try json(
            String(
                contentsOfFile: CLI.fixture("padilla-review-toyexample/expected-pycocotools-ann-ids-plus1.json"),
                encoding: .utf8))
        let stats = try #require(cocoExpected["stats"] as? [Double])
        let names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
        for (name, value) in zip(names, stats) {
            #expect(close(number(cocoMetrics[name]), value == -1 ? nil : value, 1e-12), "coco \(name)")
        }
    }

    /// Headers name every setting that differs from the protocol's defaults; the mean over the thresholds is
    /// labelled first:last as pycocotools labels it, so one threshold does not print two identical labels.
    @Test func headersNameTheSettingsThatAreNotTheDefaults() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        #expect(try cli.run(["import", "a", dets, "--dataset", "fake100", "--no-eval"]).status == 0)
        #expect(try cli.run(["import", "b", dets, "--dataset", "fake100", "--no-eval"]).status == 0)
        let plain = try cli.run(["eval", "a"]).stdout.split(separator: "\n").map(String.init)
        #expect(plain.first == "a on fake100, protocol coco")
        #expect(plain.dropFirst().first?.hasPrefix(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all") == true)
        let filtered = try cli.run([
            "eval", "a", "--iou", "0.5", "--max-dets", "1,10,50", "--classes", "person,car", "--score-threshold", "0.3",
            "--images-where", "width > 400",
        ]).stdout.split(separator: "\n").map(String.init)
        #expect(
            filtered.first
                == "a on fake100, protocol coco; IoU 0.5; maxDets 1,10,50; classes person, car; images where width > 400; score >= 0.3"
        )
        let labels = filtered.dropFirst().map { String($0.prefix { $0 != "]" }) }
        #expect(labels.first == " Average Precision  (AP) @[ IoU=0.50:0.50 | area=   all | maxDets=100 ")
        #expect(labels.dropFirst().first == " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets= 50 ")
        #expect(Set(labels).count == labels.count, "a label repeats: \(labels)")
        let diff = try cli.run(["diff", "a", "b", "--protocol", "voc07", "--iou", "0.6", "--classes", "person"])
        #expect(diff.stdout.hasPrefix("a -> b: dataset fake100, protocol voc07; IoU 0.6; classes person\n"))
        let voc = try cli.run(["eval", "a", "--protocol", "voc12"]).stdout
        #expect(voc.hasPrefix("a on fake100, protocol voc12\n mAP @[ IoU=0.50 ] (VOC2010+ all-point) = "))
    }

    @Test func badParametersAreUsageErrorsAndStoreNothing() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(
            try cli.run(["dataset", "import", "c", CLI.fixture("detectron2-coco-2img/gt.json")]).status == 0)
        #expect(
            try cli.run([
                "import", "r", CLI.fixture("detectron2-coco-2img/dt_bbox.json"), "--dataset", "c", "--no-eval",
            ])
            .status == 0)
        // Malformed values are usage errors (exit 64), refused by the parser with what was expected.
        let malformed = [
            (["--iou", "0.5:x"], "The value '0.5:x' is invalid for '--iou <0.5:0.95:0.05>': expected 0.5:0.95:0.05"),
            (["--iou", "0.5:0.95:0"], "'--iou <0.5:0.95:0.05>': expected start:stop:step with step > 0"),
            (["--iou", "0,0.5"], "'--iou <0.5:0.95:0.05>': expected at most 63 thresholds in (0, 1]"),
            (["--max-dets", "10,0"], "'--max-dets <1,10,100>': expected positive integers such as 1,10,100"),
            (["--area-ranges", "all=5:1"], "expected name=lower:upper pairs such as small=0:1024"),
        ]
        for (arguments, message) in malformed {
            let result = try cli.run(["eval", "r"] + arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let visdrone = try cli.run(["eval", "r", "--protocol", "visdrone"])
        #expect(visdrone.status == 1)
        #expect(visdrone.stderr.contains("the visdrone protocol needs a VisDrone dataset"))
        let classes = try cli.run(["eval", "r", "--classes", "unicorn"])
        #expect(classes.status == 1)
        #expect(classes.stderr.contains("--classes: no class 'unicorn'"))
        let images = try cli.run(["eval", "r", "--images-where", "nonsense_column = 1"])
        #expect(images.status == 1)
        #expect(images.stderr.contains("--images-where"))
        let count = try cli.run(["sql", "SELECT count(*) FROM evaluations", "--format", "csv"])
        #expect(count.stdout.hasSuffix("\n0\n"))
    }
}

/// Evaluation reads the run's detections from the table, so an edit of the table is what is evaluated.
@Suite struct RunColumnsEndToEndTests {
    @Test func evaluationFollowsEditedDetections() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "c", CLI.fixture("detectron2-coco-2img/gt.json")]).status == 0)
        #expect(
            try cli.run([
                "import", "r", CLI.fixture("detectron2-coco-2img/dt_bbox.json"), "--dataset", "c", "--no-eval",
            ])
            .status == 0)
        let before = try cli.run(["eval", "r", "--format", "json"])
        // Move every detection far away: nothing can match any more.
        #expect(try cli.run(["sql", "UPDATE detections SET x = x + 5000", "--write"]).status == 0)
        let after = try cli.run(["eval", "r", "--format", "json", "--force"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout != before.stdout)
        #expect(after.stdout.contains("\"AP\": 0.0,"))
    }
}
