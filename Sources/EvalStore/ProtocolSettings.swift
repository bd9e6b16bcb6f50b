import EvalFormats
public import EvalKit

/// A request with the protocol's defaults filled in and validated; its canonical JSON is the cache key.
public struct ProtocolSettings: Sendable, Equatable {
    public var evaluationProtocol: EvaluationProtocol
    public var iouThresholds: [Double]
    /// COCO and VisDrone only (empty for VOC).
    public var maxDetections: [Int]
    /// COCO only (empty for others).
    public var areaRanges: [AreaRange]
    public var isClassAgnostic: Bool
    /// The categories evaluated (`--classes`), nil = all.
    public var categoryIDs: [Int64]?
    public var scoreThreshold: Double?
    public var imagesWhere: String?

    public init(request: EvaluationRequest, categories: [CategoryRecord]) throws {
        evaluationProtocol = request.evaluationProtocol
        scoreThreshold = request.scoreThreshold
        imagesWhere = request.imagesWhere
        isClassAgnostic = request.isClassAgnostic
        switch request.evaluationProtocol {
        case .coco:
            iouThresholds = request.iouThresholds ?? CocoParameters.defaultIoUThresholds
            // pycocotools sorts maxDets.
            maxDetections = (request.maxDetections ?? CocoParameters.defaultMaxDetections).sorted()
            areaRanges = request.areaRanges ?? CocoParameters.defaultAreaRanges
        case .voc07, .voc12:
            let thresholds = request.iouThresholds ?? [0.5]
            guard thresholds.count == 1 else {
                throw SettingsError(
                    option: "--iou", value: thresholds.map { "\($0)" }.joined(separator: ","),
                    expected: "one threshold for \(request.evaluationProtocol.rawValue) (e.g. --iou 0.5)")
            }
            if request.maxDetections != nil {
                throw SettingsError(
                    option: "--max-dets", value: "", expected: "no --max-dets: VOC counts every detection")
            }
            iouThresholds = thresholds
            maxDetections = []
            areaRanges = []
        case .visdrone:
            iouThresholds = request.iouThresholds ?? VisDroneParameters.defaultIoUThresholds
            maxDetections = request.maxDetections ?? VisDroneParameters.defaultMaxDetections
            areaRanges = []
        }
        if request.areaRanges != nil && request.evaluationProtocol != .coco {
            throw SettingsError(option: "--area-ranges", value: "", expected: "--area-ranges with --protocol coco only")
        }
        if request.isClassAgnostic && request.evaluationProtocol != .coco {
            throw SettingsError(
                option: "--class-agnostic", value: "", expected: "--class-agnostic with --protocol coco only")
        }
        if let names = request.classes {
            var ids: [Int64] = []
            var unknown: [String] = []
            for name in names {
                if let match = categories.first(where: { $0.name == name })
                    ?? Int64(name).flatMap({ id in
                        categories.first { $0.id == id }
                    })
                {
                    ids.append(match.id)
                } else {
                    unknown.append(name)
                }
            }
            if !unknown.isEmpty { throw EvaluationError.unknownClasses(unknown, known: categories.map(\.name)) }
            categoryIDs = Array(Set(ids)).sorted()
        } else {
            categoryIDs = nil
        }
    }

