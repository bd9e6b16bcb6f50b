import Foundation
import Testing

/// What an evaluation stores, read back through the views: per-detection matches on a hand-worked case,
/// and PR curves against pycocotools' per-class AP.
@Suite struct StoredResultsEndToEndTests {
    /// One 100x100 image; ground truth: box 1 [0, 0, 10, 7.8] and a crowd box 2 [50, 50, 20, 20].
    /// Detections, in file order (seq 0, 1, 2):
    /// - [0, 0, 10, 10] score 0.9: IoU 78 / 100 = 0.78 with box 1, a true positive at thresholds 0.5 ... 0.75
    ///   (bits 0-5, mask 63) and a false positive at 0.8 ... 0.95;
    /// - the same box at score 0.8: box 1 is taken (or out of reach), a false positive everywhere;
    /// - [50, 50, 10, 10] score 0.7: wholly inside the crowd box (crowd IoU = intersection / detection area
    ///   = 1), ignored at every threshold (mask 1023).
    /// AP = 6 / 10 (perfect at six thresholds, nothing at four), AP50 = 1.
    @Test func matchesOfAHandWorkedCocoCase() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write(
            "gt.json",
            """
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}],
             "categories": [{"id": 1, "name": "thing"}],
             "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 7.8], "area": 78, "iscrowd": 0},
               {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 1}]}
            """)
        let dets = try cli.write(
            "dets.json",
            """
            [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
             {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8},
             {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.7}]
            """)
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let imported = try cli.run(["import", "r", dets, "--dataset", "d"])
        #expect(imported.status == 0, "\(imported.stderr)")
        // pycocotools divides by tp + fp + 2.22e-16, so a perfect curve reads 1 - 1e-16.
        let summary = try cli.run(
            [
                "sql", "SELECT value FROM eval_summary WHERE metric IN ('AP', 'AP50') ORDER BY position", "--format",
                "csv",
            ])
        let values = summary.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(values.count == 2 && abs(values[0] - 0.6) <= 1e-15 && abs(values[1] - 1) <= 1e-15, "\(values)")
        let rows = try cli.run([
            "sql",
            """
            SELECT m.seq, m.tp_mask, m.ignored_mask, g50.annotation_id, m.iou_50, g75.annotation_id, m.iou_75
            FROM matches m LEFT JOIN gt_boxes g50 ON g50.id = m.gt_50 LEFT JOIN gt_boxes g75 ON g75.id = m.gt_75
            ORDER BY m.seq
            """, "--format", "csv",
        ])
        #expect(rows.status == 0, "\(rows.stderr)")
        let lines = rows.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        #expect(Array(lines) == ["0,63,0,1,0.78,1,0.78", "1,0,0,,,,", "2,0,1023,2,1.0,2,1.0", ""])
        let outcomes = try cli.run(
            ["sql", "SELECT seq, outcome_first_iou FROM detection_matches ORDER BY seq", "--format", "csv"])
        #expect(outcomes.stdout == "seq,outcome_first_iou\n0,TP\n1,FP\n2,ignored\n")
    }

    /// Every column of `detection_matches` under COCO, on the ground truth above plus an image b.jpg with box 3
    /// [0, 0, 10, 10] of class 2. Detections in file order (seq):
    /// - 0, 1, 2: as above (a.jpg, class 1): TP at 0.5 ... 0.75 with box 1, FP, ignored inside the crowd box 2;
    /// - 3: b.jpg, class 2, [0, 0, 10, 6.25] score 0.5: IoU 62.5 / 100 = 0.625 with box 3, a true positive at
    ///   0.5, 0.55 and 0.6 (mask 7), matched at 0.5 and unmatched at 0.75;
    /// - 4: a.jpg, class 1, [0, 0, 10, 10] score 0.6: box 1 is taken, a false positive; evaluated with
    ///   `--max-dets 1,3` it is the fourth of its image and class by score, beyond maxDets: ignored everywhere.
    /// Entries are stored per image, so seq 4 sits in a.jpg's row after seq 2 and seq 3 alone in b.jpg's.
    @Test func cocoDetectionMatchesOfAHandWorkedCase() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write(
            "gt.json",
            """
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
                        {"id": 2, "file_name": "b.jpg", "width": 100, "height": 100}],
             "categories": [{"id": 1, "name": "thing"}, {"id": 2, "name": "other"}],
             "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 7.8], "area": 78, "iscrowd": 0},
               {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 1},
               {"id": 3, "image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}]}
            """)
        let dets = try cli.write(
            "dets.json",
            """
            [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
             {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8},
             {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.7},
             {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 6.25], "score": 0.5},
             {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.6}]
            """)
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let imported = try cli.run(["import", "r", dets, "--dataset", "d"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try cli.run(["eval", "r", "--max-dets", "1,3"]).status == 0)
        // The matched boxes by annotation id; every other column as the view gives it.
        let matches = try rows(
            cli,
            """
            SELECT m.run, m.protocol, substr(m.params, instr(m.params, '"max_dets"')), m.seq, m.file_name,
                   m.category_id, m.score, m.x, m.y, m.w, m.h, m.tp_mask, m.ignored_mask, g50.annotation_id, m.iou_50,
                   g75.annotation_id, m.iou_75, m.outcome_first_iou
            FROM detection_matches m LEFT JOIN gt_boxes g50 ON g50.id = m.gt_50 LEFT JOIN gt_boxes g75 ON g75.id = m.gt_75
            ORDER BY m.evaluation_id, m.seq
            """)
        let first = [
            "0,a.jpg,1,0.9,0.0,0.0,10.0,10.0,63,0,1,0.78,1,0.78,TP", "1,a.jpg,1,0.8,0.0,0.0,10.0,10.0,0,0,,,,,FP",
            "2,a.jpg,1,0.7,50.0,50.0,10.0,10.0,0,1023,2,1.0,2,1.0,ignored",
            "3,b.jpg,2,0.5,0.0,0.0,10.0,6.25,7,0,3,0.625,,,TP",
        ]
        #expect(
            matches
                == first.map { "r,coco,\"\"\"max_dets\"\":[1,10,100]}\",\($0)" }
                + ["r,coco,\"\"\"max_dets\"\":[1,10,100]}\",4,a.jpg,1,0.6,0.0,0.0,10.0,10.0,0,0,,,,,FP"]
                + first.map { "r,coco,\"\"\"max_dets\"\":[1,3]}\",\($0)" }
                + ["r,coco,\"\"\"max_dets\"\":[1,3]}\",4,a.jpg,1,0.6,0.0,0.0,10.0,10.0,0,1023,,,,,ignored"])
        try expectSameRowsAsFirstDefinition(cli)
    }

    /// `detection_matches` gives, row for row and value for value, what the view as migration 3 defined it gave
    /// (Schema/0003_compact_results.sql; migration 6 changed only the order in which SQLite joins the tables, and
    /// migration 7 added the evaluation's is_default).
    func expectSameRowsAsFirstDefinition(_ cli: CLI) throws {
        let reference = try cli.run([
            "sql",
            """
            WITH reference AS (
                SELECT r.name AS run, e.protocol, e.params, x.seq, i.file_name, x.category_id, x.score, x.x, x.y,
                       x.w, x.h, m.tp_mask, m.ignored_mask, m.gt_50, m.iou_50, m.gt_75, m.iou_75,
                       CASE WHEN m.tp_mask & 1 THEN 'TP' WHEN m.ignored_mask & 1 THEN 'ignored' ELSE 'FP' END
                           AS outcome_first_iou,
                       e.id AS evaluation_id
                FROM matches m
                JOIN evaluations e ON e.id = m.evaluation_id
                JOIN runs r ON r.id = e.run_id
                JOIN detections x ON x.run_id = m.run_id AND x.image_id = m.image_id AND x.seq = m.seq
                JOIN images i ON i.id = x.image_id)
            SELECT * FROM reference ORDER BY evaluation_id, seq
            """, "--format", "csv",
        ])
        // Every column the first definition had (migration 7 added is_default, checked below).
        let current = try cli.run([
            "sql",
            """
            SELECT run, protocol, params, seq, file_name, category_id, score, x, y, w, h, tp_mask, ignored_mask, gt_50,
                   iou_50, gt_75, iou_75, outcome_first_iou, evaluation_id
            FROM detection_matches ORDER BY evaluation_id, seq
            """, "--format", "csv",
        ])
        let marks = try cli.run([
            "sql",
            "SELECT count(*) AS n FROM detection_matches d JOIN evaluations e ON e.id = d.evaluation_id WHERE d.is_default IS NOT e.is_default",
            "--format", "csv",
        ])
        #expect(marks.stdout == "n\n0\n")
        #expect(reference.status == 0 && current.status == 0, "\(reference.stderr)\(current.stderr)")
        #expect(current.stdout.split(separator: "\n").count > 1)
        #expect(current.stdout == reference.stdout)
    }

    /// The mean of the stored 101-point precision of each class at IoU 0.5 (over all thresholds) is
    /// pycocotools' AP50 (AP) of that class.
    @Test func prCurvesAverageToPycocotoolsPerClassAP() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        #expect(try cli.run(["import", "r1", dets, "--dataset", "fake100"]).status == 0)
        let expectedJSON = try String(
            contentsOfFile: CLI.fixture("coco-val2014-fake100/expected-pycocotools.json"), encoding: .utf8)
        let expected = try #require(
            try JSONSerialization.jsonObject(with: Data(expectedJSON.utf8)) as? [String: Any])
        let perCategory = try #require(expected["per_category"] as? [String: [String: Double]])
        let means = try cli.run([
            "sql",
            """
            SELECT category_id, avg(CASE WHEN iou = 0.5 THEN precision END), avg(precision), count(*),
                   count(score), min(recall), max(recall)
            FROM pr_curve WHERE run = 'r1' GROUP BY category_id ORDER BY category_id
            """, "--format", "csv",
        ])
        #expect(means.status == 0, "\(means.stderr)")
        var checked = 0
        for line in means.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let reference = try #require(perCategory[fields[0]])
            #expect(fields[3] == "1010" && fields[5] == "0.0" && fields[6] == "1.0", "\(line)")
            if reference["AP"] == -1 {
                #expect(fields[1].isEmpty && fields[2].isEmpty && fields[4] == "0", "class \(fields[0])")
            } else {
                #expect(abs(try #require(Double(fields[1])) - reference["AP50"]!) <= 1e-12, "class \(fields[0])")
                #expect(abs(try #require(Double(fields[2])) - reference["AP"]!) <= 1e-12, "class \(fields[0])")
            }
            checked += 1
        }
        #expect(checked == 80)
        try expectSameRowsAsFirstDefinition(cli)
        // A class-agnostic evaluation's one class shows in the views as 'all classes' (id -1).
        #expect(try cli.run(["eval", "r1", "--class-agnostic"]).status == 0)
        let agnostic = try cli.run([
            "sql",
            """
            SELECT s.category_id, s.category, s.n_gt,
                   (SELECT count(*) FROM pr_curve p WHERE p.evaluation_id = s.evaluation_id) AS points,
                   (SELECT count(*) FROM class_ap c WHERE c.evaluation_id = s.evaluation_id) AS metrics
            FROM class_summary s WHERE s.params LIKE '%agnostic%'
            """, "--format", "csv",
        ])
        #expect(agnostic.stdout.hasPrefix("category_id,category,n_gt,"), "\(agnostic.stderr)")
        let fields = agnostic.stdout.split(separator: "\n").dropFirst().first?.split(separator: ",") ?? []
        #expect(fields.count == 5 && fields[0] == "-1" && fields[1] == "all classes" && fields[3] == "1010")
    }

    /// CSV rows of `sql` without the header.
    func rows(_ cli: CLI, _ sql: String) throws -> [String] {
        let result = try cli.run(["sql", sql, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map(String.init)
    }

    /// The 101 stored points of one class's curve as `recall_index,precision,score` CSV rows.
    func curve(_ cli: CLI, protocol name: String, category: Int, iou: Double) throws -> [String] {
        try rows(
            cli,
            """
            SELECT recall_index, precision, score FROM pr_curve
            WHERE protocol = '\(name)' AND category_id = \(category) AND iou = \(iou) ORDER BY recall_index
            """)
    }

    /// `count` rows `index,precision,score` from `start`.
    func points(_ start: Int, _ count: Int, _ precision: String, _ score: String) -> [String] {
        (start..<start + count).map { "\($0),\(precision),\(score)" }
    }

    /// PASCAL VOC, one class "cat", two 100x100 images. Ground truth (VOC corners, inclusive): a: box G1 1..10 x
    /// 1..10 and a difficult box G2 51..60 x 51..60; b: box G3 1..10 x 1..10. Detections in file order (seq):
    /// - 0: a, 0.9, 1 1 10 10: IoU 1 with G1, a true positive;
    /// - 1: a, 0.8, the same box: its best box G1 is taken, a false positive (no fallback to another box);
    /// - 2: a, 0.7, 51 51 60 60: IoU 1 with the difficult G2, neither TP nor FP (ignored);
    /// - 3: b, 0.6, 30 30 39 39: overlaps nothing, a false positive;
    /// - 4: b, 0.5, 1 1 10 20: with the +1 widths 10x20 against 10x10, IoU 100 / 200 = 0.5 exactly: a true positive
    ///   (the devkit's `ovmax >= 0.5`; the Python ports' `>` would make it a false positive).
    /// npos = 2 (the difficult box does not count). Ranked, ignoring seq 2: recall 1/2, 1/2, 1/2, 1 with precision
    /// 1, 1/2, 1/3, 1/2. VOC07: max precision at recall >= t is 1 for t = 0 ... 0.5 (six points) and 1/2 for
    /// 0.6 ... 1 (five), accumulated as the devkit does, ap += p / 11. VOC12: envelope 1, 1/2, 1/2, 1/2, area
    /// 1/2 * 1 + 1/2 * 1/2 = 0.75. The stored curve at the 101 recall points: precision 1 (score 0.9, the first
    /// detection reaches recall 1/2) up to recall 0.50, then 1/2 (score 0.5, the last detection reaches recall 1).
    @Test func vocMatchesAndCurvesOfAHandWorkedCase() throws {
        let cli = try CLI()
        defer { cli.remove() }
        func object(_ xmin: Int, _ ymin: Int, _ xmax: Int, _ ymax: Int, difficult: Int = 0) -> String {
            "<object><name>cat</name><difficult>\(difficult)</difficult><bndbox><xmin>\(xmin)</xmin><ymin>\(ymin)</ymin><xmax>\(xmax)</xmax><ymax>\(ymax)</ymax></bndbox></object>"
        }
        func annotation(_ name: String, _ objects: [String]) -> String {
            "<annotation><filename>\(name).jpg</filename><size><width>100</width><height>100</height><depth>3</depth></size>"
                + objects.joined() + "</annotation>\n"
        }
        try cli.write("voc/a.xml", annotation("a", [object(1, 1, 10, 10), object(51, 51, 60, 60, difficult: 1)]))
        try cli.write("voc/b.xml", annotation("b", [object(1, 1, 10, 10)]))
        try cli.write(
            "results/comp4_det_test_cat.txt",
            "a 0.9 1 1 10 10\na 0.8 1 1 10 10\na 0.7 51 51 60 60\nb 0.6 30 30 39 39\nb 0.5 1 1 10 20\n")
        #expect(try cli.run(["dataset", "import", "v", cli.folder.appendingPathComponent("voc").path]).status == 0)
        let imported = try cli.run([
            "import", "r", cli.folder.appendingPathComponent("results").path, "--dataset", "v", "--no-eval",
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        var elevenPoint = 0.0
        for p in [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5] { elevenPoint += p / 11 }
        for (name, ap) in [("voc07", elevenPoint), ("voc12", 0.75)] {
            #expect(try cli.run(["eval", "r", "--protocol", name]).status == 0)
            #expect(
                try rows(cli, "SELECT metric, value FROM eval_summary WHERE protocol = '\(name)'") == ["mAP,\(ap)"])
            #expect(
                try rows(cli, "SELECT n_gt, n_det, tp, fp, fn, iou, AP FROM class_summary WHERE protocol = '\(name)'")
                    == ["2,5,2,2,0,0.5,\(ap)"])
            // The matched box by what it is (VOC boxes have no annotation ids): image, difficult flag, corner.
            let matches = try rows(
                cli,
                """
                SELECT m.seq, m.tp_mask, m.ignored_mask, i.file_name, g.is_difficult, g.x, m.iou_50, m.gt_75, m.iou_75,
                       m.outcome_first_iou
                FROM detection_matches m LEFT JOIN gt_boxes g ON g.id = m.gt_50 LEFT JOIN images i ON i.id = g.image_id
                WHERE m.protocol = '\(name)' ORDER BY m.seq
                """)
            #expect(
                matches == [
                    "0,1,0,a.jpg,0,1.0,1.0,,,TP", "1,0,0,,,,,,,FP", "2,0,1,a.jpg,1,51.0,1.0,,,ignored",
                    "3,0,0,,,,,,,FP", "4,1,0,b.jpg,0,1.0,0.5,,,TP",
                ], "\(name)")
            #expect(
                try curve(cli, protocol: name, category: 1, iou: 0.5) == points(0, 51, "1.0", "0.9")
                    + points(51, 50, "0.5", "0.5"),
                "\(name)")
        }
        try expectSameRowsAsFirstDefinition(cli)
    }

    /// VisDrone, one 100x100 image, class 4 (car). Ground truth: g0 [10, 10, 20, 20], g1 [50, 10, 20, 20], an
    /// ignore box g2 [10, 50, 20, 20] (score 0) and an ignored region [60, 60, 30, 30]. Detections in file order:
    /// - 0: [10, 10, 20, 20] 0.9: IoU 1 with g0, TP at every threshold (mask 1023);
    /// - 1: [50, 10, 20, 22] 0.8: IoU 400 / 440 = 0.909 with g1, TP at 0.5 ... 0.9 (mask 511), FP at 0.95;
    /// - 2: [12, 52, 10, 10] 0.7: inside the ignore box (overlap = intersection / detection area = 1): ignored;
    /// - 3: [65, 65, 10, 10] 0.6: inside the ignored region, dropped: ignored at every threshold;
    /// - 4: [0, 80, 10, 10] 0.5: overlaps nothing, FP;
    /// - 5: [50, 10, 20, 20] 0.4: g1 is taken up to 0.9 (FP there); at 0.95 g1 is free and IoU 1: TP (mask 512).
    /// Recall is over the 3 ground-truth rows (the ignore box included). At 0.5 ... 0.9, ranked without the
    /// ignored: TP TP FP FP, recall 1/3 2/3 2/3 2/3, precision 1 1 2/3 1/2, AP (all-point) = 2/3; at 0.95:
    /// TP FP FP TP, recall 1/3 1/3 1/3 2/3, precision 1 1/2 1/3 1/2, envelope 1 1/2 1/2 1/2, AP = 1/3 + 1/3 * 1/2 =
    /// 1/2. AP = (9 * 2/3 + 1/2) / 10 = 0.65; AR1 = 1/3 (the first row only); AR10 ... AR500 = 2/3 (the best
    /// recall at every threshold). One image holds the class: the class means are its values.
    static let visDroneGroundTruth =
        "10,10,20,20,1,4,0,0\n50,10,20,20,1,4,0,0\n10,50,20,20,0,4,0,0\n60,60,30,30,0,0,0,0\n"
    static let visDroneDetections =
        "10,10,20,20,0.9,4,-1,-1\n50,10,20,22,0.8,4,-1,-1\n12,52,10,10,0.7,4,-1,-1\n65,65,10,10,0.6,4,-1,-1\n0,80,10,10,0.5,4,-1,-1\n50,10,20,20,0.4,4,-1,-1\n"

    func visDroneStore() throws -> CLI {
        let cli = try CLI()
        try cli.write("set/annotations/img1.txt", Self.visDroneGroundTruth)
        let sizes = try cli.write("sizes.csv", "image,width,height\nimg1.jpg,100,100\n")
        try cli.write("run/img1.txt", Self.visDroneDetections)
        let dataset = try cli.run([
            "dataset", "import", "v", cli.folder.appendingPathComponent("set").path, "--sizes", sizes,
        ])
        #expect(dataset.status == 0, "\(dataset.stderr)")
        let run = try cli.run(["import", "r", cli.folder.appendingPathComponent("run").path, "--dataset", "v"])
        #expect(run.status == 0, "\(run.stderr)")
        return cli
    }

    @Test func visDroneMasksAndCurvesOfAHandWorkedCase() throws {
        let cli = try visDroneStore()
        defer { cli.remove() }
        let expected: [(String, Double)] = [
            ("AP", 0.65), ("AP50", 2.0 / 3), ("AP75", 2.0 / 3), ("AR1", 1.0 / 3), ("AR10", 2.0 / 3), ("AR100", 2.0 / 3),
            ("AR500", 2.0 / 3),
        ]
        let summary = try rows(cli, "SELECT metric, value FROM eval_summary ORDER BY position")
        #expect(summary.count == expected.count)
        for (line, (metric, value)) in zip(summary, expected) {
            let fields = line.split(separator: ",").map(String.init)
            // The toolkit's arithmetic (means of means) may differ from the exact fractions in the last bits.
            #expect(fields[0] == metric && abs(Double(fields[1])! - value) <= 1e-12, "\(line)")
        }
        #expect(
            try rows(cli, "SELECT n_gt, tp, fp, fn, iou FROM class_summary WHERE category_id = 4") == ["3,2,2,1,0.5"])
        #expect(
            try rows(cli, "SELECT seq, tp_mask, ignored_mask, outcome_first_iou FROM detection_matches ORDER BY seq")
                == [
                    "0,1023,0,TP", "1,511,0,TP", "2,0,1023,ignored", "3,0,1023,ignored", "4,0,0,FP", "5,512,0,FP",
                ])
        let reached = points(0, 34, "1.0", "0.9")
        let unreached = points(67, 34, "0.0", "")
        for iou in [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9] {
            #expect(
                try curve(cli, protocol: "visdrone", category: 4, iou: iou) == reached + points(34, 33, "1.0", "0.8")
                    + unreached,
                "\(iou)")
        }
        #expect(
            try curve(cli, protocol: "visdrone", category: 4, iou: 0.95) == reached + points(34, 33, "0.5", "0.4")
                + unreached)
    }

    /// `detection_matches` names the matched box and its overlap at 0.5 and 0.75 (Schema/README.md): under
    /// VisDrone too. At 0.5: seq 0 -> g0 (1), seq 1 -> g1 (400 / 440), seq 2 -> the ignore box g2 (its overlap,
    /// intersection / detection area = 1); seq 3 (dropped in the ignored region), 4 and 5 (false positives) match
    /// nothing. At 0.75 the same.
    @Test func visDroneMatchesNameTheMatchedBox() throws {
        let cli = try visDroneStore()
        defer { cli.remove() }
        let matched = try rows(
            cli,
            """
            SELECT m.seq, g50.x, g50.y, m.iou_50, g75.x, g75.y, m.iou_75 FROM detection_matches m
            LEFT JOIN gt_boxes g50 ON g50.id = m.gt_50 LEFT JOIN gt_boxes g75 ON g75.id = m.gt_75 ORDER BY m.seq
            """)
        let g1 = 400.0 / 440
        #expect(
            matched == [
                "0,10.0,10.0,1.0,10.0,10.0,1.0", "1,50.0,10.0,\(g1),50.0,10.0,\(g1)", "2,10.0,50.0,1.0,10.0,50.0,1.0",
                "3,,,,,,", "4,,,,,,", "5,,,,,,",
            ])
        try expectSameRowsAsFirstDefinition(cli)
    }
}
