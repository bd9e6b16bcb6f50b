import Dispatch
import EvalFormats
import EvalKit
import EvalSQLite
import EvalStore

/// Loads a stored dataset and run into the structure-of-arrays inputs of EvalKit.
///
/// Images are numbered by the dataset's order (`images.id` order, i.e. file order); detections come back
/// in input (`seq`) order, although the table is clustered by image: they are read in clustered order
/// and put back in `seq` order with one counting pass.
struct EvaluationInputLoader {
    let database: Database
    /// Runs at least this large are read in two halves side by side (tests lower it).
    let splitThreshold: Int

    init(_ database: Database, splitThreshold: Int = 200_000) {
        self.database = database
        self.splitThreshold = splitThreshold
    }

    /// The dataset's ground truth and the run's detections. On a database file, a second read-only
    /// connection reads the ground truth while this one reads the run's rows; a run of `splitThreshold` rows or
    /// more is read in two halves by image instead, by two more read-only connections.
    func inputs(datasetID: Int64, runID: Int64) throws -> EvaluationInputs {
        let path = database.path
        let immutable = database.isImmutable
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            let (groundTruth, imageRowIDs, boxRowIDs) = try groundTruth(datasetID: datasetID)
            let (detections, seq) = try detections(runID: runID, imageRowIDs: imageRowIDs)
            return EvaluationInputs(
                groundTruth: groundTruth, imageRowIDs: imageRowIDs, boxRowIDs: boxRowIDs, detections: detections,
                seq: seq)
        }
        var rowIDs: [Int64] = []
        let images = try datasetRows(of: "images", columns: "id", datasetID: datasetID)
        while try images.step() { rowIDs.append(images.int64(at: 0)) }
        let imageRowIDs = rowIDs
        @Sendable func reader() throws -> EvaluationInputLoader {
            EvaluationInputLoader(try Database(path: path, readOnly: true, create: false, immutable: immutable))
        }
        // This connection is used by one worker only while the others open their own.
        let side = SideLoad(self)
        let count = try detectionCount(runID: runID)
        if count >= splitThreshold && imageRowIDs.count >= 2 {
            // The run's rows in two halves by image, each read by a connection of its own, beside the ground truth:
            // at 5M detections reading rows is most of the load.
            var detections = EvalDetections(unfilled: count)
            let index = ImageIndex(rowIDs: imageRowIDs)
            let middle = imageRowIDs[imageRowIDs.count / 2]
            let halves = HalfReads()
            SeqSlots.with(&detections) { slots in
                DispatchQueue.concurrentPerform(iterations: 3) { part in
                    guard part > 0 else {
                        side.groundTruth = Result { try reader().groundTruth(datasetID: datasetID) }
                        return
                    }
                    let result = Result {
                        try reader().fill(
                            slots, runID: runID, count: count, index: index,
                            imageRows: part == 1 ? (Int64.min, middle) : (middle, Int64.max))
                    }
                    if part == 1 { halves.first = result } else { halves.second = result }
                }
            }
            // Both halves must be read whole, from the same content of the run (each connection has its own
            // snapshot: a replace between them could reuse the run's id), and fill every slot once.
            if case .success(let first?) = halves.first, case .success(let second?) = halves.second,
                first.sha256 == second.sha256, first.count == count, second.count == count,
                first.filled + second.filled == count, !detections.image.contains(-1)
            {
                side.detections = .success((detections, Array(0..<Int64(count))))
            } else {
                side.detections = Result { try self.detections(runID: runID, imageRowIDs: imageRowIDs) }
            }
        } else {
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 {
                    side.groundTruth = Result { try reader().groundTruth(datasetID: datasetID) }
                } else {
                    side.detections = Result { try side.loader.detections(runID: runID, imageRowIDs: imageRowIDs) }
                }
            }
        }
        guard let loadedGroundTruth = side.groundTruth, let loadedDetections = side.detections else {
            preconditionFailure("concurrentPerform ran every part")
        }
        let (groundTruth, gtImageRowIDs, boxRowIDs) = try loadedGroundTruth.get()
        let (detections, seq) = try loadedDetections.get()
        // Both connections read one snapshot each; another import of the dataset between them is the only way
        // for the image lists to differ, and then the run is read again against the ground truth's.
        guard gtImageRowIDs == imageRowIDs else {
            let (detections, seq) = try self.detections(runID: runID, imageRowIDs: gtImageRowIDs)
            return EvaluationInputs(
                groundTruth: groundTruth, imageRowIDs: gtImageRowIDs, boxRowIDs: boxRowIDs, detections: detections,
                seq: seq)
        }
        return EvaluationInputs(
            groundTruth: groundTruth, imageRowIDs: imageRowIDs, boxRowIDs: boxRowIDs, detections: detections,
            seq: seq)
    }

    /// A dataset's rows of `table` (images or gt_boxes) in row id order. One import writes them, so they are
    /// one range of row ids: reading that range of the table (still filtered by dataset) beats going through a
    /// (dataset, ...) index, which costs a lookup per row and a sort.
    private func datasetRows(of table: String, columns: String, datasetID: Int64) throws -> Statement {
        let range = try database.fetchOne(
            "SELECT min(id), max(id) FROM \(table) WHERE dataset_id = ?", [.integer(datasetID)])
        let statement = try database.prepare(
            "SELECT \(columns) FROM \(table) NOT INDEXED WHERE id BETWEEN ? AND ? AND dataset_id = ? ORDER BY id")
        try statement.bind([range?[0] ?? .integer(0), range?[1] ?? .integer(-1), .integer(datasetID)])
        return statement
    }

    private func detectionCount(runID: Int64) throws -> Int {
        try database.fetchValue("SELECT detection_count FROM runs WHERE id = ?", [.integer(runID)]).int ?? 0
    }

    /// The dataset's ground truth, with `imageRowIDs[i]` = `images.id` of image `i` and `boxRowIDs[j]` =
    /// `gt_boxes.id` of box `j`.
    func groundTruth(datasetID: Int64) throws -> (
        groundTruth: EvalGroundTruth, imageRowIDs: [Int64], boxRowIDs: [Int64]
    ) {
        var imageIDs: [Int64] = []
        var widths: [Int] = []
        var heights: [Int] = []
        var rowIDs: [Int64] = []
        let images = try datasetRows(of: "images", columns: "id, external_id, width, height", datasetID: datasetID)
        while try images.step() {
            rowIDs.append(images.int64(at: 0))
            imageIDs.append(images.int64(at: 1))
            widths.append(Int(images.int64(at: 2)))
            heights.append(Int(images.int64(at: 3)))
        }
        let categories = try database.fetchAll(
            "SELECT category_id FROM categories WHERE dataset_id = ? ORDER BY category_id", [.integer(datasetID)]
        ).compactMap { $0[0].int64 }
        var groundTruth = EvalGroundTruth(
            imageIDs: imageIDs, imageWidths: widths, imageHeights: heights, categoryIDs: categories)
        let index = ImageIndex(rowIDs: rowIDs)
        var boxRowIDs: [Int64] = []
        let boxes = try datasetRows(
            of: "gt_boxes",
            columns: """
                id, image_id, category_id, x, y, w, h, area, is_crowd, is_ignored, is_difficult,
                coalesce(annotation_id, id)
                """, datasetID: datasetID)
        while try boxes.step() {
            boxRowIDs.append(boxes.int64(at: 0))
            groundTruth.appendBox(
                image: index.position(of: boxes.int64(at: 1)), category: boxes.int64(at: 2), x: boxes.double(at: 3),
                y: boxes.double(at: 4), width: boxes.double(at: 5), height: boxes.double(at: 6),
                area: boxes.double(at: 7), isCrowd: boxes.int64(at: 8) != 0, isIgnored: boxes.int64(at: 9) != 0,
                isDifficult: boxes.int64(at: 10) != 0, annotationID: boxes.int64(at: 11))
        }
        let regions = try database.prepare(
            """
            SELECT r.image_id, r.x, r.y, r.w, r.h FROM ignored_regions r JOIN images i ON i.id = r.image_id
            WHERE i.dataset_id = ? ORDER BY r.id
            """)
        try regions.bind([.integer(datasetID)])
        while try regions.step() {
            groundTruth.appendRegion(
                image: index.position(of: regions.int64(at: 0)), x: regions.double(at: 1), y: regions.double(at: 2),
                width: regions.double(at: 3), height: regions.double(at: 4))
        }
        return (groundTruth, rowIDs, boxRowIDs)
    }

    /// A run's detections in `seq` order, images numbered as in `groundTruth(datasetID:)`.
    /// `seq[i]` is the stored `seq` of detection `i`.
    func detections(runID: Int64, imageRowIDs: [Int64]) throws -> (detections: EvalDetections, seq: [Int64]) {
        let count = try detectionCount(runID: runID)
        return try rowDetections(runID: runID, count: count, index: ImageIndex(rowIDs: imageRowIDs))
    }

    /// Reads the run row by row.
    private func rowDetections(runID: Int64, count: Int, index: ImageIndex) throws -> (
        detections: EvalDetections, seq: [Int64]
    ) {
        // Imports number a run's rows 0..<count when nothing was dropped: read in clustered (image, seq)
        // order straight into the slot each seq names. Anything else falls back to ORDER BY seq.
        guard count > 0 else { return try detectionsSortedBySeq(runID: runID, index: index) }
        var detections = EvalDetections(unfilled: count)
        let statement = try database.prepare(
            "SELECT seq, image_id, category_id, score, x, y, w, h FROM detections WHERE run_id = ?")
        try statement.bind([.integer(runID)])
        let filled = try SeqSlots.with(&detections) { slots in
            try Self.fillSlots(from: statement, into: slots, count: count, index: index)
        }
        guard filled == count else { return try detectionsSortedBySeq(runID: runID, index: index) }
        return (detections, Array(0..<Int64(count)))
    }

    /// Reads the run's rows whose image row id is in `imageRows` (lower bound included, upper excluded) into the
    /// slots their `seq` names, in one read transaction. Returns nil when a row's `seq` is not a free slot of
    /// `0..<count` (the caller then reads the run with one connection, in `seq` order).
    fileprivate func fill(
        _ slots: SeqSlots, runID: Int64, count: Int, index: ImageIndex, imageRows: (Int64, Int64)
    ) throws -> (sha256: String, count: Int, filled: Int)? {
        try database.read {
            guard
                let run = try database.fetchOne(
                    "SELECT sha256, detection_count FROM runs WHERE id = ?", [.integer(runID)]),
                let sha = run[0].string, let stored = run[1].int
            else { return nil }
            let statement = try database.prepare(
                """
                SELECT seq, image_id, category_id, score, x, y, w, h FROM detections
                WHERE run_id = ? AND image_id >= ? AND image_id < ?
                """)
            try statement.bind([.integer(runID), .integer(imageRows.0), .integer(imageRows.1)])
            guard let filled = try Self.fillSlots(from: statement, into: slots, count: count, index: index) else {
                return nil
            }
            return (sha, stored, filled)
        }
    }

    /// Reads `statement`'s rows (seq, image_id, category_id, score, x, y, w, h) into the slots their `seq` names.
    /// Returns how many it filled, or nil at the first `seq` that is not a free slot of `0..<count`.
    fileprivate static func fillSlots(from statement: Statement, into slots: SeqSlots, count: Int, index: ImageIndex)
        throws -> Int?
    {
        var lastRowID: Int64 = -1
        var lastPosition: Int32 = 0
        var filled = 0
        while try statement.step() {
            let seq = statement.int64(at: 0)
            guard seq >= 0 && seq < Int64(count) && slots.image[Int(seq)] < 0 else { return nil }
            let rowID = statement.int64(at: 1)
            if rowID != lastRowID {
                lastRowID = rowID
                lastPosition = index.position(of: rowID)
            }
            let slot = Int(seq)
            slots.image[slot] = lastPosition
            slots.category[slot] = statement.int64(at: 2)
            slots.score[slot] = statement.double(at: 3)
            slots.x[slot] = statement.double(at: 4)
            slots.y[slot] = statement.double(at: 5)
            slots.width[slot] = statement.double(at: 6)
            slots.height[slot] = statement.double(at: 7)
            filled += 1
        }
        return filled
    }

    private func detectionsSortedBySeq(runID: Int64, index: ImageIndex) throws -> (
        detections: EvalDetections, seq: [Int64]
    ) {
        var detections = EvalDetections()
        var seqs: [Int64] = []
        let statement = try database.prepare(
            "SELECT seq, image_id, category_id, score, x, y, w, h FROM detections WHERE run_id = ? ORDER BY seq")
        try statement.bind([.integer(runID)])
        while try statement.step() {
            seqs.append(statement.int64(at: 0))
            detections.append(
                image: index.position(of: statement.int64(at: 1)), category: statement.int64(at: 2),
                score: statement.double(at: 3), x: statement.double(at: 4), y: statement.double(at: 5),
                width: statement.double(at: 6), height: statement.double(at: 7))
        }
        return (detections, seqs)
    }
}

