import EvalFormats
import Foundation
import Testing

/// The TFRecord ground-truth reader against the COCO reader on the same data, and on hand-made records.
@Suite struct TFRecordDatasetReaderTests {
    static let cocoJSON = ReaderFixtures.path("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let labelMap = ReaderFixtures.path("tfrecord/coco/label_map.pbtxt")

    /// A box as comparable values, keyed by its image id (the readers order boxes differently).
    struct Box: Hashable {
        var image: Int64
        var category: Int64
        var x, y, width, height: Double
        var isCrowd: Bool
    }

    static func boxes(_ dataset: GroundTruthDataset) -> [Box] {
        dataset.boxes.map {
            Box(
                image: dataset.images[$0.imageIndex].id, category: $0.categoryID, x: $0.x, y: $0.y, width: $0.width,
                height: $0.height, isCrowd: $0.isCrowd)
        }
    }

    @Test(arguments: ["tfrecord/coco/gt.tfrecord", "tfrecord/tf/coco-gt.tfrecord", "tfrecord/tf/coco-gt.tfrecord.gz"])
    func theCocoFixtureReadsAsItsJSON(file: String) throws {
        let json = try CocoDatasetReader.read(path: Self.cocoJSON)
        let dataset = try TFRecordDatasetReader.read(
            path: ReaderFixtures.path(file), labelMap: try LabelMap.read(path: Self.labelMap))
        #expect(dataset.format == .tfrecord)
        #expect(dataset.images == json.images)
        #expect(dataset.categories.map(\.id) == json.categories.map(\.id))
        #expect(dataset.categories.map(\.name) == json.categories.map(\.name))
        // Every pixel bit for bit (2-decimal COCO boxes recovered from 32-bit fractions), in each image's order.
        #expect(Self.boxes(dataset).sorted { $0.image < $1.image } == Self.boxes(json).sorted { $0.image < $1.image })
        // Areas are COCO's, to the 32-bit float the record holds.
        let jsonAreas = Dictionary(grouping: json.boxes, by: { json.images[$0.imageIndex].id }).mapValues {
            $0.map { Float($0.area) }
        }
        let areas = Dictionary(grouping: dataset.boxes, by: { dataset.images[$0.imageIndex].id }).mapValues {
            $0.map { Float($0.area) }
        }
        #expect(areas == jsonAreas)
        #expect(
            dataset.notes.map(\.summary) == [
                "category names from the label map (80 items)",
                "image/object/difficult absent in 100 of 100 records: no box is difficult",
            ])
    }

