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
}