/// Results of the two halves of `EvaluationInputLoader.inputs`, each written by one worker.
private final class SideLoad: @unchecked Sendable {
    let loader: EvaluationInputLoader
    var groundTruth: Result<(groundTruth: EvalGroundTruth, imageRowIDs: [Int64], boxRowIDs: [Int64]), any Error>?
    var detections: Result<(detections: EvalDetections, seq: [Int64]), any Error>?

    init(_ loader: EvaluationInputLoader) { self.loader = loader }
}

/// The two halves' results.
private final class HalfReads: @unchecked Sendable {
    var first: Result<(sha256: String, count: Int, filled: Int)?, any Error>?
    var second: Result<(sha256: String, count: Int, filled: Int)?, any Error>?
}

/// The columns of `EvalDetections` as raw storage, for readers filling disjoint slots from several threads.
private struct SeqSlots: @unchecked Sendable {
    let image: UnsafeMutablePointer<Int32>
    let category: UnsafeMutablePointer<Int64>
    let score: UnsafeMutablePointer<Double>
    let x: UnsafeMutablePointer<Double>
    let y: UnsafeMutablePointer<Double>
    let width: UnsafeMutablePointer<Double>
    let height: UnsafeMutablePointer<Double>

    /// Calls `body` with the storage of `detections`' columns (all of one length, not empty).
    static func with<T>(_ detections: inout EvalDetections, _ body: (SeqSlots) throws -> T) rethrows -> T {
        try detections.image.withUnsafeMutableBufferPointer { image in
            try detections.category.withUnsafeMutableBufferPointer { category in
                try detections.score.withUnsafeMutableBufferPointer { score in
                    try detections.x.withUnsafeMutableBufferPointer { x in
                        try detections.y.withUnsafeMutableBufferPointer { y in
                            try detections.width.withUnsafeMutableBufferPointer { width in
                                try detections.height.withUnsafeMutableBufferPointer { height in
                                    try body(
                                        SeqSlots(
                                            image: image.baseAddress!, category: category.baseAddress!,
                                            score: score.baseAddress!, x: x.baseAddress!, y: y.baseAddress!,
                                            width: width.baseAddress!, height: height.baseAddress!))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Maps `images.id` row ids to positions, with an array when the ids are contiguous (as imports write them).
struct ImageIndex {
    private let first: Int64
    private let contiguous: Bool
    private let positions: [Int64: Int32]

    init(rowIDs: [Int64]) {
        let first = rowIDs.first ?? 0
        self.first = first
        contiguous = rowIDs.enumerated().allSatisfy { $0.element == first + Int64($0.offset) }
        positions = contiguous ? [:] : Dictionary(uniqueKeysWithValues: rowIDs.enumerated().map { ($1, Int32($0)) })
    }

    func position(of rowID: Int64) -> Int32 {
        contiguous ? Int32(rowID - first) : positions[rowID] ?? -1
    }
}