    /// Canonical JSON of the settings, keys sorted, numbers in shortest round-trip form.
    public var canonicalJSON: String {
        func number(_ value: Double) -> String { "\(value)" }
        let string = JSONText.string
        var fields: [String] = []
        if !areaRanges.isEmpty {
            fields.append(
                "\"area_ranges\":["
                    + areaRanges.map { "[\(string($0.name)),\(number($0.lower)),\(number($0.upper))]" }
                    .joined(separator: ",") + "]")
        }
        if isClassAgnostic { fields.append("\"class_agnostic\":true") }
        if let categoryIDs {
            fields.append("\"classes\":[" + categoryIDs.map(String.init).joined(separator: ",") + "]")
        }
        if let imagesWhere { fields.append("\"images_where\":" + string(imagesWhere)) }
        fields.append("\"iou\":[" + iouThresholds.map(number).joined(separator: ",") + "]")
        if !maxDetections.isEmpty {
            fields.append("\"max_dets\":[" + maxDetections.map(String.init).joined(separator: ",") + "]")
        }
        if let scoreThreshold { fields.append("\"score_threshold\":" + number(scoreThreshold)) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// What a protocol adapter needs besides the inputs: how to map back to store rows, and the settings.
public struct ProtocolContext: Sendable {
    /// `images.id` of each image index.
    public var imageRowIDs: [Int64]
    /// `gt_boxes.id` of each ground-truth box index.
    public var boxRowIDs: [Int64]
    /// `detections.seq` of each detection index.
    public var seq: [Int64]
    public var settings: ProtocolSettings
}

/// Subsets of evaluation inputs, keeping the store mappings aligned.
enum InputSelection {
    typealias Inputs = (EvalGroundTruth, [Int64], EvalDetections, [Int64])

    /// Keeps only the selected images, renumbered in order, with their boxes, regions and detections.
    static func keepImages(
        _ keep: [Bool], _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections,
        _ seq: [Int64]
    ) -> Inputs {
        filterRows(groundTruth, boxRowIDs, detections, seq, keepImage: keep, keepCategory: nil, scoreThreshold: nil)
    }

    /// Keeps the given categories (nil = all) and detections scoring at least `scoreThreshold`.
    static func filter(
        _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections, _ seq: [Int64],
        categories: [Int64]?, scoreThreshold: Double?
    ) -> Inputs {
        if categories == nil && scoreThreshold == nil { return (groundTruth, boxRowIDs, detections, seq) }
        return filterRows(
            groundTruth, boxRowIDs, detections, seq, keepImage: nil, keepCategory: categories.map(Set.init),
            scoreThreshold: scoreThreshold)
    }

    private static func filterRows(
        _ groundTruth: EvalGroundTruth, _ boxRowIDs: [Int64], _ detections: EvalDetections, _ seq: [Int64],
        keepImage: [Bool]?, keepCategory: Set<Int64>?, scoreThreshold: Double?
    ) -> Inputs {
        var gt = EvalGroundTruth(
            imageIDs: groundTruth.imageIDs, imageWidths: groundTruth.imageWidths,
            imageHeights: groundTruth.imageHeights, categoryIDs: groundTruth.categoryIDs)
        if let keepCategory { gt.categoryIDs = gt.categoryIDs.filter(keepCategory.contains) }
        var boxes: [Int64] = []
        for i in 0..<groundTruth.count {
            if let keepImage, !keepImage[Int(groundTruth.image[i])] { continue }
            if let keepCategory, !keepCategory.contains(groundTruth.category[i]) { continue }
            gt.appendBox(
                image: groundTruth.image[i], category: groundTruth.category[i], x: groundTruth.x[i],
                y: groundTruth.y[i], width: groundTruth.width[i], height: groundTruth.height[i],
                area: groundTruth.area[i], isCrowd: groundTruth.isCrowd[i], isIgnored: groundTruth.isIgnored[i],
                isDifficult: groundTruth.isDifficult[i], annotationID: groundTruth.annotationID[i])
            boxes.append(boxRowIDs[i])
        }
        for i in groundTruth.regionImage.indices {
            if let keepImage, !keepImage[Int(groundTruth.regionImage[i])] { continue }
            gt.appendRegion(
                image: groundTruth.regionImage[i], x: groundTruth.regionX[i], y: groundTruth.regionY[i],
                width: groundTruth.regionWidth[i], height: groundTruth.regionHeight[i])
        }
        var dt = EvalDetections()
        var keptSeq: [Int64] = []
        for i in 0..<detections.count {
            if let keepImage, !keepImage[Int(detections.image[i])] { continue }
            if let keepCategory, !keepCategory.contains(detections.category[i]) { continue }
            if let scoreThreshold, !(detections.score[i] >= scoreThreshold) { continue }
            dt.append(
                image: detections.image[i], category: detections.category[i], score: detections.score[i],
                x: detections.x[i], y: detections.y[i], width: detections.width[i], height: detections.height[i])
            keptSeq.append(seq[i])
        }
        if let keepImage {
            // Unselected images leave the evaluation entirely: renumber the kept ones.
            var newIndex = [Int32](repeating: -1, count: keepImage.count)
            var next: Int32 = 0
            for (index, kept) in keepImage.enumerated() where kept {
                newIndex[index] = next
                next += 1
            }
            gt.imageIDs = zip(groundTruth.imageIDs, keepImage).filter(\.1).map(\.0)
            gt.imageWidths = zip(groundTruth.imageWidths, keepImage).filter(\.1).map(\.0)
            gt.imageHeights = zip(groundTruth.imageHeights, keepImage).filter(\.1).map(\.0)
            gt.image = gt.image.map { newIndex[Int($0)] }
            gt.regionImage = gt.regionImage.map { newIndex[Int($0)] }
            dt.image = dt.image.map { newIndex[Int($0)] }
        }
        return (gt, boxes, dt, keptSeq)
    }
}
