import EvalKit
import EvalStore

/// The JSON text of the compact result columns, exactly as the SQLite store writes it: per-image match arrays
/// (`image_matches.detections`) and PR curves (`pr_curves.precision`, `score`). Kept in `json` columns as written.
enum ResultText {
    /// `[v,v,...]` with `null` for nil and for values JSON cannot hold.
    static func array(_ values: [Double?]) -> String {
        var text = "["
        for (k, value) in values.enumerated() {
            if k > 0 { text += "," }
            text += number(value)
        }
        return text + "]"
    }

    /// The shortest text that reads back as the same double (Swift's `description`), or null.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return value.description
    }

    /// The matches of each image with detections: (`images.id`, JSON text), in image order. Each detection is
    /// `[seq, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75]` in seq order, unmatched trailing pairs left out.
    static func imageMatches(
        _ outcomes: EvaluationResult.DetectionOutcomes, rows: InputRows, detectionImages: [Int32]
    ) -> [(imageRowID: Int64, text: String)] {
        let imageCount = rows.imageRowIDs.count
        var start = [Int](repeating: 0, count: imageCount + 1)
        for image in detectionImages { start[Int(image) + 1] += 1 }
        for k in 0..<imageCount { start[k + 1] += start[k] }
        var next = start
        var order = [Int](repeating: 0, count: detectionImages.count)
        for (i, image) in detectionImages.enumerated() {
            order[next[Int(image)]] = i
            next[Int(image)] += 1
        }
        func box(_ index: Int32) -> Int64 { index >= 0 ? rows.boxRowIDs[Int(index)] : 0 }
        var result: [(Int64, String)] = []
        for image in 0..<imageCount where start[image] < start[image + 1] {
            var text = "["
            for position in start[image]..<start[image + 1] {
                let i = order[position]
                if position > start[image] { text += "," }
                text += "[\(rows.seq[i]),\(outcomes.truePositiveMask[i]),\(outcomes.ignoredMask[i])"
                let box50 = box(outcomes.matched50[i])
                let box75 = box(outcomes.matched75[i])
                if box50 != 0 || box75 != 0 {
                    text += box50 == 0 ? ",null,null" : ",\(box50),\(number(outcomes.iou50[i]))"
                }
                if box75 != 0 { text += ",\(box75),\(number(outcomes.iou75[i]))" }
                text += "]"
            }
            result.append((rows.imageRowIDs[image], text + "]"))
        }
        return result
    }

    /// The values of a flat JSON array of numbers and nulls: `[0.5,null,1.0]`.
    static func numbers(_ text: String) -> [Double?] {
        text.utf8.dropFirst().dropLast().split(separator: UInt8(ascii: ",")).map {
            Double(String(decoding: $0, as: UTF8.self).trimmingWhitespace)
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
