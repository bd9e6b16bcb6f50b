/// A consistent offset of about one pixel between the detections and the ground-truth boxes they match, from the
/// median difference of each side over the most confident detections that overlap a box of their class: 1-based
/// corners against 0-based ground truth (every side one pixel off), or inclusive widths (`x2 - x1 + 1`: the right
/// and bottom sides one pixel off). Detectors' own errors are symmetric around zero and spread over pixels; the
/// median of a few hundred of them is within a fraction of a pixel of zero.
struct SystematicOffset {
    var findings: [Finding] = []

    /// At least this many matched detections, the median within a quarter pixel of a whole pixel, and at least
    /// `significance` standard errors from zero, before a side counts as shifted.
    static let minimumPairs = 30
    static let significance = 4.0

    init?(
        search: ReadingSearch, reading: ExportReading, detections: ResolvedDetections, catalog: DatasetCatalog,
        current: BoxOffset?
    ) {
        guard search.given != nil else { return nil }
        let rows = search.sample(reading.columns)
        var sides: [[Double]] = [[], [], [], []]
        let boxes = catalog.boxes
        for row in rows {
            guard var geometry = search.pixelBox(row, reading), let category = search.category(of: row, reading) else {
                continue
            }
            if let current {
                geometry.box.0 += current.dx
                geometry.box.1 += current.dy
                geometry.box.2 += current.dw
                geometry.box.3 += current.dh
            }
            var best = ReadingSearch.overlapThreshold
            var match: Int?
            for g in boxes.start[geometry.image]..<boxes.start[geometry.image + 1] where boxes.category[g] == category {
                let iou = ReadingSearch.iou(geometry.box, (boxes.x[g], boxes.y[g], boxes.width[g], boxes.height[g]))
                if iou >= best {
                    best = iou
                    match = g
                }
            }
            guard let g = match else { continue }
            let (x, y, w, h) = geometry.box
            sides[0].append(x - boxes.x[g])
            sides[1].append(y - boxes.y[g])
            sides[2].append((x + w) - (boxes.x[g] + boxes.width[g]))
            sides[3].append((y + h) - (boxes.y[g] + boxes.height[g]))
        }
        guard sides[0].count >= Self.minimumPairs else { return nil }
        // Per side: the median rounded to a whole pixel when it is within a quarter pixel of it and known well.
        let shifts = sides.map { values -> Int in
            let median = Self.median(values)
            let spread = Self.median(values.map { abs($0 - median) }) * 1.4826
            let error = 1.2533 * spread / Double(values.count).squareRoot()
            let rounded = median.rounded()
            guard abs(rounded) == 1, abs(median - rounded) <= 0.25, abs(median) >= Self.significance * error else {
                return 0
            }
            return Int(rounded)
        }
        guard shifts.contains(where: { $0 != 0 }) else { return nil }
        let (left, top, right, bottom) = (shifts[0], shifts[1], shifts[2], shifts[3])
        let cause: String
        if left == right && top == bottom && left != 0 && top != 0 {
            cause =
                "every box is shifted by \(left) pixel\(abs(left) == 1 ? "" : "s") in x and y: 1-based corners against 0-based ground truth (or the reverse)"
        } else if left == 0 && top == 0 && right == 1 && bottom == 1 {
            cause = "widths and heights are one pixel too large: inclusive pixel corners (x2 - x1 + 1)"
        } else if left == 0 && top == 0 && right == -1 && bottom == -1 {
            cause = "widths and heights are one pixel too small: exclusive corners against inclusive ground truth"
        } else {
            cause =
                "the sides are consistently off (left \(left), top \(top), right \(right), bottom \(bottom) pixels)"
        }
        let fix = BoxOffset(
            dx: Double(-left) + (current?.dx ?? 0), dy: Double(-top) + (current?.dy ?? 0),
            dw: Double(left - right) + (current?.dw ?? 0), dh: Double(top - bottom) + (current?.dh ?? 0))
        findings.append(
            Finding(
                code: "systematic-offset", severity: .warning,
                summary:
                    "\(cause): the median difference from the matched ground-truth boxes over \(sides[0].count) of the most confident detections (it lowers AP at high IoU thresholds)",
                count: sides[0].count, examples: [],
                fix: "import with --box-offset=\(Self.text(fix))"))
    }

    static func text(_ offset: BoxOffset) -> String {
        [offset.dx, offset.dy, offset.dw, offset.dh].map(formatNumber).joined(separator: ",")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
