/// Checks a ground-truth dataset before it is stored.
public enum GroundTruthDiagnosis {
    /// The largest image side accepted (2^31 - 1 pixels): beyond it, sizes are input errors.
    public static let largestImageSide = Int(Int32.max)

    /// Findings about `dataset`: values that cannot be evaluated (fatal), and quirks that change what the
    /// reference evaluators compute (warnings), such as an annotation id 0 that pycocotools never matches.
    public static func diagnose(_ dataset: GroundTruthDataset) -> DiagnosisReport {
        var findings = dataset.notes
        var nonFinite = FindingCounter()
        var emptyBox = FindingCounter()
        var negativeBox = FindingCounter()
        var outside = FindingCounter()
        var idZero = FindingCounter()
        var duplicateIDs = FindingCounter()
        var seenIDs = Set<Int64>()
        var largest = 0.0
        var finite = 0
        for box in dataset.boxes {
            let place = box.location.map { "\($0): " } ?? ""
            let values = [box.x, box.y, box.width, box.height]
            let text = "[\(values.map(formatNumber).joined(separator: ", "))]"
            guard values.allSatisfy(\.isFinite) && box.area.isFinite else {
                nonFinite.record("\(place)box \(text), area \(formatNumber(box.area))")
                continue
            }
            finite += 1
            largest = max(largest, box.x + box.width, box.y + box.height)
            if box.width < 0 || box.height < 0 {
                negativeBox.record("\(place)box \(text)")
            } else if box.width == 0 || box.height == 0 {
                emptyBox.record("\(place)box \(text)")
            }
            let image = dataset.images[box.imageIndex]
            if image.width > 0 && image.height > 0,
                box.x < -1 || box.y < -1 || box.x + box.width > Double(image.width) + 1
                    || box.y + box.height > Double(image.height) + 1
            {
                outside.record("\(place)box \(text) on \(image.fileName) (\(image.width)x\(image.height))")
            }
            if let id = box.annotationID {
                if id == 0 { idZero.record("\(place)annotation id 0") }
                if !seenIDs.insert(id).inserted { duplicateIDs.record("\(place)annotation id \(id)") }
            }
        }
        var badImages = FindingCounter()
        var hugeImages = FindingCounter()
        var negativeImages = FindingCounter()
        for image in dataset.images {
            if image.width < 0 || image.height < 0 {
                negativeImages.record("image \(image.id) \(image.fileName): \(image.width)x\(image.height)")
            } else if image.width == 0 || image.height == 0 {
                badImages.record("image \(image.id) \(image.fileName): \(image.width)x\(image.height)")
            } else if image.width > GroundTruthDiagnosis.largestImageSide
                || image.height > GroundTruthDiagnosis.largestImageSide
            {
                hugeImages.record("image \(image.id) \(image.fileName): \(image.width)x\(image.height)")
            }
        }
        findings.append(
            contentsOf: negativeImages.finding(
                code: "negative-image-size", severity: .fatal,
                summary:
                    "\(plural(negativeImages.count, "image")) \(negativeImages.count == 1 ? "has" : "have") a negative width or height",
                fix: "give the real sizes (VOC <size>, COCO `width`/`height`, or --sizes images.csv)"))
        findings.append(
            contentsOf: hugeImages.finding(
                code: "image-too-large", severity: .fatal,
                summary:
                    "\(plural(hugeImages.count, "image")) \(hugeImages.count == 1 ? "is" : "are") larger than \(GroundTruthDiagnosis.largestImageSide) pixels on a side: not a real image size",
                fix: "give the real sizes (COCO `width`/`height`, or --sizes images.csv)"))
        findings.append(
            contentsOf: badImages.finding(
                code: "image-size", severity: .warning,
                summary:
                    "\(plural(badImages.count, "image")) \(badImages.count == 1 ? "has" : "have") no size (width and height): checks against the image bounds are skipped there, and normalized detections cannot be scaled",
                fix: "give the real sizes (COCO `width`/`height`, or --sizes images.csv)"))
        if nonFinite.count > 0 {
            findings.append(
                Finding(
                    code: "non-finite-box", severity: .fatal,
                    summary:
                        "\(plural(nonFinite.count, "ground-truth box")) \(nonFinite.count == 1 ? "has" : "have") NaN or infinite values",
                    count: nonFinite.count, examples: nonFinite.examples, fix: "fix the annotation file"))
        }
        let normalized =
            finite > 0 && largest <= 1.0 && dataset.format != .yolo
            && dataset.images.contains { $0.width > 2 || $0.height > 2 }
        if normalized {
            findings.append(
                Finding(
                    code: "normalized-coordinates", severity: .fatal,
                    summary:
                        "all \(plural(finite, "ground-truth box")) lie within [0, 1]: the coordinates look normalized, but the images are in pixels",
                    count: finite, examples: [],
                    fix: "write pixel coordinates (COCO bbox is [x, y, width, height] in pixels)"))
        }
        // YOLO labels are fractions: read as such, labels written in pixels land far outside their images.
        var yoloReach = 0.0
        var zeroCorners = FindingCounter()
        for box in dataset.boxes where box.x.isFinite && box.y.isFinite {
            let image = dataset.images[box.imageIndex]
            if dataset.format == .yolo && image.width > 0 && image.height > 0 {
                yoloReach = max(
                    yoloReach, (box.x + box.width) / Double(image.width), (box.y + box.height) / Double(image.height))
            }
            if dataset.format == .voc && (box.x == 0 || box.y == 0) {
                zeroCorners.record(
                    "\(box.location.map { "\($0): " } ?? "")xmin \(formatNumber(box.x)), ymin \(formatNumber(box.y))")
            }
        }
        let yoloInPixels = yoloReach > 1.5
        if yoloInPixels {
            findings.append(
                Finding(
                    code: "yolo-labels-in-pixels", severity: .fatal,
                    summary:
                        "YOLO labels are fractions of the image, but read that way the boxes reach \(formatNumber((yoloReach * 100).rounded() / 100)) times the image size: the labels look written in pixels",
                    count: dataset.boxes.count, examples: [],
                    fix: "import with --scale pixels, or write normalized labels (cx / width, cy / height, ...)"))
        }
        findings.append(
            contentsOf: zeroCorners.finding(
                code: "voc-zero-based", severity: .warning,
                summary:
                    "\(plural(zeroCorners.count, "ground-truth box")) \(zeroCorners.count == 1 ? "starts" : "start") at pixel 0: PASCAL VOC corners are 1-based, so these annotations look 0-based; detections written in 1-based corners will be one pixel off (evaldb import warns when it sees a systematic offset)",
                fix:
                    "nothing to do if the detections use the same 0-based corners; otherwise add 1 to xmin, ymin, xmax, ymax"
            ))
        findings.append(
            contentsOf: negativeBox.finding(
                code: "negative-box", severity: .fatal,
                summary:
                    "\(plural(negativeBox.count, "ground-truth box")) \(negativeBox.count == 1 ? "has" : "have") a negative width or height (a corner before its opposite: xmax < xmin or ymax < ymin)",
                fix: "fix the annotation: swapped corners, or a box written as [x, y, w, h] where corners were expected"
            ))
        findings.append(
            contentsOf: emptyBox.finding(
                code: "empty-box", severity: .warning,
                summary:
                    "\(plural(emptyBox.count, "ground-truth box")) \(emptyBox.count == 1 ? "has" : "have") zero width or height",
                fix: "remove them or fix their coordinates: they can never be matched"))
        if outside.count > 0 && !normalized && !yoloInPixels {
            findings.append(
                Finding(
                    code: "box-outside-image", severity: .warning,
                    summary:
                        "\(plural(outside.count, "ground-truth box")) \(outside.count == 1 ? "extends" : "extend") more than 1 pixel beyond their image",
                    count: outside.count, examples: outside.examples,
                    fix: "check the image sizes and the box format"))
        }
        findings.append(
            contentsOf: idZero.finding(
                code: "annotation-id-zero", severity: .warning,
                summary:
                    "an annotation has id 0: pycocotools (and evaldb's exact coco protocol) can never match it, so its detection counts as a false positive",
                fix: "number annotations from 1 to get the intended COCO numbers"))
        findings.append(
            contentsOf: duplicateIDs.finding(
                code: "duplicate-annotation-ids", severity: .warning,
                summary:
                    "\(plural(duplicateIDs.count, "annotation")) \(duplicateIDs.count == 1 ? "reuses" : "reuse") an id already given to another",
                fix: "give every annotation its own id: pycocotools keys matches by annotation id"))
        let used = Set(dataset.boxes.map(\.categoryID))
        let unused = dataset.categories.filter { !used.contains($0.id) }
        if !unused.isEmpty {
            findings.append(
                Finding(
                    code: "categories-without-boxes", severity: .info,
                    summary:
                        "\(plural(unused.count, "category")) \(unused.count == 1 ? "has" : "have") no ground-truth box (\(unused.prefix(5).map(\.name).joined(separator: ", "))\(unused.count > 5 ? ", ..." : "")); they are left out of the means",
                    count: unused.count))
        }
        return DiagnosisReport(findings: findings)
    }
}