    @Test func withoutALabelMapTheCategoriesAreTheLabelsWithTheirTexts() throws {
        let dataset = try TFRecordDatasetReader.read(path: ReaderFixtures.path("tfrecord/coco/gt.tfrecord"))
        let json = try CocoDatasetReader.read(path: Self.cocoJSON)
        let used = Set(json.boxes.map(\.categoryID))
        // The ids and texts the boxes use (the records carry no supercategory).
        #expect(
            dataset.categories
                == json.categories.filter { used.contains($0.id) }.map { CategoryRecord(id: $0.id, name: $0.name) })
        #expect(
            dataset.notes.map(\.summary).first
                == "categories are the labels the boxes use (give --label-map for the full list and names)")
    }

    @Test func theVisDroneShardsByGlobAndByFolder() throws {
        let labelMap = try LabelMap.read(path: ReaderFixtures.path("tfrecord/visdrone/label_map.pbtxt"))
        let byGlob = try TFRecordDatasetReader.read(
            path: ReaderFixtures.path("tfrecord/visdrone/gt/visdrone-gt-?????-of-00002"), labelMap: labelMap)
        let byFolder = try TFRecordDatasetReader.read(
            path: ReaderFixtures.path("tfrecord/visdrone/gt"), labelMap: labelMap)
        let folder = try VisDroneDatasetReader.read(path: ReaderFixtures.path("visdrone-synth"))
        #expect(byGlob.images == folder.images)
        #expect(byFolder.images == folder.images)
        #expect(byGlob.categories == folder.categories)
        let expected = folder.boxes.map {
            [Double($0.imageIndex), Double($0.categoryID), $0.x, $0.y, $0.width, $0.height]
        }
        #expect(
            byGlob.boxes.map { [Double($0.imageIndex), Double($0.categoryID), $0.x, $0.y, $0.width, $0.height] }
                == expected)
        #expect(
            byGlob.notes.first?.summary
                == "image ids are the records' 1-based positions (image/source_id is not a distinct number in every record)"
        )
    }

    @Test func defaultsForAbsentKeysAreStated() throws {
        try ReaderScratch.with { scratch in
            let first = TFRecordBuilder.example(
                TFRecordBuilder.image(width: 100, height: 50, filename: nil, sourceID: "img-1")
                    + TFRecordBuilder.boxes(
                        "image/object/bbox/", [[10, 5, 20, 10], [0, 0, 100, 50]], width: 100, height: 50)
                    + [
                        ("image/object/class/text", .bytes(["dog", "cat"])),
                        ("image/object/difficult", .ints([1, 0])),
                    ])
            let second = TFRecordBuilder.example(
                TFRecordBuilder.image(width: 100, height: 50, filename: "b.png", sourceID: nil)
                    + TFRecordBuilder.boxes("image/object/bbox/", [[1, 2, 3, 4]], width: 100, height: 50)
                    + [("image/object/class/text", .bytes(["dog"]))],
                packed: false)
            let path = try scratch.write("gt.record", bytes: TFRecordBuilder.frame([first, second]))
            let dataset = try TFRecordDatasetReader.read(path: path)
            #expect(
                dataset.images == [
                    ImageRecord(id: 1, fileName: "img-1", width: 100, height: 50),
                    ImageRecord(id: 2, fileName: "b.png", width: 100, height: 50),
                ])
            #expect(dataset.categories == [CategoryRecord(id: 1, name: "cat"), CategoryRecord(id: 2, name: "dog")])
            #expect(dataset.boxes.map(\.categoryID) == [2, 1, 2])
            #expect(dataset.boxes.map(\.isDifficult) == [true, false, false])
            #expect(
                dataset.boxes.map { [$0.x, $0.y, $0.width, $0.height, $0.area] } == [
                    [10, 5, 20, 10, 200], [0, 0, 100, 50, 5000], [1, 2, 3, 4, 12],
                ])
            #expect(
                dataset.notes.map(\.summary) == [
                    "image ids are the records' 1-based positions (image/source_id is not a distinct number in every record)",
                    "image/object/class/label absent: categories are the class texts numbered 1...2 in sorted order (give --label-map for the model's ids)",
                    "image/filename absent in 1 of 2 records: file names are the source ids",
                    "image/object/difficult absent in 1 of 2 records: no box is difficult",
                    "image/object/is_crowd absent in 2 of 2 records: no box is a crowd",
                    "image/object/area absent in 2 of 2 records: areas are width x height",
                ])
            #expect(dataset.notes.allSatisfy { $0.severity == .info && $0.code == "tfrecord-defaults" })

            // With a label map, the texts take its ids; a text it lacks is an error naming the record.
            let map = try LabelMap.parse(Array("item { id: 7 name: 'dog' } item { id: 9 name: 'cat' }".utf8), path: "m")
            #expect(try TFRecordDatasetReader.read(path: path, labelMap: map).boxes.map(\.categoryID) == [7, 9, 7])
            let partial = try LabelMap.parse(Array("item { id: 7 name: 'dog' }".utf8), path: "m")
            #expect(
                throws: ReadError.malformed(
                    SourceLocation(file: path), problem: "record 1: the class text 'cat' is not in the label map",
                    fix: "add it to the label map, or give the label map the dataset was written with")
            ) {
                try TFRecordDatasetReader.read(path: path, labelMap: partial)
            }
        }
    }

    @Test func recordsThatCannotBeReadSayWhichAndWhy() throws {
        try ReaderScratch.with { scratch in
            func read(_ features: [(String, TFRecordBuilder.Value)]) throws(ReadError) -> GroundTruthDataset {
                let path = scratch.at("x.tfrecord")
                _ = FileManager.default.createFile(
                    atPath: path, contents: Data(TFRecordBuilder.frame([TFRecordBuilder.example(features)])))
                return try TFRecordDatasetReader.read(path: path)
            }
            let image = TFRecordBuilder.image(width: 10, height: 10, filename: "a.jpg", sourceID: "1")
            let box = TFRecordBuilder.boxes("image/object/bbox/", [[1, 1, 2, 2]], width: 10, height: 10)
            let cases: [([(String, TFRecordBuilder.Value)], String)] = [
                (
                    [("image/filename", .bytes(["a.jpg"]))],
                    "record 1: image/height or image/width is missing (the boxes are fractions of the image)"
                ),
                (image + box, "record 1: the boxes have neither image/object/class/label nor image/object/class/text"),
                (
                    image + box + [("image/object/class/label", .ints([1, 2]))],
                    "record 1: image/object/class/label has 2 values for 1 boxes"
                ),
                (
                    image + Array(box.dropFirst()) + [("image/object/class/label", .ints([1]))],
                    "record 1: image/object/bbox/xmin missing beside the other box corners"
                ),
                (
                    image + box + [("image/object/class/label", .floats([1.5]))],
                    "record 1: image/object/class/label holds 1.5, not a whole number"
                ),
                (
                    image + box + [("image/object/class/label", .bytes(["1"]))],
                    "record 1: image/object/class/label is a bytes_list, not an int64_list"
                ),
                (
                    TFRecordBuilder.image(width: 0, height: 10, filename: nil, sourceID: nil),
                    "record 1: the image size 0x10 is not a positive size"
                ),
            ]
            for (features, problem) in cases {
                let error = #expect(throws: ReadError.self) { try read(features) }
                #expect(
                    error?.description.hasPrefix("\(scratch.at("x.tfrecord")): \(problem);") == true,
                    "\(String(describing: error))")
            }
        }
    }

    @Test func theFormatIsDetectedFromTheFraming() throws {
        for path in [
            "tfrecord/coco/gt.tfrecord", "tfrecord/tf/coco-gt.tfrecord.gz", "tfrecord/visdrone/gt",
            "tfrecord/visdrone/gt/visdrone-gt-?????-of-00002",
        ] {
            #expect(try FormatDetection.datasetFormat(at: ReaderFixtures.path(path)) == .tfrecord, "\(path)")
        }
        for path in ["tfrecord/coco/dt.tfrecord", "tfrecord/visdrone/results-A.tfrecord.gz"] {
            #expect(try FormatDetection.detectionFormat(at: ReaderFixtures.path(path)) == .tfrecord, "\(path)")
        }
        // A folder with a label map beside the shards is still TFRecord; the label map is not read as a shard.
        #expect(
            try TFRecordInput.files(ReaderFixtures.path("tfrecord/coco")).map { ($0 as NSString).lastPathComponent }
                == ["dt.tfrecord", "gt.tfrecord"])
        #expect(throws: ReadError.notFound(path: ReaderFixtures.path("tfrecord/none-*"))) {
            try TFRecordInput.files(ReaderFixtures.path("tfrecord/none-*"))
        }
    }

    @Test func aDamagedShardInAFolderIsRefusedNotSkipped() throws {
        try ReaderScratch.with { scratch in
            let good = TFRecordBuilder.frame([
                TFRecordBuilder.example(TFRecordBuilder.image(width: 4, height: 4, filename: "a.jpg", sourceID: "1"))
            ])
            try scratch.write("shards/data-00000-of-00002", bytes: good)
            let empty = try scratch.write("shards/data-00001-of-00002", bytes: [])
            try scratch.write("shards/label_map.pbtxt", "item { id: 1 name: 'a' }")
            #expect(try TFRecordInput.files(scratch.at("shards")) == [scratch.at("shards/data-00000-of-00002"), empty])
            #expect(throws: ReadError.empty(path: empty)) { try TFRecordDatasetReader.read(path: scratch.at("shards")) }
        }
    }

    @Test func pixelsAreRecoveredFromThirtyTwoBitFractions() {
        // 258.15 / 640 as a float is off by 7e-6 pixels; the shortest decimal giving the same float is 258.15.
        let fraction = Float(258.15 / 640)
        #expect(Double(fraction) * 640 != 258.15)
        #expect(TFRecordInput.pixel(fraction, side: 640) == (258.15, 2))
        #expect(TFRecordInput.pixel(Float(1344.0 / 2000), side: 2000) == (1344, 0))
        let left = TFRecordInput.pixel(Float(258.15 / 640), side: 640)
        let right = TFRecordInput.pixel(Float((258.15 + 41.3) / 640), side: 640)
        #expect(TFRecordInput.extent(from: left, to: right) == 41.3)
        #expect(TFRecordInput.shortestDecimal(Float(0.236)) == 0.236)
    }
}

