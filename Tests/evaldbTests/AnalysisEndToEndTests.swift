import Foundation
import Testing

/// `evaldb confusion` and `evaldb thresholds` through the CLI: exact output on a hand-worked case, agreement with
/// `evaldb eval` on fake100, storage and reuse, and the documented views.
@Suite struct AnalysisEndToEndTests {
    static let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Two classes on one 100 x 100 image: a box of each class; a cat box found as a dog, the dog box found as a
    /// dog, one dog detection on nothing and one cat detection too weak to count (0.2 <= 0.25).
    func tinyStore() throws -> CLI {
        let cli = try CLI()
        let dataset: [String: Any] = [
            "images": [["id": 1, "file_name": "a.jpg", "width": 100, "height": 100]],
            "categories": [["id": 1, "name": "cat"], ["id": 2, "name": "dog"]],
            "annotations": [
                ["id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0],
                ["id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0],
            ],
        ]
        let results: [[String: Any]] = [
            ["image_id": 1, "category_id": 2, "bbox": [1, 0, 10, 10], "score": 0.9],
            ["image_id": 1, "category_id": 2, "bbox": [50, 50, 10, 10], "score": 0.8],
            ["image_id": 1, "category_id": 2, "bbox": [80, 0, 10, 10], "score": 0.7],
            ["image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.2],
        ]
        let gtPath = cli.folder.appendingPathComponent("gt.json")
        let dtPath = cli.folder.appendingPathComponent("dt.json")
        try JSONSerialization.data(withJSONObject: dataset).write(to: gtPath)
        try JSONSerialization.data(withJSONObject: results).write(to: dtPath)
        #expect(try cli.run(["dataset", "import", "pets", gtPath.path]).status == 0)
        #expect(try cli.run(["import", "r", dtPath.path, "--dataset", "pets"]).status == 0)
        return cli
    }

    @Test func confusionTableIsExact() throws {
        let cli = try tinyStore()
        defer { cli.remove() }
        let out = try cli.run(["confusion", "r"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.stdout == """
                Confusion matrix of r (IoU > 0.5, score > 0.25): rows ground truth, columns predicted
                ground_truth  cat  dog  background
                ------------  ---  ---  ----------
                cat             0    1           0
                dog             0    1           0
                background      0    1           0

                """)
        let normalized = try cli.run(["confusion", "r", "--normalize", "--format", "csv"])
        #expect(
            normalized.stdout
                == "ground_truth,cat,dog,background\ncat,0.0,1.0,0.0\ndog,0.0,1.0,0.0\nbackground,0.0,1.0,0.0\n")
        // With the weak detection counted (score > 0.1): the cat detection (IoU 1) and the 0.9 dog detection (IoU
        // 0.818) both choose the cat box, which keeps the cat detection; the dog detection goes to background.
        let low = try cli.run(["confusion", "r", "--score-threshold", "0.1", "--format", "json"])
        let object = try json(low.stdout)
        #expect(object["classes"] as? [String] == ["cat", "dog", "background"])
        #expect(object["matrix"] as? [[Int]] == [[1, 0, 0], [0, 1, 0], [0, 2, 0]])
        #expect(object["rows"] as? String == "ground truth" && object["columns"] as? String == "predicted")
        #expect(object["run"] as? String == "r" && object["dataset"] as? String == "pets")
    }

    @Test func thresholdsTableIsExact() throws {
        let cli = try tinyStore()
        defer { cli.remove() }
        // COCO at IoU 0.5: dog: 0.9 FP (IoU 0.818 with the cat box, wrong class), 0.8 TP, 0.7 FP; cat: 0.2 TP.
        // dog: 0.9: TP 0 FP 1; 0.8: TP 1 FP 1 FN 0: F1 2/3; 0.7: TP 1 FP 2: F1 2/4. Best 0.8.
        // cat: 0.2: TP 1 FP 0: F1 1. All classes: 0.9 (0,1,2), 0.8 (1,1,1) F1 2/4, 0.7 (1,2,1) F1 2/5,
        // 0.2 (2,2,0) F1 4/6. Best 0.2.
        let out = try cli.run(["thresholds", "r"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.stdout == """
                Score thresholds of r (coco outcomes at IoU 0.5; best F1)
                category_id  category     n_gt  threshold  precision  recall  F1      TP  FP  FN
                -----------  -----------  ----  ---------  ---------  ------  ------  --  --  --
                -            all classes     2     0.2000     0.5000  1.0000  0.6667   2   2   0
                          1  cat             1     0.2000     1.0000  1.0000  1.0000   1   0   0
                          2  dog             1     0.8000     0.5000  1.0000  0.6667   1   1   0

                """)
        let target = try json(try cli.run(["thresholds", "r", "--target-precision", "0.5", "--format", "json"]).stdout)
        let overall = try #require(target["overall"] as? [String: Any])
        // Precision >= 0.5: 0.8 (1/2) and 0.2 (2/4); the lowest is 0.2.
        let reached = try #require(overall["target"] as? [String: Any])
        #expect(reached["threshold"] as? Double == 0.2 && reached["precision"] as? Double == 0.5)
    }

    /// On fake100, each class's best threshold gives the TP / FP / FN that `evaldb eval --iou 0.5
    /// --score-threshold T` counts for that class: the search reads the protocol's own outcomes.
    @Test func thresholdsAgreeWithEvalAtTheThreshold() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "a", Self.dets, "--dataset", "c", "--no-eval"]).status == 0)
        let analysis = try json(try cli.run(["thresholds", "a", "--format", "json"]).stdout)
        let classes = try #require(analysis["classes"] as? [[String: Any]])
        var checked = 0
        for item in classes.prefix(12) {
            guard let best = item["best"] as? [String: Any], let threshold = best["threshold"] as? Double else {
                continue
            }
            let eval = try json(
                try cli.run(["eval", "a", "--iou", "0.5", "--score-threshold", "\(threshold)", "--format", "json"])
                    .stdout)
            let evalClasses = try #require(eval["classes"] as? [[String: Any]])
            let match = try #require(evalClasses.first { ($0["id"] as? Int) == (item["category_id"] as? Int) })
            #expect(match["tp"] as? Int == best["TP"] as? Int, "\(item["category"] ?? "")")
            #expect(match["fp"] as? Int == best["FP"] as? Int, "\(item["category"] ?? "")")
            #expect(match["fn"] as? Int == best["FN"] as? Int, "\(item["category"] ?? "")")
            checked += 1
        }
        #expect(checked >= 10)
    }

