import Foundation
import Testing

/// TFRecord inputs through the built binary: the same data as COCO JSON or a VisDrone folder evaluates to exactly the
/// same numbers; broken records stop the import with the file and the record named; label maps meet other ids.
@Suite(.serialized) struct TFRecordEndToEndTests {
    static let cocoJSON = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let cocoResults = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
    static let cocoRecords = CLI.fixture("tfrecord/coco/gt.tfrecord")
    static let cocoDetections = CLI.fixture("tfrecord/coco/dt.tfrecord")
    static let cocoLabelMap = CLI.fixture("tfrecord/coco/label_map.pbtxt")
    static let visdroneShards = CLI.fixture("tfrecord/visdrone/gt/visdrone-gt-?????-of-00002")
    static let visdroneDetections = CLI.fixture("tfrecord/visdrone/results-A.tfrecord.gz")
    static let visdroneLabelMap = CLI.fixture("tfrecord/visdrone/label_map.pbtxt")

    /// `eval --format json` of a run, with the run's and the dataset's names taken out.
    static func evaluation(_ cli: CLI, _ run: String, _ dataset: String, _ extra: [String] = []) throws -> String {
        let result = try cli.run(["eval", run, "--format", "json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.replacingOccurrences(of: "\"run\": \"\(run)\"", with: "\"run\": \"R\"")
            .replacingOccurrences(of: "\"dataset\": \"\(dataset)\"", with: "\"dataset\": \"D\"")
    }

    @Test func cocoGroundTruthAndDetectionsEvaluateAsTheirJSON() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "json", Self.cocoJSON]).status == 0)
        #expect(try cli.run(["import", "json-run", Self.cocoResults, "--dataset", "json", "--no-eval"]).status == 0)

        let dataset = try cli.run(["dataset", "import", "tf", Self.cocoRecords, "--label-map", Self.cocoLabelMap])
        #expect(dataset.status == 0, "\(dataset.stderr)")
        #expect(
            dataset.stdout
                == "Imported dataset 'tf' from \(Self.cocoRecords): format tfrecord (detected), 100 images, 839 boxes, 80 categories.\n"
        )
        #expect(dataset.stderr.contains("info: category names from the label map (80 items)\n"))
        #expect(
            dataset.stderr.contains("info: image/object/difficult absent in 100 of 100 records: no box is difficult\n"))

        let run = try cli.run(["import", "tf-run", Self.cocoDetections, "--dataset", "tf", "--no-eval"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout == "Imported run 'tf-run' on dataset 'tf': 734 detections, format tfrecord (detected).\n")
        #expect(
            run.stderr.contains(
                "info: dropped 164 padding slots (62 beyond image/detection/num_detections, 102 with score 0 and an all-zero box); 734 detections kept\n"
            ))

        let json = try Self.evaluation(cli, "json-run", "json")
        // pycocotools' AP50 on this case (expected-pycocotools.json of coco-val2014-fake100).
        #expect(json.contains("\"AP50\": 0.6969727247299577,"))
        #expect(try Self.evaluation(cli, "tf-run", "tf") == json)
        // Detections of the TFRecord export against the JSON dataset too: matched by source_id = image id.
        #expect(
            try cli.run(["import", "tf-on-json", Self.cocoDetections, "--dataset", "json", "--no-eval"]).status == 0)
        #expect(try Self.evaluation(cli, "tf-on-json", "json") == json)
        let listed = try cli.run(["sql", "SELECT format FROM datasets WHERE name = 'tf'", "--format", "csv"])
        #expect(listed.stdout == "format\ntfrecord\n")
    }

    @Test func visdroneShardsEvaluateAsTheFolderUnderCoco() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "folder", CLI.fixture("visdrone-synth")]).status == 0)
        #expect(
            try cli.run([
                "import", "folder-A", CLI.fixture("visdrone-synth/results-A"), "--dataset", "folder", "--no-eval",
            ])
            .status == 0)
        let dataset = try cli.run([
            "dataset", "import", "tf", Self.visdroneShards, "--label-map", Self.visdroneLabelMap,
        ])
        #expect(
            dataset.stdout
                == "Imported dataset 'tf' from \(Self.visdroneShards): format tfrecord (detected), 36 images, 2756 boxes, 11 categories.\n"
        )
        let run = try cli.run(["import", "tf-A", Self.visdroneDetections, "--dataset", "tf", "--no-eval"])
        #expect(run.stdout == "Imported run 'tf-A' on dataset 'tf': 5117 detections, format tfrecord (detected).\n")
        let folder = try Self.evaluation(cli, "folder-A", "folder", ["--protocol", "coco"])
        #expect(try Self.evaluation(cli, "tf-A", "tf") == folder)
        // The ignored regions the VisDrone protocol needs have no TFRecord key: it is refused, with the way out.
        let visdrone = try cli.run(["eval", "tf-A", "--protocol", "visdrone"])
        #expect(visdrone.status == 1)
        #expect(
            visdrone.stderr.hasSuffix(
                "Error: the visdrone protocol needs a VisDrone dataset (its 10 classes and ignored regions); 'tf' is tfrecord: use --protocol coco, voc07 or voc12\n"
            ))
    }

    @Test func aCorruptRecordStopsTheImportNamingFileAndRecord() throws {
        let cli = try CLI()
        defer { cli.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.cocoRecords)))
        // Record 3's data: skip records 1 and 2 (each: 8-byte length, 4-byte CRC, data, 4-byte CRC).
        var offset = 0
        for _ in 0..<2 {
            let length = (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            offset += 16 + length
        }
        bytes[offset + 20] ^= 0x01
        let corrupt = try cli.write("broken/gt.tfrecord", Data(bytes))
        #expect(try cli.run(["dataset", "import", "tf", Self.cocoRecords]).status == 0)
        let before = try cli.snapshot()
        let result = try cli.run(["dataset", "import", "broken", corrupt, "--label-map", Self.cocoLabelMap])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "Error: \(corrupt): record 3 (at byte \(offset)) is corrupt: the data's CRC32C does not match; the file is damaged or was not fully written: write or copy it again\n"
        )
        #expect(try cli.snapshot() == before)

        // Detections cut short: the import of a run stores nothing either.
        let full = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.cocoDetections)))
        let cut = try cli.write("broken/dt.tfrecord", Data(full.prefix(full.count - 10)))
        let stored = try cli.snapshot()
        let run = try cli.run(["import", "r", cut, "--dataset", "tf", "--format", "tfrecord"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: \(cut): record 100 (at byte "))
        #expect(run.stderr.contains("is corrupt: the file ends inside the record (its length says "))
        #expect(try cli.snapshot() == stored)
    }

    /// `visdrone-synth` as COCO JSON with 0-based category ids (as a YOLO-trained model's dataset numbers them), so
    /// that the label map's 1-based ids do not match.
    static func zeroBasedVisDrone(_ cli: CLI) throws -> String {
        let names = [
            "pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor",
            "others",
        ]
        let root = CLI.fixture("visdrone-synth")
        let sizes = try String(contentsOfFile: root + "/images.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .reduce(into: [String: [Int]]()) { table, line in
                let fields = line.split(separator: ",")
                table[String(fields[0])] = [Int(fields[1])!, Int(fields[2])!]
            }
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/annotations").sorted()
        var images: [[String: Any]] = []
        var annotations: [[String: Any]] = []
        for (index, file) in files.enumerated() {
            let stem = String(file.dropLast(4))
            images.append([
                "id": index + 1, "file_name": stem + ".jpg", "width": sizes[stem]![0], "height": sizes[stem]![1],
            ])
            for line in try String(contentsOfFile: root + "/annotations/" + file, encoding: .utf8)
                .split(separator: "\n")
            {
                let values = line.split(separator: ",").prefix(6).map { Double($0)! }
                guard values[5] > 0 else { continue }
                annotations.append([
                    "id": annotations.count + 1, "image_id": index + 1, "category_id": Int(values[5]) - 1,
                    "bbox": Array(values[0..<4]), "area": values[2] * values[3], "iscrowd": 0,
                ])
            }
        }
        let categories = names.enumerated().map { ["id": $0.offset, "name": $0.element] as [String: Any] }
        let json = try JSONSerialization.data(
            withJSONObject: ["images": images, "annotations": annotations, "categories": categories])
        return try cli.write("zero-based.json", json)
    }

    @Test func labelMapIdsAgainstZeroBasedIdsAreFoundByEvidenceAndMappedByName() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "zero", try Self.zeroBasedVisDrone(cli)]).status == 0)
        let before = try cli.snapshot()
        let refused = try cli.run(["import", "as-given", Self.visdroneDetections, "--dataset", "zero"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.hasPrefix(
                "fatal: the category ids look 1-based against the dataset's 0-based ids: read that way, 52% of the 2000 most confident detections overlap a ground-truth box of their class at IoU >= 0.5, against <1% as given\n    fix: import with --category-offset=-1\n"
            ))
        #expect(try cli.snapshot() == before)

        let offset = try cli.run([
            "import", "offset", Self.visdroneDetections, "--dataset", "zero", "--category-offset=-1", "--no-eval",
        ])
        #expect(offset.status == 0, "\(offset.stderr)")
        let mapped = try cli.run([
            "import", "mapped", Self.visdroneDetections, "--dataset", "zero", "--label-map", Self.visdroneLabelMap,
            "--no-eval",
        ])
        #expect(mapped.status == 0, "\(mapped.stderr)")
        #expect(try Self.evaluation(cli, "mapped", "zero") == Self.evaluation(cli, "offset", "zero"))
        let options = try cli.run(["sql", "SELECT import_options FROM runs WHERE name = 'mapped'", "--format", "csv"])
        #expect(
            options.stdout
                == "import_options\nlabel-map=1>pedestrian;2>people;3>bicycle;4>car;5>van;6>truck;7>tricycle;8>awning-tricycle;9>bus;10>motor;11>others\n"
        )

        // Any detections format: COCO results with the label map's ids.
        let results = try String(
            contentsOfFile: CLI.fixture("visdrone-synth/results-A/9000000_35257_d_0000000.txt"), encoding: .utf8
        )
        .split(separator: "\n").map { line -> String in
            let v = line.split(separator: ",")
            return
                "{\"image_id\": 1, \"category_id\": \(v[5]), \"bbox\": [\(v[0]), \(v[1]), \(v[2]), \(v[3])], \"score\": \(v[4])}"
        }
        let coco = try cli.write("results.json", "[" + results.joined(separator: ",\n") + "]")
        let viaLabelMap = try cli.run([
            "import", "coco-mapped", coco, "--dataset", "zero", "--label-map", Self.visdroneLabelMap, "--no-eval",
        ])
        #expect(viaLabelMap.status == 0, "\(viaLabelMap.stderr)")
        let categories = try cli.run([
            "sql",
            "SELECT a.category_id - b.category_id AS shift, count(*) FROM dets a JOIN dets b ON a.seq = b.seq AND a.run = 'coco-mapped' AND b.run = 'offset' AND b.image_id = 1 GROUP BY 1",
            "--format", "csv",
        ])
        #expect(categories.stdout == "shift,count(*)\n0,\(results.count)\n")
    }
}
