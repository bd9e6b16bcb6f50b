/// Reads detections from TFRecord files of `tf.train.Example`s, as the TensorFlow Object Detection API's inference
/// tool writes them: `image/detection/bbox/{ymin,xmin,ymax,xmax}` (fractions of the image),
/// `image/detection/label` (label-map ids) and `image/detection/score`, next to the input's `image/*` keys.
public enum TFRecordResultsReader {
    /// Reads the detections at `path` (a file, a folder of shards or a glob).
    ///
    /// Each record's detections refer to their image by `image/source_id` when it is a whole number (COCO's image
    /// ids), else by `image/filename`, else by the `source_id` as a name. Padding slots are dropped and counted
    /// (an `info` finding, `tfrecord-padding`): rows beyond `image/detection/num_detections` where present, and
    /// rows with score 0 and an all-zero box. When every record carries `image/height` and `image/width`, boxes are
    /// converted to pixels here (recovering the decimals a pixel box was written with, see
    /// `TFRecordInput.pixel`); otherwise the batch keeps the fractions (`yxyx-normalized`) and the diagnosis scales
    /// them with the dataset's image sizes. Scores are read as the shortest decimal of their 32-bit float. Rows
    /// record the record's number in place of a line. Throws `.corruptRecord` and `.malformed` naming the file and
    /// the record.
    public static func read(path: String) throws(ReadError) -> DetectionBatch {
        let files = try TFRecordInput.files(path)
        struct Record {
            var image: ImageKey
            var size: (width: Int, height: Int)?
            var corners: (ymin: [Float], xmin: [Float], ymax: [Float], xmax: [Float])
            var labels: [Int64]
            var scores: [Float]
            var file: Int32
            var number: Int32
        }
        var records: [Record] = []
        var beyondCount = 0
        var emptySlots = 0
        try TFRecordInput.forEachExample(in: files) { (fileIndex, number, example) throws(ReadError) in
            let features = TFRecordFeatures(example: example, file: files[fileIndex], record: number)
            let sourceID = try features.string("image/source_id")
            let image: ImageKey
            if let sourceID, let id = Int64(sourceID) {
                image = .id(id)
            } else if let name = try features.string("image/filename") ?? sourceID {
                image = .name(name)
            } else {
                throw features.failure(
                    "neither image/source_id nor image/filename says which image the detections are of",
                    fix: "write image/source_id or image/filename into every Example")
            }
            var corners = try features.corners("image/detection/bbox/")
            var count = corners.ymin.count
            let fix = "write one label and one score per box (image/detection/label, image/detection/score)"
            guard
                var labels = try features.perObject(
                    try features.integers("image/detection/label"), "image/detection/label", count: count)
                    ?? (count == 0 ? [] : nil)
            else { throw features.failure("image/detection/label is missing beside the boxes", fix: fix) }
            guard
                var scores = try features.perObject(
                    try features.floats("image/detection/score"), "image/detection/score", count: count)
                    ?? (count == 0 ? [] : nil)
            else { throw features.failure("image/detection/score is missing beside the boxes", fix: fix) }
            if let valid = try features.integers("image/detection/num_detections")?.first, valid >= 0, valid < count {
                beyondCount += count - Int(valid)
                count = Int(valid)
                corners = (
                    Array(corners.ymin.prefix(count)), Array(corners.xmin.prefix(count)),
                    Array(corners.ymax.prefix(count)), Array(corners.xmax.prefix(count))
                )
                labels = Array(labels.prefix(count))
                scores = Array(scores.prefix(count))
            }
            records.append(
                Record(
                    image: image, size: try features.imageSize(), corners: corners, labels: labels, scores: scores,
                    file: Int32(fileIndex), number: Int32(number)))
        }
        let hasSizes = records.allSatisfy { $0.size != nil }
        var batch = DetectionBatch(format: .tfrecord, boxEncoding: hasSizes ? .xywh : .normalizedCorners, files: files)
        batch.reserveCapacity(records.reduce(0) { $0 + $1.scores.count })
        for record in records {
            for row in record.scores.indices {
                let (ymin, xmin, ymax, xmax) = (
                    record.corners.ymin[row], record.corners.xmin[row], record.corners.ymax[row],
                    record.corners.xmax[row]
                )
                if record.scores[row] == 0 && ymin == 0 && xmin == 0 && ymax == 0 && xmax == 0 {
                    emptySlots += 1
                    continue
                }
                let score = TFRecordInput.shortestDecimal(record.scores[row])
                let category = CategoryKey.id(record.labels[row])
                if let size = record.size, hasSizes {
                    let left = TFRecordInput.pixel(xmin, side: Double(size.width))
                    let right = TFRecordInput.pixel(xmax, side: Double(size.width))
                    let top = TFRecordInput.pixel(ymin, side: Double(size.height))
                    let bottom = TFRecordInput.pixel(ymax, side: Double(size.height))
                    batch.append(
                        image: record.image, category: category, score: score, left.value, top.value,
                        TFRecordInput.extent(from: left, to: right), TFRecordInput.extent(from: top, to: bottom),
                        file: record.file, line: record.number)
                } else {
                    batch.append(
                        image: record.image, category: category, score: score, Double(ymin), Double(xmin),
                        Double(ymax), Double(xmax), file: record.file, line: record.number)
                }
            }
        }
        if beyondCount + emptySlots > 0 {
            var parts: [String] = []
            if beyondCount > 0 { parts.append("\(beyondCount) beyond image/detection/num_detections") }
            if emptySlots > 0 { parts.append("\(emptySlots) with score 0 and an all-zero box") }
            batch.notes.append(
                Finding(
                    code: "tfrecord-padding", severity: .info,
                    summary:
                        "dropped \(plural(beyondCount + emptySlots, "padding slot")) (\(parts.joined(separator: ", "))); \(plural(batch.count, "detection")) kept",
                    count: beyondCount + emptySlots))
        }
        if !hasSizes {
            batch.notes.append(
                Finding(
                    code: "tfrecord-defaults", severity: .info,
                    summary:
                        "image/height or image/width absent in some records: boxes are scaled with the dataset's image sizes",
                    count: records.count { $0.size == nil }))
        }
        return batch
    }
}
