import EvalFormats
import EvalKit
import Foundation
import Testing

/// Loads COCO fixtures into the evaluator's input types, and reads their expected pycocotools values.
enum CocoFixture {
    /// `Tests/Fixtures`, found from this file's location.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The absolute path of a fixture file.
    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Reads a COCO ground-truth file as `EvalGroundTruth` (images in file order, categories ascending).
    static func groundTruth(_ relative: String) throws -> EvalGroundTruth {
        let dataset = try CocoDatasetReader.read(path: path(relative))
        return groundTruth(dataset)
    }

    /// Converts a dataset the way the store hands it to the evaluator: a box's annotation id is its COCO id, and a
    /// box without one (VOC, YOLO and VisDrone data) carries its position in the file + 1, as in the store (which
    /// gives it its `gt_boxes` row id: 1, 2, ... in file order for the first dataset stored). COCO boxes always
    /// have an id (the reader requires one), so a COCO id 0 stays pycocotools' id that never matches, while a box
    /// without an id is never mistaken for it.
    static func groundTruth(_ dataset: GroundTruthDataset) -> EvalGroundTruth {
        var groundTruth = EvalGroundTruth(
            imageIDs: dataset.images.map(\.id), imageWidths: dataset.images.map(\.width),
            imageHeights: dataset.images.map(\.height), categoryIDs: dataset.categories.map(\.id).sorted())
        for (index, box) in dataset.boxes.enumerated() {
            groundTruth.appendBox(
                image: Int32(box.imageIndex), category: box.categoryID, x: box.x, y: box.y, width: box.width,
                height: box.height, area: box.area, isCrowd: box.isCrowd, isIgnored: box.isIgnored,
                isDifficult: box.isDifficult, annotationID: storedAnnotationID(box, position: index))
        }
        return groundTruth
    }

    /// The annotation id the store gives the evaluator for the box at `position` of a dataset stored first.
    static func storedAnnotationID(_ box: GroundTruthBox, position: Int) -> Int64 {
        box.annotationID ?? Int64(position + 1)
    }

    /// Reads a COCO results file as `EvalDetections` against `groundTruth` (image ids resolved to indexes).
    static func detections(_ relative: String, for groundTruth: EvalGroundTruth) throws -> EvalDetections {
        let batch = try CocoResultsReader.read(path: path(relative))
        return try detections(batch, for: groundTruth)
    }

    /// Converts a COCO results batch (`xywh`, numeric keys) against `groundTruth`.
    static func detections(_ batch: DetectionBatch, for groundTruth: EvalGroundTruth) throws -> EvalDetections {
        var imageIndex: [Int64: Int32] = [:]
        for (index, id) in groundTruth.imageIDs.enumerated() { imageIndex[id] = Int32(index) }
        var detections = EvalDetections()
        for row in 0..<batch.count {
            guard case .id(let imageID) = batch.imageKeys[row], case .id(let category) = batch.categoryKeys[row]
            else { throw FixtureError.unexpected("row \(row) has a name key") }
            let image = try #require(imageIndex[imageID], "unknown image id \(imageID)")
            detections.append(
                image: image, category: category, score: batch.scores[row], x: batch.a[row], y: batch.b[row],
                width: batch.c[row], height: batch.d[row])
        }
        return detections
    }

    /// The expected pycocotools values of a case: the 12 stats and per-category AP/AP50/AP75/AR100.
    struct Expected {
        var stats: [Double]
        var perCategory: [Int64: [String: Double]]
    }

    /// Reads an `expected-pycocotools*.json` with Foundation's JSON parser.
    static func expected(_ relative: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let stats = try #require(object["stats"] as? [NSNumber]).map(\.doubleValue)
        let categories = try #require(object["per_category"] as? [String: [String: NSNumber]])
        var perCategory: [Int64: [String: Double]] = [:]
        for (key, values) in categories {
            perCategory[try #require(Int64(key))] = values.mapValues(\.doubleValue)
        }
        return Expected(stats: stats, perCategory: perCategory)
    }

    enum FixtureError: Error {
        case unexpected(String)
    }
}

/// Builds small hand-made cases.
struct CocoCaseBuilder {
    var groundTruth: EvalGroundTruth
    var detections = EvalDetections()

    /// Images with the given ids (all 100 × 100) and categories.
    init(imageIDs: [Int64] = [1], categories: [Int64] = [1]) {
        groundTruth = EvalGroundTruth(
            imageIDs: imageIDs, imageWidths: imageIDs.map { _ in 100 }, imageHeights: imageIDs.map { _ in 100 },
            categoryIDs: categories)
    }

    /// Adds a ground-truth box; `area` defaults to `w * h`, the annotation id to the next 1-based number.
    mutating func box(
        image: Int32 = 0, category: Int64 = 1, _ x: Double, _ y: Double, _ w: Double, _ h: Double,
        area: Double? = nil, crowd: Bool = false, id: Int64? = nil
    ) {
        groundTruth.appendBox(
            image: image, category: category, x: x, y: y, width: w, height: h, area: area ?? w * h,
            isCrowd: crowd, annotationID: id ?? Int64(groundTruth.count + 1))
    }

    /// Adds a detection.
    mutating func detection(
        image: Int32 = 0, category: Int64 = 1, score: Double, _ x: Double, _ y: Double, _ w: Double, _ h: Double
    ) {
        detections.append(image: image, category: category, score: score, x: x, y: y, width: w, height: h)
    }

    /// Evaluates the case.
    func evaluate(_ parameters: CocoParameters = CocoParameters()) -> CocoResult {
        CocoEvaluator.evaluate(groundTruth, detections, parameters: parameters)
    }
}
