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

    /// The same ground truth with the dog box moved and a third image holding a second cat.
    static let otherGroundTruth = """
        {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
                    {"id": 2, "file_name": "b.jpg", "width": 100, "height": 100},
                    {"id": 3, "file_name": "c.jpg", "width": 100, "height": 100}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0},
                         {"id": 2, "image_id": 2, "category_id": 2, "bbox": [60, 50, 20, 20], "area": 400, "iscrowd": 0},
                         {"id": 3, "image_id": 3, "category_id": 1, "bbox": [5, 5, 30, 30], "area": 900, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
        """

    /// Runs `steps` (argument lists) in order in a fresh store and returns it.
    func store(_ steps: [[String]], files: [String: String]) throws -> CLI {
        let cli = try CLI()
        for (name, content) in files { try cli.write(name, content) }
        for step in steps {
            let result = try cli.run(step.map { files[$0] != nil ? cli.folder.appendingPathComponent($0).path : $0 })
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        return cli
    }

    static let files = [
        "gt.json": groundTruth, "other.json": otherGroundTruth, "dets.json": detections,
        "map.csv": "model,dataset\n1,cat\n2,dog\n",
    ]

    /// What r2 (and its dataset) leave in a store: imported with tags, parameters and a category map, evaluated.
    static let secondRun: [[String]] = [
        [
            "import", "r2", "dets.json", "--dataset", "d", "--tag", "arch=b", "--param", "lr=0.2", "--category-map",
            "map.csv",
        ]
    ]

    @Test func deletingARunRemovesWhatBelongsToItAndNothingElse() throws {
        let full = try store(
            [
                ["dataset", "import", "d", "gt.json"],
                ["import", "r1", "dets.json", "--dataset", "d", "--tag", "arch=a", "--param", "lr=0.1"],
                ["eval", "r1", "--protocol", "voc12"], ["baseline", "set", "r1"],
            ] + Self.secondRun, files: Self.files)
        defer { full.remove() }
        let reference = try store([["dataset", "import", "d", "gt.json"]] + Self.secondRun, files: Self.files)
        defer { reference.remove() }
        let before = counts(try full.snapshot())
        // r1 owns rows in these tables (two evaluations: coco at import, then voc12).
        #expect(before["evaluations"] == 3 && before["baselines"] == 1 && before["run_tags"] == 2, "\(before)")
        let deleted = try full.run(["delete", "r1"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout == "Deleted run 'r1' (3 detections).\n")
        // Every table as if r1 had never been imported: detections, parameters, tags, the
        // evaluations with their metrics, curves and matches, and the baseline that named it.
        #expect(try full.snapshot() == (try reference.snapshot()))
        #expect(try full.run(["baseline", "show", "--format", "csv"]).stdout == "dataset,run,set_at\n")
        let runs = try full.run(["sql", "SELECT name, tags, params FROM run_summary", "--format", "csv"])
        #expect(runs.stdout == "name,tags,params\nr2,arch=b,lr=0.2\n")
        let maps = try full.run(["sql", "SELECT model_key, category_id FROM run_category_maps", "--format", "csv"])
        #expect(maps.stdout == "model_key,category_id\n1,1\n2,2\n")
        // Deleting it again: one error line naming the runs there are, exit 1, nothing changed.
        let snapshot = try full.snapshot()
        let again = try full.run(["delete", "r1"])
        #expect(again.status == 1)
        #expect(again.stderr == "Error: no run named 'r1'; known runs: 'r2' (see `evaldb runs`)\n")
        #expect(try full.snapshot() == snapshot)
    }

    @Test func deletingADatasetWithItsRunsLeavesTheOtherDatasets() throws {
        let steps: [[String]] = [
            ["dataset", "import", "d", "gt.json"], ["dataset", "import", "e", "other.json"],
            ["import", "r1", "dets.json", "--dataset", "d", "--tag", "arch=a"], ["baseline", "set", "r1"],
        ]
        let other = [["import", "r3", "dets.json", "--dataset", "e", "--param", "lr=0.3"], ["baseline", "set", "r3"]]
        let full = try store(steps + Self.secondRun + other, files: Self.files)
        defer { full.remove() }
        let reference = try store([["dataset", "import", "e", "other.json"]] + other, files: Self.files)
        defer { reference.remove() }
        let deleted = try full.run(["dataset", "delete", "d", "--with-runs"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout == "Deleted dataset 'd' and its 2 run(s).\n")
        #expect(try full.snapshot() == (try reference.snapshot()))
        #expect(try full.run(["datasets", "--format", "csv"]).stdout.hasPrefix("name,format,images,annotations"))
        let left = try full.run([
            "sql", "SELECT name, images, annotations, runs FROM dataset_summary", "--format", "csv",
        ])
        #expect(left.stdout == "name,images,annotations,runs\ne,3,3,1\n")
        // A dataset without runs goes without --with-runs; then the store is empty.
        #expect(try full.run(["delete", "r3"]).status == 0)
        let last = try full.run(["dataset", "delete", "e"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(last.stdout == "Deleted dataset 'e'.\n")
        let empty = try full.snapshot()
        #expect(counts(empty).values.allSatisfy { $0 == 0 }, "\(empty)")
    }

    /// Without --with-runs a dataset that has runs is refused: exit 1, nothing changed, and the one error line says
    /// how to delete it (the flag that does).
    @Test func deletingADatasetThatHasRunsIsRefused() throws {
        let cli = try store(
            [["dataset", "import", "d", "gt.json"], ["import", "r1", "dets.json", "--dataset", "d"]], files: Self.files)
        defer { cli.remove() }
        let before = try cli.snapshot()
        let refused = try cli.run(["dataset", "delete", "d"])
        #expect(refused.status == 1)
        #expect(try cli.snapshot() == before)
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1 && refused.stderr.hasPrefix("Error: dataset 'd' has 1 run(s)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--with-runs"), "the fix is not named: \(refused.stderr)")
    }

    @Test func replacingADatasetWithoutRunsGivesTheNewContent() throws {
        let cli = try store([["dataset", "import", "d", "gt.json"]], files: Self.files)
        defer { cli.remove() }
        let other = cli.folder.appendingPathComponent("other.json").path
        let before = try cli.snapshot()
        let refused = try cli.run(["dataset", "import", "d", other])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "Error: a dataset named 'd' already exists with other content; choose another name or pass --replace\n"
        )
        #expect(try cli.snapshot() == before)
        let replaced = try cli.run(["dataset", "import", "d", other, "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(
            replaced.stdout
                == "Replaced dataset 'd' from \(other): format coco (detected), 3 images, 3 boxes, 2 categories.\n")
        // The store now holds what a first import of the other file holds.
        let fresh = try store([["dataset", "import", "d", "other.json"]], files: Self.files)
        defer { fresh.remove() }
        #expect(try cli.snapshot() == (try fresh.snapshot()))
        for query in [
            "SELECT * FROM gt ORDER BY image_id, annotation_id",
            "SELECT name, format, default_protocol, images, annotations, categories, runs, sha256 FROM dataset_summary",
            "SELECT external_id, file_name, width, height FROM images ORDER BY external_id",
        ] {
            let got = try cli.run(["sql", query, "--format", "csv"])
            #expect(got.stdout == (try fresh.run(["sql", query, "--format", "csv"])).stdout, "\(query)")
        }
        let boxes = try cli.run(["sql", "SELECT x, y FROM gt WHERE category = 'dog'", "--format", "csv"])
        #expect(boxes.stdout == "x,y\n60.0,50.0\n")
    }

    @Test func replacingADatasetThatHasRunsIsRefused() throws {
        let cli = try store(
            [["dataset", "import", "d", "gt.json"], ["import", "r1", "dets.json", "--dataset", "d"]], files: Self.files)
        defer { cli.remove() }
        let before = try cli.snapshot()
        let groundTruth = try cli.run(["sql", "SELECT * FROM gt", "--format", "csv"])
        let refused = try cli.run(
            ["dataset", "import", "d", cli.folder.appendingPathComponent("other.json").path, "--replace"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "Error: dataset 'd' has 1 run(s) whose detections refer to its images; delete them first or import under another name\n"
        )
        #expect(try cli.snapshot() == before)
        #expect(try cli.run(["sql", "SELECT * FROM gt", "--format", "csv"]).stdout == groundTruth.stdout)
    }
}
