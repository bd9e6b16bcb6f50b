import EvalKit
import EvalStore
import NIOConcurrencyHelpers
import PostgresNIO

/// Loads a stored dataset and run into EvalKit's structure-of-arrays inputs with one query per table (images,
/// categories, boxes, ignored regions, detections), each streamed and decoded as it arrives. The caller runs it in
/// one snapshot (`PostgresStore.evaluationInputs`).
struct PostgresInputLoader {
    let connection: BlockingConnection

    func inputs(datasetID: Int64, runID: Int64) throws -> EvaluationInputs {
        let dataset: [PostgresBind] = [.integer(datasetID)]
        let images = Collector<(Int64, Int64, Int, Int)>()
        try connection.forEachRow(
            "SELECT id, external_id, width, height FROM images WHERE dataset_id = $1 ORDER BY id", dataset
        ) { row in
            var cells = row.makeIterator()
            images.append(
                (
                    cells.next()?.int64Value ?? 0, cells.next()?.int64Value ?? 0, Int(cells.next()?.int64Value ?? 0),
                    Int(cells.next()?.int64Value ?? 0)
                ))
        }
        let imageRows = images.items
        let categories = try connection.query(
            "SELECT category_id FROM categories WHERE dataset_id = $1 ORDER BY category_id", dataset
        ).valueRows.compactMap { $0[0].int64 }
        let imageRowIDs = imageRows.map(\.0)
        var groundTruth = EvalGroundTruth(
            imageIDs: imageRows.map(\.1), imageWidths: imageRows.map(\.2), imageHeights: imageRows.map(\.3),
            categoryIDs: categories)
        let index = RowIndex(imageRowIDs)
        let boxes = Collector<BoxRow>()
        try connection.forEachRow(
            """
            SELECT id, image_id, category_id, x, y, w, h, area, is_crowd, is_ignored, is_difficult,
                   coalesce(annotation_id, id)
            FROM gt_boxes WHERE dataset_id = $1 ORDER BY id
            """, dataset
        ) { row in
            var c = row.makeIterator()
            boxes.append(
                BoxRow(
                    id: c.next()?.int64Value ?? 0, image: c.next()?.int64Value ?? 0,
                    category: c.next()?.int64Value ?? 0,
                    x: c.next()?.doubleValue ?? 0, y: c.next()?.doubleValue ?? 0, w: c.next()?.doubleValue ?? 0,
                    h: c.next()?.doubleValue ?? 0, area: c.next()?.doubleValue ?? 0,
                    isCrowd: c.next()?.int64Value ?? 0 != 0, isIgnored: c.next()?.int64Value ?? 0 != 0,
                    isDifficult: c.next()?.int64Value ?? 0 != 0, annotationID: c.next()?.int64Value ?? 0))
        }
        var boxRowIDs: [Int64] = []
        for box in boxes.items {
            boxRowIDs.append(box.id)
            groundTruth.appendBox(
                image: index.position(of: box.image), category: box.category, x: box.x, y: box.y, width: box.w,
                height: box.h, area: box.area, isCrowd: box.isCrowd, isIgnored: box.isIgnored,
                isDifficult: box.isDifficult, annotationID: box.annotationID)
        }
        let regions = try connection.query(
            """
            SELECT r.image_id, r.x, r.y, r.w, r.h FROM ignored_regions r JOIN images i ON i.id = r.image_id
            WHERE i.dataset_id = $1 ORDER BY r.id
            """, dataset)
        for row in regions.valueRows {
            groundTruth.appendRegion(
                image: index.position(of: row[0].int64 ?? 0), x: row[1].double ?? 0, y: row[2].double ?? 0,
                width: row[3].double ?? 0, height: row[4].double ?? 0)
        }
        let (detections, seq) = try detections(runID: runID, index: index)
        return EvaluationInputs(
            groundTruth: groundTruth, imageRowIDs: imageRowIDs, boxRowIDs: boxRowIDs, detections: detections, seq: seq)
    }

    /// A run's detections in `seq` order: read in the table's order and put in the slot each seq names, or sorted
    /// by seq when the seqs are not exactly 0..<count.
    private func detections(runID: Int64, index: RowIndex) throws -> (EvalDetections, [Int64]) {
        let rows = Collector<DetectionRow>()
        try connection.forEachRow(
            "SELECT seq, image_id, category_id, score, x, y, w, h FROM detections WHERE run_id = $1", [.integer(runID)]
        ) { row in
            var c = row.makeIterator()
            rows.append(
                DetectionRow(
                    seq: c.next()?.int64Value ?? 0, image: c.next()?.int64Value ?? 0,
                    category: c.next()?.int64Value ?? 0, score: c.next()?.doubleValue ?? 0,
                    x: c.next()?.doubleValue ?? 0, y: c.next()?.doubleValue ?? 0, w: c.next()?.doubleValue ?? 0,
                    h: c.next()?.doubleValue ?? 0))
        }
        var items = rows.items
        let count = items.count
        var isDense = true
        var seen = [Bool](repeating: false, count: count)
        for item in items {
            guard item.seq >= 0 && item.seq < Int64(count) && !seen[Int(item.seq)] else {
                isDense = false
                break
            }
            seen[Int(item.seq)] = true
        }
        if !isDense { items.sort { $0.seq < $1.seq } }
        var detections = EvalDetections(unfilled: count)
        var seq = [Int64](repeating: 0, count: count)
        for (position, item) in items.enumerated() {
            let slot = isDense ? Int(item.seq) : position
            seq[slot] = item.seq
            detections.image[slot] = index.position(of: item.image)
            detections.category[slot] = item.category
            detections.score[slot] = item.score
            detections.x[slot] = item.x
            detections.y[slot] = item.y
            detections.width[slot] = item.w
            detections.height[slot] = item.h
        }
        return (detections, seq)
    }
}

private struct BoxRow: Sendable {
    var id, image, category: Int64
    var x, y, w, h, area: Double
    var isCrowd, isIgnored, isDifficult: Bool
    var annotationID: Int64
}

private struct DetectionRow: Sendable {
    var seq, image, category: Int64
    var score, x, y, w, h: Double
}

/// Rows appended on the connection's thread and read by the caller after the query completed.
private final class Collector<Item: Sendable>: Sendable {
    private let storage = NIOLockedValueBox<[Item]>([])

    func append(_ item: Item) { storage.withLockedValue { $0.append(item) } }

    var items: [Item] { storage.withLockedValue { $0 } }
}

/// Maps `images.id` to image positions: by offset when the ids are contiguous, else by dictionary.
struct RowIndex {
    private let first: Int64
    private let contiguous: Bool
    private let positions: [Int64: Int32]

    init(_ rowIDs: [Int64]) {
        let first = rowIDs.first ?? 0
        self.first = first
        contiguous = rowIDs.enumerated().allSatisfy { $0.element == first + Int64($0.offset) }
        positions = contiguous ? [:] : Dictionary(uniqueKeysWithValues: rowIDs.enumerated().map { ($1, Int32($0)) })
    }

    func position(of rowID: Int64) -> Int32 {
        if contiguous {
            let offset = rowID - first
            return offset >= 0 && offset < Int64(Int32.max) ? Int32(offset) : -1
        }
        return positions[rowID] ?? -1
    }
}
