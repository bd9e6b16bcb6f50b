import EvalKit

/// Converts resolved rows to pixel boxes and checks values: non-finite numbers, empty boxes, boxes
/// outside the image, coordinates that look normalized, corner boxes read as sizes (or the reverse),
/// duplicates.
struct GeometryCheck {
    var resolved = ResolvedDetections()
    var findings: [Finding] = []

    /// The findings that are symptoms of boxes read the wrong way: left out when the evidence names the reading.
    static let symptoms: Set<String> = [
        "normalized-coordinates", "pixel-coordinates-in-yolo", "corners-read-as-sizes", "sizes-read-as-corners",
        "empty-box", "box-outside-image",
    ]

    init(
        batch: DetectionBatch, catalog: DatasetCatalog, imageOf: [Int32], categoryOf: [Int64],
        reading: BoxReading, offset: BoxOffset?
    ) {
        let layout = reading.layout
        // A reading that scales (fractions, letterboxes) or corrects (another layout, an offset) rounds the pixels
        // it gives to 1e-6: an export written from pixels with up to six decimals then reads back to exactly those
        // pixels, so that a fixed import evaluates like the export that was meant. Pixel formats read as they are
        // (COCO, VisDrone, VOC corners) are left exact, as the reference tools read them.
        let snaps = reading.scale != .pixels || reading != batch.boxEncoding.reading || offset != nil
        let isNormalized = reading.scale == .normalized || reading.scale == .normalizedHeightWidth
        let count = batch.count
        // Pixel boxes read as written: the resolved columns are the batch's own (shared, not copied), which at
        // 5M detections saves 200 MB while both are held.
        let sharesColumns = reading.layout == .xywh && reading.scale == .pixels && offset == nil && !snaps
        var nonFiniteBox = FindingCounter()
        var nonFiniteScore = FindingCounter()
        var emptyBox = FindingCounter()
        var negativeScore = FindingCounter()
        var outside = FindingCounter()
        var unsized = FindingCounter()
        // Evidence for the coordinate-convention checks.
        var largestCoordinate = 0.0
        var largestRow = -1
        var beyondFractions = 0
        var finiteRows = 0
        var exceedsAsGiven = 0
        var exceedsButFitsAsCorners = 0
        var cornersOrdered = 0
        var cornersReversed = 0
        var reversedButFitsAsSizes = 0
        var firstScore: Double?
        var allScoresEqual = true
        // Sizes in flat arrays: copying an Image (it holds a String) per row costs a retain and a release.
        let widths = catalog.images.map { Double($0.width) }
        let heights = catalog.images.map { Double($0.height) }

        for row in 0..<count {
            let imageIndex = imageOf[row]
            let category = categoryOf[row]
            guard imageIndex >= 0, category != CategoryResolver.unresolved else { continue }
            let width = widths[Int(imageIndex)]
            let height = heights[Int(imageIndex)]
            let a = batch.a[row]
            let b = batch.b[row]
            let c = batch.c[row]
            let d = batch.d[row]
            let score = batch.scores[row]
            var (x, y, w, h) = reading.pixels(a, b, c, d, width: width, height: height)
            if let offset {
                x += offset.dx
                y += offset.dy
                w += offset.dw
                h += offset.dh
            }
            if snaps {
                (x, y, w, h) = (Self.snapped(x), Self.snapped(y), Self.snapped(w), Self.snapped(h))
            }
            resolved.row.append(Int32(row))
            if !sharesColumns {
                resolved.boxes.append(
                    image: imageIndex, category: category, score: score, x: x, y: y, width: w, height: h)
            }

            // Built only when a finding records an example: most rows never need them.
            var place: SourceLocation { batch.location(ofRow: row) }
            if !score.isFinite {
                nonFiniteScore.record("\(place): score \(formatNumber(score))")
            } else {
                if score < 0 { negativeScore.record("\(place): score \(formatNumber(score))") }
                if let first = firstScore { if first != score { allScoresEqual = false } } else { firstScore = score }
            }
            guard a.isFinite && b.isFinite && c.isFinite && d.isFinite else {
                nonFiniteBox.record("\(place): box [\([a, b, c, d].map(formatNumber).joined(separator: ", "))]")
                continue
            }
            finiteRows += 1
            var largest = max(abs(a), abs(b), abs(c), abs(d))
            if layout == .cxcywh { largest = max(largest, a + c / 2, b + d / 2) }
            if largest > 1.5 { beyondFractions += 1 }
            if largest > largestCoordinate {
                largestCoordinate = largest
                largestRow = row
            }
            var boxText: String { "[\([a, b, c, d].map(formatNumber).joined(separator: ", "))]" }
            if w <= 0 || h <= 0 {
                emptyBox.record("\(place): box \(boxText) has width \(formatNumber(w)), height \(formatNumber(h))")
            }
            let slack = 1.0
            // Images without a size (COCO files may omit them) cannot be checked against their bounds.
            let hasSize = width > 0 && height > 0
            if !hasSize && reading.scale != .pixels {
                unsized.record("\(place): \(describe(batch.imageKeys[row])) has no size in the dataset")
            }
            if hasSize, x < -slack || y < -slack || x + w > width + slack || y + h > height + slack {
                let image = catalog.images[Int(imageIndex)]
                outside.record("\(place): box \(boxText) on \(image.fileName) (\(image.width)x\(image.height))")
            }
            guard reading.scale == .pixels && hasSize else { continue }
            switch layout {
            case .xywh:
                if a + c > width + slack || b + d > height + slack {
                    exceedsAsGiven += 1
                    if c > a && d > b && c <= width + slack && d <= height + slack { exceedsButFitsAsCorners += 1 }
                }
                if c > a && d > b { cornersOrdered += 1 }
            case .xyxy:
                if c < a || d < b {
                    cornersReversed += 1
                    if a + c <= width + slack && b + d <= height + slack { reversedButFitsAsSizes += 1 }
                }
            default:
                break
            }
        }
        if sharesColumns {
            if resolved.row.count == count {
                // Every row resolved: the references' columns too are shared.
                (resolved.boxes.image, resolved.boxes.category) = (imageOf, categoryOf)
                (resolved.boxes.score, resolved.boxes.x, resolved.boxes.y) = (batch.scores, batch.a, batch.b)
                (resolved.boxes.width, resolved.boxes.height) = (batch.c, batch.d)
            } else {
                let rows = resolved.row.map(Int.init)
                (resolved.boxes.image, resolved.boxes.category) = (
                    rows.map { imageOf[$0] }, rows.map { categoryOf[$0] }
                )
                resolved.boxes.score = rows.map { batch.scores[$0] }
                (resolved.boxes.x, resolved.boxes.y) = (rows.map { batch.a[$0] }, rows.map { batch.b[$0] })
                (resolved.boxes.width, resolved.boxes.height) = (rows.map { batch.c[$0] }, rows.map { batch.d[$0] })
            }
        }
        let encodingIsNormalized = isNormalized
        let total = resolved.count
        findings.append(
            contentsOf: nonFiniteBox.finding(
                code: "non-finite-box", severity: .fatal,
                summary:
                    "\(plural(nonFiniteBox.count, "detection")) \(nonFiniteBox.count == 1 ? "has" : "have") NaN or infinite box coordinates",
                fix: "fix the exporter: such boxes cannot be matched or ranked"))
        findings.append(
            contentsOf: nonFiniteScore.finding(
                code: "non-finite-score", severity: .fatal,
                summary:
                    "\(plural(nonFiniteScore.count, "detection")) \(nonFiniteScore.count == 1 ? "has" : "have") a NaN or infinite score",
                fix: "fix the exporter: detections are ranked by score"))
        findings.append(
            contentsOf: unsized.finding(
                code: "normalized-without-size", severity: .fatal,
                summary:
                    "\(plural(unsized.count, "detection")) with normalized coordinates \(unsized.count == 1 ? "is" : "are") on images without a size: they cannot be converted to pixels",
                fix: "import the dataset with image sizes (COCO width/height, or --sizes)"))
        var conventionFound = false
        let imageSizes = catalog.images.first.map { "e.g. \($0.width)x\($0.height)" } ?? ""
        if !encodingIsNormalized && reading.scale == .pixels && finiteRows > 0 && largestCoordinate <= 1.0
            && (catalog.images.contains { $0.width > 2 || $0.height > 2 })
        {
            conventionFound = true
            findings.append(
                Finding(
                    code: "normalized-coordinates", severity: .fatal,
                    summary:
                        "all \(plural(finiteRows, "box")) lie within [0, 1]: the coordinates look normalized, but the dataset's images are in pixels (\(imageSizes))",
                    count: finiteRows, examples: [],
                    fix: "pass --normalized to scale them by each image's size, or export pixel coordinates"))
        }
        // Most boxes beyond [0, 1]: pixels. A few (a broken value) are left to the outside-the-image check.
        if reading == BoxEncoding.normalizedCenter.reading && beyondFractions > 0 && 2 * beyondFractions >= finiteRows {
            conventionFound = true
            let example =
                "\(batch.location(ofRow: largestRow)): box [\([batch.a[largestRow], batch.b[largestRow], batch.c[largestRow], batch.d[largestRow]].map(formatNumber).joined(separator: ", "))]"

            findings.append(
                Finding(
                    code: "pixel-coordinates-in-yolo", severity: .fatal,
                    summary:
                        "YOLO coordinates must be fractions of the image size, but \(beyondFractions) of \(plural(finiteRows, "box")) reach beyond 1.5 (up to \(formatNumber(largestCoordinate))): they look like pixels",
                    count: finiteRows, examples: [example],
                    fix: "pass --scale pixels, or export normalized coordinates (Ultralytics save_txt does)"))
        }
        if layout == .xywh && exceedsAsGiven > 0 && Double(exceedsAsGiven) >= 0.05 * Double(finiteRows)
            && Double(exceedsButFitsAsCorners) >= 0.9 * Double(exceedsAsGiven)
            && Double(cornersOrdered) >= 0.99 * Double(finiteRows)
        {
            conventionFound = true
            findings.append(
                Finding(
                    code: "corners-read-as-sizes", severity: .fatal,
                    summary:
                        "\(plural(exceedsAsGiven, "box")) \(exceedsAsGiven == 1 ? "leaves" : "leave") the image when read as [x, y, w, h] but fit when read as [x1, y1, x2, y2], and every box has x2 > x1 and y2 > y1: the boxes look like corner coordinates",
                    count: exceedsAsGiven, examples: Array(outside.examples.prefix(3)),
                    fix: "pass --box-format xyxy, or convert the boxes to [x, y, width, height]"))
        }
        if layout == .xyxy && cornersReversed > 0 && Double(cornersReversed) >= 0.05 * Double(finiteRows)
            && Double(reversedButFitsAsSizes) >= 0.9 * Double(cornersReversed)
        {
            conventionFound = true
            findings.append(
                Finding(
                    code: "sizes-read-as-corners", severity: .fatal,
                    summary:
                        "\(plural(cornersReversed, "box")) \(cornersReversed == 1 ? "has" : "have") x2 < x1 or y2 < y1 when read as [x1, y1, x2, y2] but fit the image as [x, y, w, h]: the boxes look like sizes",
                    count: cornersReversed, examples: Array(emptyBox.examples.prefix(3)),
                    fix: "pass --box-format xywh, or write the boxes as corners"))
        }
        if emptyBox.count > 0 && !conventionFound {
            findings.append(
                Finding(
                    code: "empty-box", severity: .warning,
                    summary:
                        "\(plural(emptyBox.count, "detection")) \(emptyBox.count == 1 ? "has" : "have") zero or negative width or height (they can never match)",
                    count: emptyBox.count, examples: emptyBox.examples,
                    fix: "drop them in the exporter, or check the box format (--box-format)"))
        }
        if outside.count > 0 && !conventionFound {
            findings.append(
                Finding(
                    code: "box-outside-image", severity: .warning,
                    summary:
                        "\(plural(outside.count, "detection")) \(outside.count == 1 ? "extends" : "extend") more than 1 pixel beyond their image",
                    count: outside.count, examples: outside.examples,
                    fix:
                        "clip boxes to the image in the exporter; if most boxes are affected, check the box format and image sizes"
                ))
        }
        findings.append(
            contentsOf: negativeScore.finding(
                code: "negative-score", severity: .warning,
                summary:
                    "\(plural(negativeScore.count, "detection")) \(negativeScore.count == 1 ? "has" : "have") a negative score",
                fix: "scores should be confidences; check that the exporter writes probabilities, not logits"))
        if total > 1 && allScoresEqual, let score = firstScore {
            findings.append(
                Finding(
                    code: "constant-score", severity: .warning,
                    summary:
                        "all \(plural(total, "detection")) \(total == 1 ? "has" : "have") the same score \(formatNumber(score)): ranking is arbitrary and AP depends on file order",
                    count: total, examples: [],
                    fix: "export the model's confidence for each detection"))
        }
    }
}

