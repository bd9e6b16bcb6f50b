import EvalSQLite
import EvalStore
import Dispatch
import EvalKit

/// Stores an evaluation's per-detection matches compactly: one `image_matches` row per image with a JSON
/// array holding one `[seq, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75]` entry per detection (in
/// `seq` order; trailing unmatched pairs are left out, an unmatched pair before a matched one is written
/// as `null, null`). The `matches` view unpacks it into one row per detection.
///
/// 500k detections make 5k rows instead of 500k: a fraction of SQLite's per-row cost, and the text is
/// built on all cores.
enum MatchEncoding {
    /// Inserts the rows of `outcomes` (detection `i` is `rows.seq[i]` on image `detectionImages[i]`) for evaluation
    /// `evaluationID`, inside the caller's transaction.
    static func insert(
        _ outcomes: EvaluationResult.DetectionOutcomes, rows: InputRows, detectionImages: [Int32],
        evaluationID: Int64, database: Database
    ) throws {
        let matches = Matches(outcomes: outcomes, rows: rows, image: detectionImages)
        let byImage = detectionsByImage(matches)
        let imageCount = matches.imageRowIDs.count
        let chunkCount = max(1, min(imageCount, 16))
        let chunks = EncodedChunks(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let images = (imageCount * chunk / chunkCount)..<(imageCount * (chunk + 1) / chunkCount)
            chunks.store(chunk, encode(matches, images: images, byImage: byImage))
        }
        let parts = chunks.parts
        let rowCount = parts.reduce(0) { $0 + $1.images.count }
        let insert = try BulkInsert(
            database, table: "image_matches", columns: ["evaluation_id", "image_id", "detections"], total: rowCount)
        for part in parts {
            try part.text.bytes.withUnsafeBufferPointer { bytes in
                for (row, image) in part.images.enumerated() {
                    let text = UnsafeBufferPointer(rebasing: bytes[part.ends[row]..<part.ends[row + 1]])
                    try insert.row { statement, base in
                        statement.bind(int64: evaluationID, at: base + 1)
                        statement.bind(int64: matches.imageRowIDs[image], at: base + 2)
                        try statement.bind(utf8: text, at: base + 3)
                    }
                }
            }
        }
    }

    /// Detection indexes grouped by image, `seq` order kept within an image (a counting sort).
    private static func detectionsByImage(_ matches: Matches) -> (start: [Int], order: [Int32]) {
        var start = [Int](repeating: 0, count: matches.imageRowIDs.count + 1)
        for image in matches.image { start[Int(image) + 1] += 1 }
        for k in 0..<matches.imageRowIDs.count { start[k + 1] += start[k] }
        var next = start
        var order = [Int32](repeating: 0, count: matches.count)
        for (i, image) in matches.image.enumerated() {
            order[next[Int(image)]] = Int32(i)
            next[Int(image)] += 1
        }
        return (start, order)
    }

    /// The JSON text of the images in `images` that have detections.
    private static func encode(
        _ m: Matches, images: Range<Int>, byImage: (start: [Int], order: [Int32])
    ) -> EncodedChunk {
        var out = EncodedChunk()
        out.text.bytes.reserveCapacity((byImage.start[images.upperBound] - byImage.start[images.lowerBound]) * 48)
        for image in images where byImage.start[image] < byImage.start[image + 1] {
            out.images.append(image)
            out.text.append("[")
            for position in byImage.start[image]..<byImage.start[image + 1] {
                let i = Int(byImage.order[position])
                if position > byImage.start[image] { out.text.append(",") }
                out.text.append("[")
                out.text.integer(m.seq[i])
                out.text.append(",")
                out.text.integer(m.truePositiveMask[i])
                out.text.append(",")
                out.text.integer(m.ignoredMask[i])
                let box50 = m.groundTruthRowID(m.matched50[i])
                let box75 = m.groundTruthRowID(m.matched75[i])
                if box50 != 0 || box75 != 0 { out.text.match(box50, m.iou50[i]) }
                if box75 != 0 { out.text.match(box75, m.iou75[i]) }
                out.text.append("]")
            }
            out.text.append("]")
            out.ends.append(out.text.bytes.count)
        }
        return out
    }
}

/// Per-detection outcomes with the store rows they refer to.
private struct Matches: Sendable {
    var seq: [Int64]
    var image: [Int32]
    var imageRowIDs: [Int64]
    var boxRowIDs: [Int64]
    var truePositiveMask: [Int64]
    var ignoredMask: [Int64]
    var matched50: [Int32]
    var iou50: [Double]
    var matched75: [Int32]
    var iou75: [Double]

    init(outcomes: EvaluationResult.DetectionOutcomes, rows: InputRows, image: [Int32]) {
        seq = rows.seq
        self.image = image
        imageRowIDs = rows.imageRowIDs
        boxRowIDs = rows.boxRowIDs
        truePositiveMask = outcomes.truePositiveMask
        ignoredMask = outcomes.ignoredMask
        matched50 = outcomes.matched50
        iou50 = outcomes.iou50
        matched75 = outcomes.matched75
        iou75 = outcomes.iou75
    }

    var count: Int { seq.count }

    /// `gt_boxes.id` of a matched box index, 0 for none (row ids start at 1).
    @inline(__always)
    func groundTruthRowID(_ box: Int32) -> Int64 { box >= 0 ? boxRowIDs[Int(box)] : 0 }
}

/// The encoded rows of a range of images: `text.bytes[ends[r] ..< ends[r + 1]]` is the text of `images[r]`.
private struct EncodedChunk {
    var images: [Int] = []
    var text = JSONBytes()
    var ends: [Int] = [0]
}

/// JSON text built as UTF-8 bytes, for the compact result columns.
struct JSONBytes {
    var bytes: [UInt8] = []

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func append(_ character: Unicode.Scalar) { bytes.append(UInt8(ascii: character)) }

    /// `[v, v, ...]` with null for nil.
    mutating func array(_ values: [Double?]) {
        append("[")
        for (k, value) in values.enumerated() {
            if k > 0 { append(",") }
            if let value { double(value) } else { bytes.append(contentsOf: "null".utf8) }
        }
        append("]")
    }

    /// `,box,iou`, or `,null,null` when `box` is 0.
    mutating func match(_ box: Int64, _ iou: Double) {
        if box == 0 {
            bytes.append(contentsOf: ",null,null".utf8)
            return
        }
        append(",")
        integer(box)
        append(",")
        double(iou)
    }

    /// A finite double as the shortest text that reads back as the same value (Swift's `description`,
    /// which is valid JSON for finite values); non-finite values, which JSON cannot hold, as null.
    mutating func double(_ value: Double) {
        guard value.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func integer(_ value: Int64) {
        if value < 0 {
            append("-")
            if value == .min {
                bytes.append(contentsOf: "9223372036854775808".utf8)
                return
            }
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(24 - count)...])
        }
    }
}

/// Per-chunk results written from concurrent workers, each to its own slot.
private final class EncodedChunks: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<EncodedChunk>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: EncodedChunk())
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ chunk: Int, _ value: EncodedChunk) { slots[chunk] = value }

    /// The chunks in order, once every worker has finished.
    var parts: [EncodedChunk] { Array(slots) }
}
