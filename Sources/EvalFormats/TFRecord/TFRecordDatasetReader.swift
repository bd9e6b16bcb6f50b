/// Reads ground truth from TFRecord files of `tf.train.Example`s written for the TensorFlow Object Detection API.
///
/// Keys read per record: `image/height`, `image/width` (required: boxes are normalized), `image/filename`,
/// `image/source_id`, `image/object/bbox/{ymin,xmin,ymax,xmax}` (fractions of the image), `image/object/class/label`,
/// `image/object/class/text`, `image/object/difficult`, `image/object/is_crowd` and `image/object/area`; other keys
/// (`image/encoded`, ...) are skipped. A key that is absent takes a default that the import summary states (an
/// `info` finding, `tfrecord-defaults`).
public enum TFRecordDatasetReader {
    /// Reads the dataset at `path` (a file, a folder of shards or a glob), with category names from `labelMap`
    /// when given, else from the class texts.
    ///
    /// Images are the records in file order (files sorted). Image ids are the `source_id`s when every record has a
    /// distinct whole-number one (COCO's image ids), else the records' 1-based positions; file names are
    /// `image/filename` (else the `source_id`). Categories are the label map's items, or the (label, text) pairs
    /// the records use. Throws `.corruptRecord` for broken framing and `.malformed` naming the file and the record
    /// for missing sizes, lists of different lengths, a label not in the label map, or a record that is not an
    /// `Example`.
    public static func read(path: String, labelMap: LabelMap? = nil) throws(ReadError) -> GroundTruthDataset {
        let files = try TFRecordInput.files(path)
        var images: [ImageRecord] = []
        var boxes: [GroundTruthBox] = []
        var sourceIDs: [String?] = []
        var textOnlyBoxes: [(box: Int, text: String, features: TFRecordFeatures)] = []
        var namesByID: [Int64: String] = [:]
        var absent: [String: Int] = [:]
        var recordsWithBoxes = 0
        try TFRecordInput.forEachExample(in: files) { (fileIndex, number, example) throws(ReadError) in
            let features = TFRecordFeatures(example: example, file: files[fileIndex], record: number)
            let imageIndex = images.count
            guard let size = try features.imageSize() else {
                throw features.failure(
                    "image/height or image/width is missing (the boxes are fractions of the image)",
                    fix: "write image/height and image/width into every Example")
            }
            let sourceID = try features.string("image/source_id")
            let recordedName = try features.string("image/filename")
            if recordedName == nil { absent["image/filename", default: 0] += 1 }
            let fileName = recordedName ?? sourceID ?? "record-\(imageIndex + 1)"
            sourceIDs.append(sourceID)
            images.append(
                ImageRecord(id: Int64(imageIndex + 1), fileName: fileName, width: size.width, height: size.height))

            let corners = try features.corners("image/object/bbox/")
            let count = corners.ymin.count
            guard count > 0 else { return }
            recordsWithBoxes += 1
            let labels = try features.perObject(
                try features.integers("image/object/class/label"), "image/object/class/label", count: count)
            let texts = try features.perObject(
                try features.strings("image/object/class/text"), "image/object/class/text", count: count)
            let difficult = try features.perObject(
                try features.integers("image/object/difficult"), "image/object/difficult", count: count)
            let crowd = try features.perObject(
                try features.integers("image/object/is_crowd"), "image/object/is_crowd", count: count)
            let areas = try features.perObject(
                try features.floats("image/object/area"), "image/object/area", count: count)
            if labels == nil { absent["image/object/class/label", default: 0] += 1 }
            if difficult == nil { absent["image/object/difficult", default: 0] += 1 }
            if crowd == nil { absent["image/object/is_crowd", default: 0] += 1 }
            if areas == nil { absent["image/object/area", default: 0] += 1 }
            guard labels != nil || texts != nil else {
                throw features.failure(
                    "the boxes have neither image/object/class/label nor image/object/class/text",
                    fix: "write the class of every box in image/object/class/label (or class/text with a --label-map)")
            }
            let width = Double(size.width)
            let height = Double(size.height)
            for object in 0..<count {
                let left = TFRecordInput.pixel(corners.xmin[object], side: width)
                let right = TFRecordInput.pixel(corners.xmax[object], side: width)
                let top = TFRecordInput.pixel(corners.ymin[object], side: height)
                let bottom = TFRecordInput.pixel(corners.ymax[object], side: height)
                let boxWidth = TFRecordInput.extent(from: left, to: right)
                let boxHeight = TFRecordInput.extent(from: top, to: bottom)
                var category: Int64 = 0
                if let labels {
                    category = labels[object]
                    if let text = texts?[object], namesByID[category] == nil { namesByID[category] = text }
                } else if let text = texts?[object] {
                    textOnlyBoxes.append((boxes.count, text, features))
                }
                boxes.append(
                    GroundTruthBox(
                        imageIndex: imageIndex, categoryID: category, x: left.value, y: top.value,
                        width: boxWidth, height: boxHeight,
                        area: areas.map { TFRecordInput.shortestDecimal($0[object]) },
                        isCrowd: (crowd?[object] ?? 0) != 0, isDifficult: (difficult?[object] ?? 0) != 0,
                        location: SourceLocation(file: features.file, line: number)))
            }
        }
        guard !images.isEmpty else {
            throw .malformed(
                SourceLocation(file: path), problem: "no record in the TFRecord file(s)",
                fix: "give the TFRecord files that hold the dataset's Examples")
        }

        var notes: [String] = []
        // Image ids: COCO-style numeric source ids when they identify every image.
        let numericIDs = sourceIDs.compactMap { $0.flatMap { Int64($0) } }
        if numericIDs.count == images.count && Set(numericIDs).count == images.count {
            for index in images.indices { images[index].id = numericIDs[index] }
        } else {
            notes.append(
                "image ids are the records' 1-based positions (image/source_id is not a distinct number in every record)"
            )
        }

        // Categories: the label map, else the labels with their texts, else the texts numbered in sorted order.
        var categories: [CategoryRecord]
        if let labelMap {
            categories = labelMap.categories
            for entry in textOnlyBoxes {
                guard let item = labelMap.item(named: entry.text) else {
                    throw entry.features.failure(
                        "the class text '\(entry.text)' is not in the label map",
                        fix: "add it to the label map, or give the label map the dataset was written with")
                }
                boxes[entry.box].categoryID = item.id
            }
            let known = Set(categories.map(\.id))
            if let unknown = boxes.first(where: { !known.contains($0.categoryID) }) {
                throw .malformed(
                    unknown.location ?? SourceLocation(file: path),
                    problem:
                        "label \(unknown.categoryID) is not in the label map (record \(unknown.location?.line ?? 0))",
                    fix: "give the label map the dataset was written with")
            }
            notes.append("category names from the label map (\(plural(categories.count, "item")))")
        } else if textOnlyBoxes.isEmpty {
            let ids = Set(boxes.map(\.categoryID)).sorted()
            categories = ids.map { CategoryRecord(id: $0, name: namesByID[$0] ?? "\($0)") }
            let unnamed = ids.filter { namesByID[$0] == nil }
            if !unnamed.isEmpty {
                notes.append(
                    "\(plural(unnamed.count, "category")) without a class text or a label map are named by their label")
            }
            notes.append("categories are the labels the boxes use (give --label-map for the full list and names)")
        } else {
            guard textOnlyBoxes.count == boxes.count else {
                throw textOnlyBoxes[0].features.failure(
                    "some records have image/object/class/label and others only class/text",
                    fix: "give --label-map so that the texts can be turned into the labels")
            }
            let texts = Set(textOnlyBoxes.map(\.text)).sorted()
            categories = texts.enumerated().map { CategoryRecord(id: Int64($0.offset + 1), name: $0.element) }
            let idOf = Dictionary(uniqueKeysWithValues: categories.map { ($0.name, $0.id) })
            for entry in textOnlyBoxes { boxes[entry.box].categoryID = idOf[entry.text]! }
            notes.append(
                "image/object/class/label absent: categories are the class texts numbered 1...\(texts.count) in sorted order (give --label-map for the model's ids)"
            )
        }
        let defaults: [(key: String, meaning: String)] = [
            ("image/filename", "file names are the source ids"),
            ("image/object/difficult", "no box is difficult"),
            ("image/object/is_crowd", "no box is a crowd"),
            ("image/object/area", "areas are width x height"),
        ]
        for (key, meaning) in defaults {
            guard let count = absent[key] else { continue }
            let total = key == "image/filename" ? images.count : recordsWithBoxes
            notes.append("\(key) absent in \(count) of \(plural(total, "record")): \(meaning)")
        }
        var dataset = GroundTruthDataset(format: .tfrecord, categories: categories, images: images, boxes: boxes)
        dataset.notes = notes.map {
            Finding(code: "tfrecord-defaults", severity: .info, summary: $0, count: 0)
        }
        return dataset
    }
}