/// The TFRecord detections reader: keys, image references, padding.
@Suite struct TFRecordResultsReaderTests {
    @Test func theCocoFixtureGivesTheResultsFileRowsWithoutItsPadding() throws {
        let batch = try TFRecordResultsReader.read(path: ReaderFixtures.path("tfrecord/coco/dt.tfrecord"))
        let json = try CocoResultsReader.read(
            path: ReaderFixtures.path("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json"))
        #expect(batch.format == .tfrecord)
        #expect(batch.boxEncoding == .xywh)
        #expect(batch.count == 734)
        func rows(_ batch: DetectionBatch) -> [ImageKey: [[Double]]] {
            var rows: [ImageKey: [[Double]]] = [:]
            for i in 0..<batch.count {
                guard case .id(let category) = batch.categoryKeys[i] else { return [:] }
                rows[batch.imageKeys[i], default: []].append(
                    [Double(category), batch.scores[i], batch.a[i], batch.b[i], batch.c[i], batch.d[i]])
            }
            return rows
        }
        // Same rows, bit for bit, in the same order within each image.
        #expect(rows(batch) == rows(json))
        #expect(
            batch.notes == [
                Finding(
                    code: "tfrecord-padding", severity: .info,
                    summary:
                        "dropped 164 padding slots (62 beyond image/detection/num_detections, 102 with score 0 and an all-zero box); 734 detections kept",
                    count: 164)
            ])
        #expect(batch.location(ofRow: 0).description == ReaderFixtures.path("tfrecord/coco/dt.tfrecord") + ":1")
    }

    @Test func imagesAreReferredToBySourceIDThenFileName() throws {
        try ReaderScratch.with { scratch in
            let detection =
                TFRecordBuilder.boxes("image/detection/bbox/", [[1, 2, 3, 4]], width: 10, height: 10)
                + [("image/detection/label", .ints([1])), ("image/detection/score", .floats([0.5]))]
            let records = [
                TFRecordBuilder.image(width: 10, height: 10, filename: "a.jpg", sourceID: "42"),
                TFRecordBuilder.image(width: 10, height: 10, filename: "b.jpg", sourceID: "b-key"),
                TFRecordBuilder.image(width: 10, height: 10, filename: nil, sourceID: "c-key"),
            ].map { TFRecordBuilder.example($0 + detection) }
            let path = try scratch.write("dt.tfrecord", bytes: TFRecordBuilder.frame(records))
            let batch = try TFRecordResultsReader.read(path: path)
            #expect(batch.imageKeys == [.id(42), .name("b.jpg"), .name("c-key")])
            #expect(batch.a == [1, 1, 1])
            #expect(batch.d == [4, 4, 4])

            let anonymous = try scratch.write(
                "anon.tfrecord",
                bytes: TFRecordBuilder.frame([TFRecordBuilder.example([("image/height", .ints([10]))] + detection)]))
            let error = #expect(throws: ReadError.self) { try TFRecordResultsReader.read(path: anonymous) }
            #expect(
                error?.description.contains(
                    "record 1: neither image/source_id nor image/filename says which image the detections are of")
                    == true)
        }
    }

    @Test func withoutImageSizesTheFractionsAreKeptForTheDiagnosis() throws {
        try ReaderScratch.with { scratch in
            let record = TFRecordBuilder.example(
                [("image/source_id", .bytes(["7"]))]
                    + [
                        ("image/detection/bbox/ymin", .floats([0.25, 0])),
                        ("image/detection/bbox/xmin", .floats([0.5, 0])),
                        ("image/detection/bbox/ymax", .floats([0.75, 0])),
                        ("image/detection/bbox/xmax", .floats([1, 0])),
                        ("image/detection/label", .ints([3, 0])), ("image/detection/score", .floats([0.9, 0])),
                        ("image/detection/num_detections", .ints([2])),
                    ])
            let path = try scratch.write("dt.tfrecord", bytes: TFRecordBuilder.frame([record]))
            let batch = try TFRecordResultsReader.read(path: path)
            #expect(batch.boxEncoding == .normalizedCorners)
            #expect(batch.count == 1)
            #expect([batch.a[0], batch.b[0], batch.c[0], batch.d[0]] == [0.25, 0.5, 0.75, 1])
            #expect(batch.scores == [0.9])
            #expect(
                batch.notes.map(\.summary) == [
                    "dropped 1 padding slot (1 with score 0 and an all-zero box); 1 detection kept",
                    "image/height or image/width absent in some records: boxes are scaled with the dataset's image sizes",
                ])
            #expect(BoxEncoding.normalizedCorners.reading == BoxReading(layout: .yxyx, scale: .normalized))
        }
    }
}