    /// Analyses are stored once, reused, recomputed with --force or when the run's content changes, and read
    /// through the views under the run's current name.
    @Test func storedReusedAndInViews() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "a", Self.dets, "--dataset", "c", "--no-eval"]).status == 0)
        let first = try cli.run(["confusion", "a"])
        #expect(!first.stdout.contains("(stored"))
        let second = try cli.run(["confusion", "a"])
        #expect(second.stdout.contains("(stored"))
        #expect(
            second.stdout.components(separatedBy: "\n").dropFirst(2)
                == first.stdout.components(separatedBy: "\n").dropFirst(1))
        #expect(try cli.run(["confusion", "a", "--force"]).stdout.contains("(stored") == false)
        #expect(try cli.run(["thresholds", "a"]).status == 0)
        #expect(try cli.run(["rename", "a", "b"]).status == 0)
        let count = try cli.run(["sql", "SELECT count(*) FROM analyses", "--format", "csv"]).stdout
        #expect(count == "count(*)\n2\n")
        // The ground-truth rows of the matrix hold every non-crowd box once.
        let gt = try json(String(contentsOfFile: Self.gt, encoding: .utf8))
        let annotations = try #require(gt["annotations"] as? [[String: Any]])
        let nonCrowd = annotations.filter { ($0["iscrowd"] as? Int ?? 0) == 0 }.count
        let sum = try cli.run([
            "sql", "SELECT sum(count) FROM confusion WHERE run = 'b' AND gt_category_id IS NOT NULL", "--format", "csv",
        ]).stdout
        #expect(sum == "sum(count)\n\(nonCrowd)\n")
        let rows = try cli.run([
            "sql", "SELECT category, threshold FROM thresholds WHERE run = 'b' AND category_id IS NULL", "--format",
            "csv",
        ]).stdout
        #expect(rows.hasPrefix("category,threshold\nall classes,"))
        // New content under the same name: recomputed, not reused.
        let trimmed = cli.folder.appendingPathComponent("trimmed.json")
        let all = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.dets))) as? [Any])
        try JSONSerialization.data(withJSONObject: Array(all.prefix(all.count / 2))).write(to: trimmed)
        #expect(try cli.run(["import", "b", trimmed.path, "--dataset", "c", "--replace", "--no-eval"]).status == 0)
        #expect(try cli.run(["confusion", "b"]).stdout.contains("(stored") == false)
    }

    @Test func badOptionsAreUsageErrors() throws {
        let cli = try tinyStore()
        defer { cli.remove() }
        let iou = try cli.run(["confusion", "r", "--iou", "1.5"])
        #expect(iou.status == 64 && iou.stderr.contains("--iou"))
        let target = try cli.run(["thresholds", "r", "--target-precision", "0"])
        #expect(target.status == 64 && target.stderr.contains("--target-precision"))
        let unknown = try cli.run(["thresholds", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("nope"))
    }

    /// The tiny case under COCO at IoU 0.5: cat 0.2 finds the cat box; dog 0.8 finds the dog box; dog 0.9 sits on
    /// the cat box (IoU 0.818, wrong class) which the cat detection already took: a cls error whose fix is
    /// suppressed (the detection is removed); dog 0.7 overlaps nothing: bkg. Base AP50: cat 1, dog: FP, TP, FP
    /// with one box: precision 1/2 at recall 1: 0.5; mean 0.75. Fixing cls removes dog 0.9: dog AP 1, mean 1:
    /// dAP 0.25. Fixing bkg removes dog 0.7, which ranks after the true positive: dAP 0. FalsePos removes both:
    /// 0.25. Nothing is missed: FalseNeg 0. (pycocotools' precision is tp / (tp + fp + eps): within 1e-12.)
    @Test func errorsOfTheTinyCase() throws {
        let cli = try tinyStore()
        defer { cli.remove() }
        let out = try cli.run(["errors", "r", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let object = try json(out.stdout)
        #expect(object["run"] as? String == "r" && object["protocol"] as? String == "coco")
        #expect(object["classes"] == nil, "classes only with --per-class")
        let errors = try #require(object["errors"] as? [String: [String: Any]])
        let counts = errors.mapValues { $0["count"] as? Int }
        #expect(counts == ["cls": 1, "loc": 0, "both": 0, "dupe": 0, "bkg": 1, "missed": 0])
        let ap = try #require(object["AP50"] as? Double)
        #expect(abs(ap - 0.75) < 1e-12)
        let dAP = errors.mapValues { $0["dAP"] as? Double ?? -1 }
        #expect(abs(dAP["cls"]! - 0.25) < 1e-12 && abs(dAP["bkg"]!) < 1e-12 && dAP["missed"] == 0)
        let special = try #require(object["special"] as? [String: [String: Double]])
        #expect(abs(special["FalsePos"]!["dAP"]! - 0.25) < 1e-12 && special["FalseNeg"]!["dAP"]! == 0)
        // The base is exactly the AP50 eval prints.
        let eval = try json(try cli.run(["eval", "r", "--format", "json"]).stdout)
        #expect((eval["metrics"] as? [String: Any])?["AP50"] as? Double == ap)
        let perClass = try json(try cli.run(["errors", "r", "--per-class", "--format", "json"]).stdout)
        let classes = try #require(perClass["classes"] as? [[String: Any]])
        #expect(classes.map { $0["category"] as? String } == ["cat", "dog"])
        let dog = try #require(classes.last?["errors"] as? [String: [String: Any]])
        #expect(dog["cls"]?["count"] as? Int == 1 && dog["bkg"]?["count"] as? Int == 1)
    }

    /// On fake100 the counts are tidecv 1.0.1's (Tests/Fixtures/tide: where crowd and caps do not intervene, which
    /// is the whole case, see its README), and AP50 is the AP50 of eval.
    @Test func errorsOnFake100MatchTidecvCounts() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "a", Self.dets, "--dataset", "c"]).status == 0)
        let object = try json(try cli.run(["errors", "a", "--format", "json"]).stdout)
        let reference = try json(
            String(
                contentsOfFile: CLI.fixture("tide/coco-val2014-fake100.expected-tidecv.json"), encoding: .utf8))
        let expected = try #require(reference["error_counts"] as? [String: Int])
        let errors = try #require(object["errors"] as? [String: [String: Any]])
        let names = [
            "cls": "ClassError", "loc": "BoxError", "both": "OtherError", "dupe": "DuplicateError",
            "bkg": "BackgroundError", "missed": "MissedError",
        ]
        for (type, name) in names {
            #expect(errors[type]?["count"] as? Int == expected[name] ?? 0, "\(type)")
        }
        let eval = try json(try cli.run(["eval", "a", "--format", "json"]).stdout)
        #expect((eval["metrics"] as? [String: Any])?["AP50"] as? Double == object["AP50"] as? Double)
        // The table prints the same counts, and the view holds them.
        let table = try cli.run(["errors", "a"]).stdout
        #expect(table.contains("\ncls          \(expected["ClassError"]!)  "))
        let view = try cli.run([
            "sql", "SELECT error, count FROM tide_errors WHERE run = 'a' AND category_id IS NULL AND count IS NOT NULL",
            "--format", "csv",
        ]).stdout
        #expect(view.contains("missed,\(expected["MissedError"]!)"))
    }

    @Test func diffErrorsSideBySide() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "a", Self.dets, "--dataset", "c", "--no-eval"]).status == 0)
        let trimmed = cli.folder.appendingPathComponent("trimmed.json")
        let all = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.dets))) as? [Any])
        try JSONSerialization.data(withJSONObject: all.enumerated().filter { $0.offset % 3 != 0 }.map(\.element))
            .write(to: trimmed)
        #expect(try cli.run(["import", "b", trimmed.path, "--dataset", "c", "--no-eval"]).status == 0)
        let out = try cli.run(["diff", "a", "b", "--errors", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let object = try json(out.stdout)
        for section in ["errors", "thresholds", "confusion"] {
            let pair = try #require(object[section] as? [String: Any], "\(section)")
            // Each side is what the single-run command prints, without the names.
            for (side, run) in [("a", "a"), ("b", "b")] {
                let single = try json(
                    try cli.run([section, run, "--format", "json"] + (section == "errors" ? ["--per-class"] : []))
                        .stdout)
                let stored = try #require(pair[side] as? [String: Any])
                #expect(
                    NSDictionary(dictionary: stored).isEqual(
                        to: single.filter { $0.key != "run" && $0.key != "dataset" }), "\(section) \(side)")
            }
        }
        let csv = try cli.run(["diff", "a", "b", "--errors", "--format", "csv"]).stdout
        #expect(csv.hasPrefix("section,key,measure,a,b,change\n"))
        #expect(csv.contains("\ntide,missed,count,"))
        let table = try cli.run(["diff", "a", "b", "--errors"]).stdout
        #expect(
            table.contains("TIDE: count and dAP") && table.contains("Best-F1 score thresholds")
                && table.contains("Confusion"))
        let refused = try cli.run(["diff", "a", "b", "--errors", "--ci"])
        #expect(refused.status == 64 && refused.stderr.contains("--errors"))
    }
}