extension GeometryCheck {
    /// `value` rounded to the nearest 1e-6 (values beyond 1e9 pixels are left as they are).
    @inline(__always)
    static func snapped(_ value: Double) -> Double {
        abs(value) < 1e9 ? (value * 1e6).rounded() / 1e6 : value
    }
}

/// Rows that repeat an earlier row exactly (same image and category references, box and score bits): a
/// distributed gather done twice, the same output written twice. Found with an open-addressing table of row
/// numbers and a cheap multiplicative hash, several times faster than `Set` with SipHash on 500k rows.
struct DuplicateScan {
    /// Per row: whether it repeats an earlier one.
    let isDuplicate: [Bool]
    let count: Int
    private var counter = FindingCounter()

    init(_ batch: DetectionBatch) {
        // The columns' codes stand for the references: equal exactly when the references are.
        let images = batch.imageKeys
        let categories = batch.categoryKeys
        var isDuplicate = [Bool](repeating: false, count: batch.count)
        var counter = FindingCounter()
        @inline(__always) func mix(_ hash: inout UInt64, _ part: UInt64) {
            hash = (hash ^ part) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
        }
        // Rows repeat each other only within one image. When each image's rows are contiguous (exports write
        // them image by image), a small table per image stays in the cache; one table over all rows (at 5M rows,
        // 32 MB of slots) misses it on almost every row. Same rows visited in the same order either way.
        let groups = Self.imageGroups(images, count: batch.count)
        var slots: [Int32] = []
        for group in groups ?? [0..<batch.count] {
            // At most 3/4 full.
            var size = 16
            while 3 * size < group.count * 4 { size <<= 1 }
            if slots.count < size {
                slots = [Int32](repeating: -1, count: size)
            } else {
                for i in 0..<size { slots[i] = -1 }
            }
            let mask = size - 1
            scan(group, mask: mask)
        }
        @inline(__always) func scan(_ rows: Range<Int>, mask: Int) {
            for row in rows {
                var hash = images.code(at: row).hashBits &* 0x9E37_79B9_7F4A_7C15
                mix(&hash, categories.code(at: row).hashBits)
                mix(&hash, batch.a[row].bitPattern)
                mix(&hash, batch.b[row].bitPattern)
                mix(&hash, batch.c[row].bitPattern)
                mix(&hash, batch.d[row].bitPattern)
                mix(&hash, batch.scores[row].bitPattern)
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let other = Int(slots[slot])
                    if other < 0 {
                        slots[slot] = Int32(row)
                        break
                    }
                    if images.code(at: other) == images.code(at: row)
                        && categories.code(at: other) == categories.code(at: row)
                        && batch.a[other].bitPattern == batch.a[row].bitPattern
                        && batch.b[other].bitPattern == batch.b[row].bitPattern
                        && batch.c[other].bitPattern == batch.c[row].bitPattern
                        && batch.d[other].bitPattern == batch.d[row].bitPattern
                        && batch.scores[other].bitPattern == batch.scores[row].bitPattern
                    {
                        isDuplicate[row] = true
                        counter.record(
                            "\(batch.location(ofRow: row)): \(describe(batch.imageKeys[row])), box [\([batch.a[row], batch.b[row], batch.c[row], batch.d[row]].map(formatNumber).joined(separator: ", "))], score \(formatNumber(batch.scores[row]))"
                        )
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
        self.isDuplicate = isDuplicate
        self.counter = counter
        count = batch.count
    }

    /// The runs of rows holding one image each, in row order, when no image appears in two runs; nil otherwise.
    static func imageGroups(_ images: ReferenceColumn<ImageKey>, count: Int) -> [Range<Int>]? {
        var groups: [Range<Int>] = []
        var seen = Set<ReferenceCode>()
        var start = 0
        while start < count {
            let code = images.code(at: start)
            guard seen.insert(code).inserted else { return nil }
            var end = start + 1
            while end < count && images.code(at: end) == code { end += 1 }
            groups.append(start..<end)
            start = end
        }
        return groups
    }

    /// The batch without the repeated rows.
    func withoutDuplicates(_ batch: DetectionBatch) -> DetectionBatch {
        counter.count == 0 ? batch : batch.removing(isDuplicate)
    }

    /// Duplicates are fatal when they make up at least this share of the rows (every detection written twice is
    /// half), a warning otherwise.
    static let fatalShare = 0.4

    /// The finding about the duplicates, or a line of information when they were dropped.
    func findings(dropped: Bool) -> [Finding] {
        guard counter.count > 0 else { return [] }
        if dropped {
            return [
                Finding(
                    code: "duplicates-dropped", severity: .info,
                    summary: "\(plural(counter.count, "repeated detection")) dropped (--drop-duplicates)",
                    count: counter.count)
            ]
        }
        let share = Double(counter.count) / Double(max(count, 1))
        let percent = Int((share * 100).rounded())
        let isFatal = share >= Self.fatalShare
        return [
            Finding(
                code: "duplicate-detections", severity: isFatal ? .fatal : .warning,
                summary:
                    "\(plural(counter.count, "detection")) (\(percent)%) \(counter.count == 1 ? "repeats" : "repeat") an earlier detection exactly (same image, class, box and score); each copy counts as a false positive\(isFatal ? ": the export looks written twice (a distributed gather done twice?)" : "")",
                count: counter.count, examples: counter.examples,
                fix: "import with --drop-duplicates (it keeps the first of each), or fix the exporter")
        ]
    }
}
