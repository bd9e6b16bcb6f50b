import EvalKit

/// Converts resolved rows to pixel boxes and checks values: non-finite numbers, empty boxes, boxes
/// outside the image, coordinates that look normalized, corner boxes read as sizes (or the reverse),
/// duplicates.
struct GeometryCheck {
    var resolved = ResolvedDetections()
    var findings: [Finding] = []

    init(
        batch: DetectionBatch, catalog: DatasetCatalog, imageOf: [Int32], categoryOf: [Int64?],
        options: DiagnosisOptions
    ) {
        let encoding = options.boxEncoding ?? batch.boxEncoding
        let count = batch.count
        resolved.row.reserveCapacity(count)
        var nonFiniteBox = FindingCounter()
        var nonFiniteScore = FindingCounter()
        var emptyBox = FindingCounter()
        var negativeScore = FindingCounter()
        var outside = FindingCounter()
        var unsized = FindingCounter()
        var duplicates = FindingCounter()
        // Evidence for the coordinate-convention checks.
        var largestCoordinate = 0.0
        var finiteRows = 0
        var exceedsAsGiven = 0
        var exceedsButFitsAsCorners = 0
        var cornersOrdered = 0
        var cornersReversed = 0
        var reversedButFitsAsSizes = 0
        var firstScore: Double?
        var allScoresEqual = true
        var seen = DuplicateFinder(capacity: count)
        // Sizes in flat arrays: copying an Image (it holds a String) per row costs a retain and a release.
        let widths = catalog.images.map { Double($0.width) }
        let heights = catalog.images.map { Double($0.height) }

        for row in 0..<count {
            let imageIndex = imageOf[row]
            guard imageIndex >= 0, let category = categoryOf[row] else { continue }
            let width = widths[Int(imageIndex)]
            let height = heights[Int(imageIndex)]
            let a = batch.a[row]
            let b = batch.b[row]
            let c = batch.c[row]
            let d = batch.d[row]
            let score = batch.scores[row]
            var x: Double
            var y: Double
            var w: Double
            var h: Double
            switch encoding {
            case .xywh: (x, y, w, h) = (a, b, c, d)
            case .xyxy: (x, y, w, h) = (a, b, c - a, d - b)
            case .normalizedCenter: (x, y, w, h) = ((a - c / 2) * width, (b - d / 2) * height, c * width, d * height)
            }
            if options.isNormalized && encoding != .normalizedCenter {
                x *= width
                w *= width
                y *= height
                h *= height
            }
            resolved.row.append(Int32(row))
            resolved.boxes.append(image: imageIndex, category: category, score: score, x: x, y: y, width: w, height: h)

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
            largestCoordinate = max(largestCoordinate, abs(a), abs(b), abs(c), abs(d))
            if encoding == .normalizedCenter { largestCoordinate = max(largestCoordinate, a + c / 2, b + d / 2) }
            var boxText: String { "[\([a, b, c, d].map(formatNumber).joined(separator: ", "))]" }
            if w <= 0 || h <= 0 {
                emptyBox.record("\(place): box \(boxText) has width \(formatNumber(w)), height \(formatNumber(h))")
            }
            let slack = 1.0
            // Images without a size (COCO files may omit them) cannot be checked against their bounds.
            let hasSize = width > 0 && height > 0
            if !hasSize && (encoding == .normalizedCenter || options.isNormalized) {
                unsized.record("\(place): \(describe(batch.imageKeys[row])) has no size in the dataset")
            }
            if hasSize, x < -slack || y < -slack || x + w > width + slack || y + h > height + slack {
                let image = catalog.images[Int(imageIndex)]
                outside.record("\(place): box \(boxText) on \(image.fileName) (\(image.width)x\(image.height))")
            }
            switch encoding {
            case .xywh where hasSize:
                if a + c > width + slack || b + d > height + slack {
                    exceedsAsGiven += 1
                    if c > a && d > b && c <= width + slack && d <= height + slack { exceedsButFitsAsCorners += 1 }
                }
                if c > a && d > b { cornersOrdered += 1 }
            case .xyxy where hasSize:
                if c < a || d < b {
                    cornersReversed += 1
                    if a + c <= width + slack && b + d <= height + slack { reversedButFitsAsSizes += 1 }
                }
            default:
                break
            }
            if seen.isDuplicate(
                row: row, image: imageIndex, category: category, values: (a, b, c, d, score),
                of: batch, imageOf: imageOf, categoryOf: categoryOf)
            {
                duplicates.record(
                    "\(place): \(describe(batch.imageKeys[row])), box \(boxText), score \(formatNumber(score))")
            }
        }

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
        if encoding != .normalizedCenter && !options.isNormalized && finiteRows > 0 && largestCoordinate <= 1.0
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
        if encoding == .normalizedCenter && largestCoordinate > 1.5 {
            conventionFound = true
            findings.append(
                Finding(
                    code: "pixel-coordinates-in-yolo", severity: .fatal,
                    summary:
                        "YOLO coordinates must be fractions of the image size, but some reach \(formatNumber(largestCoordinate)): they look like pixels",
                    count: finiteRows, examples: [],
                    fix: "export normalized coordinates (Ultralytics save_txt does), or convert to COCO results JSON"))
        }
        if encoding == .xywh && exceedsAsGiven > 0 && Double(exceedsAsGiven) >= 0.05 * Double(finiteRows)
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
        if encoding == .xyxy && cornersReversed > 0 && Double(cornersReversed) >= 0.05 * Double(finiteRows)
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
        findings.append(
            contentsOf: duplicates.finding(
                code: "duplicate-detections", severity: .warning,
                summary:
                    "\(plural(duplicates.count, "detection")) \(duplicates.count == 1 ? "repeats" : "repeat") an earlier detection exactly (same image, class, box and score); each copy counts as a false positive",
                fix: "remove the duplicates (was the same output written twice?)"))
    }
}

/// Finds rows equal to an earlier row (same image, category, box and score bits): an open-addressing
/// table of row numbers with a cheap multiplicative hash, several times faster than `Set` with SipHash
/// on 500k rows.
struct DuplicateFinder {
    private var slots: [Int32]
    private let mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    /// True when an earlier row has the same values; otherwise remembers `row`.
    mutating func isDuplicate(
        row: Int, image: Int32, category: Int64, values: (Double, Double, Double, Double, Double),
        of batch: DetectionBatch, imageOf: [Int32], categoryOf: [Int64?]
    ) -> Bool {
        @inline(__always) func mix(_ hash: inout UInt64, _ part: UInt64) {
            hash = (hash ^ part) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
        }
        var hash = UInt64(bitPattern: Int64(image)) &* 0x9E37_79B9_7F4A_7C15
        mix(&hash, UInt64(bitPattern: category))
        mix(&hash, values.0.bitPattern)
        mix(&hash, values.1.bitPattern)
        mix(&hash, values.2.bitPattern)
        mix(&hash, values.3.bitPattern)
        mix(&hash, values.4.bitPattern)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let other = Int(slots[slot])
            if other < 0 {
                slots[slot] = Int32(row)
                return false
            }
            if imageOf[other] == image && categoryOf[other] == category
                && batch.a[other].bitPattern == values.0.bitPattern && batch.b[other].bitPattern == values.1.bitPattern
                && batch.c[other].bitPattern == values.2.bitPattern && batch.d[other].bitPattern == values.3.bitPattern
                && batch.scores[other].bitPattern == values.4.bitPattern
            {
                return true
            }
            slot = (slot + 1) & mask
        }
    }
}
