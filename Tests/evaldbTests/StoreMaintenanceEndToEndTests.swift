import Foundation
import Testing

/// Replacing and deleting datasets and runs through the binary: what each command removes, what it refuses, and
/// that a refusal changes nothing. "Removes" is checked against a store into which the removed things were never
/// imported: after `delete`, every table has the row count of that store.
@Suite(.serialized) struct StoreMaintenanceEndToEndTests {
    /// A COCO dataset: two 100x100 images (ids 1, 2), categories 1 cat and 2 dog, one 20x20 box each.
    static let groundTruth = """
        {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
                    {"id": 2, "file_name": "b.jpg", "width": 100, "height": 100}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                         {"id": 2, "image_id": 2, "category_id": 2, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
        """

    /// Detections on that dataset: both boxes found, and a false positive.
    static let detections = """
        [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
         {"image_id": 2, "category_id": 2, "bbox": [50, 50, 20, 20], "score": 0.8},
         {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.7}]
        """

    /// The tables `Schema/*.sql` creates and does not drop again.
    static func schemaTables() throws -> Set<String> {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path).filter { $0.hasSuffix(".sql") }
        var tables = Set<String>()
        for file in files.sorted() {
            let text = try String(contentsOf: schema.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard words.count >= 3, words[1] == "TABLE" else { continue }
                if words[0] == "CREATE" { tables.insert(words[2]) }
                if words[0] == "DROP" { tables.remove(words[2].trimmingCharacters(in: [";"])) }
            }
        }
        return tables
    }

    /// `table -> count` from a snapshot.
    func counts(_ snapshot: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in snapshot.split(separator: "\n") {
            let parts = line.split(separator: "=")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    @Test func snapshotCountsEveryTableOfTheSchema() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write("gt.json", Self.groundTruth)
        let dets = try cli.write("dets.json", Self.detections)
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        #expect(try cli.run(["import", "r", dets, "--dataset", "d", "--no-eval"]).status == 0)
        let before = try cli.snapshot()
        let tables = try Self.schemaTables()
        #expect(tables.count >= 17)
        #expect(Set(counts(before).keys) == tables, "\(before)")
        // An evaluation writes only evaluation tables: the snapshot sees it.
        #expect(try cli.run(["eval", "r"]).status == 0)
        let after = try cli.snapshot()
        #expect(after != before)
        #expect(counts(before)["evaluations"] == 0 && counts(after)["evaluations"] == 1)
        #expect(counts(after)["pr_curves"] == 2 * 10, "one curve per class and IoU threshold: \(after)")
        #expect(try cli.run(["baseline", "set", "r"]).status == 0)
        #expect(counts(try cli.snapshot())["baselines"] == 1)
    }
}
