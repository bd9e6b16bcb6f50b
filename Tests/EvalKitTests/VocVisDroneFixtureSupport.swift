import EvalFormats
import EvalKit
import Foundation

/// Loading the VOC and VisDrone reference cases of `Tests/Fixtures` into evaluator input.
enum VocVisDroneFixtures {
    /// `Tests/Fixtures`, found from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()  // EvalKitTests
        url.deleteLastPathComponent()  // Tests
        return url.appendingPathComponent("Fixtures").path
    }()

    static func path(_ components: String...) -> String {
        ([root] + components).joined(separator: "/")
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The whitespace-separated fields of each non-blank line.
    static func rows(_ path: String) throws -> [[String]] {
        try text(path).split(whereSeparator: \.isNewline)
            .map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
            .filter { !$0.isEmpty }
    }

    /// The sorted `.txt` file names of a folder.
    static func textFiles(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".txt") }.sorted()
    }

    // MARK: Conversion from the readers' model

    /// The evaluator's view of a dataset, as the store hands it over (annotation ids as in
    /// `CocoFixture.groundTruth(_:)`: a box without one carries its position + 1).
    static func evalGroundTruth(_ dataset: GroundTruthDataset) -> EvalGroundTruth {
        var gt = EvalGroundTruth(
            imageIDs: dataset.images.map(\.id), imageWidths: dataset.images.map(\.width),
            imageHeights: dataset.images.map(\.height), categoryIDs: dataset.categories.map(\.id).sorted())
        for (index, box) in dataset.boxes.enumerated() {
            gt.appendBox(
                image: Int32(box.imageIndex), category: box.categoryID, x: box.x, y: box.y, width: box.width,
                height: box.height, area: box.area, isCrowd: box.isCrowd, isIgnored: box.isIgnored,
                isDifficult: box.isDifficult, annotationID: CocoFixture.storedAnnotationID(box, position: index))
        }
        for region in dataset.ignoredRegions {
            gt.appendRegion(
                image: Int32(region.imageIndex), x: region.x, y: region.y, width: region.width, height: region.height)
        }
        return gt
    }

    // MARK: VisDrone

    /// visdrone-synth with one of its runs (`"A"`, `"B"`), sizes from `images.csv`.
    static func visDrone(run: String) throws -> (EvalGroundTruth, EvalDetections) {
        let folder = path("visdrone-synth")
        let sizes = try ImageSizeTable.read(path: folder + "/images.csv")
        let dataset = try VisDroneDatasetReader.read(path: folder, sizes: sizes)
        let batch = try VisDroneResultsReader.read(path: folder + "/results-" + run)
        var imageOfStem: [String: Int32] = [:]
        for (index, image) in dataset.images.enumerated() { imageOfStem[image.stem] = Int32(index) }
        var dt = EvalDetections()
        for row in 0..<batch.count {
            guard case .name(let stem) = batch.imageKeys[row], let image = imageOfStem[stem],
                case .id(let category) = batch.categoryKeys[row]
            else { continue }
            dt.append(
                image: image, category: category, score: batch.scores[row], x: batch.a[row], y: batch.b[row],
                width: batch.c[row], height: batch.d[row])
        }
        return (evalGroundTruth(dataset), dt)
    }

    /// `expected-official-<run>.txt`: metric name -> value in percent.
    static func visDroneExpected(run: String) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for row in try rows(path("visdrone-synth", "expected-official-\(run).txt")) where row.count == 2 {
            values[row[0]] = Double(row[1])
        }
        return values
    }

    // MARK: VOC

    /// The py-faster-rcnn expectation of a case: `results["iou=<iou>"][voc07_11point|voc10_allpoint]`.
    struct VocExpectation: Sendable, CustomStringConvertible {
        var caseName: String
        var iouKey: String
        var metric: VocMetric
        var mAP: Double
        /// Class name -> (AP, npos, TP).
        var classes: [String: (ap: Double, positives: Int, truePositives: Int)]

        var iouThreshold: Double { Double(iouKey.dropFirst(4))! }
        var description: String { "\(caseName) \(iouKey) \(metric.rawValue)" }
    }

    static func vocExpectations(_ caseName: String) throws -> [VocExpectation] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(caseName, "expected-voc-pyfasterrcnn.json")))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let results = json?["results"] as? [String: Any] ?? [:]
        var expectations: [VocExpectation] = []
        for iouKey in results.keys.sorted() {
            let byMetric = results[iouKey] as? [String: Any] ?? [:]
            for (key, metric) in [("voc07_11point", VocMetric.elevenPoint), ("voc10_allpoint", .allPoint)] {
                guard let entry = byMetric[key] as? [String: Any], let mAP = (entry["mAP"] as? NSNumber)?.doubleValue,
                    let perClass = entry["per_class"] as? [String: [String: Any]]
                else { continue }
                var classes: [String: (ap: Double, positives: Int, truePositives: Int)] = [:]
                for (name, values) in perClass {
                    classes[name] = (
                        (values["AP"] as? NSNumber)?.doubleValue ?? .nan, (values["npos"] as? NSNumber)?.intValue ?? -1,
                        (values["TP"] as? NSNumber)?.intValue ?? -1
                    )
                }
                expectations.append(
                    VocExpectation(caseName: caseName, iouKey: iouKey, metric: metric, mAP: mAP, classes: classes))
            }
        }
        return expectations
    }

    /// A VOC-style case: the ground truth, the detections and the class name of each category id.
    struct VocCase {
        var gt: EvalGroundTruth
        var dt: EvalDetections
        var classNames: [Int64: String]
    }

    /// padilla-odm-sample2: `cls x y w h` ground truths and `cls conf x y w h` detections, absolute pixels. Stored
    /// as given, so `xmax = x + w` (the case's README; the published values need exactly that).
    static func padillaSample2() throws -> VocCase {
        let folder = path("padilla-odm-sample2")
        let files = try textFiles(folder + "/groundtruths")
        let gtRows = try files.map { try rows(folder + "/groundtruths/" + $0) }
        let dtRows = try files.map { try rows(folder + "/detections/" + $0) }
        let names = Set(gtRows.joined().map { $0[0] }).sorted()
        var idOfName: [String: Int64] = [:]
        for (index, name) in names.enumerated() { idOfName[name] = Int64(index + 1) }
        var gt = EvalGroundTruth(
            imageIDs: files.indices.map { Int64($0 + 1) }, imageWidths: files.map { _ in 0 },
            imageHeights: files.map { _ in 0 }, categoryIDs: names.indices.map { Int64($0 + 1) })
        var dt = EvalDetections()
        for image in files.indices {
            for row in gtRows[image] {
                let (x, y, w, h) = (Double(row[1])!, Double(row[2])!, Double(row[3])!, Double(row[4])!)
                gt.appendBox(
                    image: Int32(image), category: idOfName[row[0]]!, x: x, y: y, width: w, height: h, area: w * h)
            }
            for row in dtRows[image] {
                dt.append(
                    image: Int32(image), category: idOfName[row[0]] ?? -1, score: Double(row[1])!, x: Double(row[2])!,
                    y: Double(row[3])!, width: Double(row[4])!, height: Double(row[5])!)
            }
        }
        return VocCase(gt: gt, dt: dt, classNames: Dictionary(uniqueKeysWithValues: idOfName.map { ($1, $0) }))
    }

    /// The text detection formats of padilla-review-toyexample.
    enum ToyDetectionFormat: String, CaseIterable, Sendable {
        case classNameXYWH = "dets_classname_abs_xywh"
        case classNameXYXY = "dets_classname_abs_xyx2y2"
        case classIDXYWH = "dets_classid_abs_xywh"
        /// YOLO-style, normalized by the image size from the XML; converted like the review repo's
        /// `convert_to_absolute_values` (corners rounded to whole pixels).
        case classIDRelativeCenter = "dets_classid_rel_xcycwh"
    }

    /// padilla-review-toyexample: VOC XML ground truth read by `VocDatasetReader`, detections in `format`.
    static func padillaToyExample(_ format: ToyDetectionFormat) throws -> VocCase {
        let folder = path("padilla-review-toyexample")
        let dataset = try VocDatasetReader.read(path: folder + "/gts_vocpascal_format")
        let gt = evalGroundTruth(dataset)
        let vocNames = try rows(folder + "/voc.names").map { $0[0] }
        var idOfName: [String: Int64] = [:]
        for category in dataset.categories { idOfName[category.name] = category.id }
        var dt = EvalDetections()
        for (index, image) in dataset.images.enumerated() {
            let file = folder + "/" + format.rawValue + "/" + image.stem + ".txt"
            guard FileManager.default.fileExists(atPath: file) else { continue }
            for row in try rows(file) {
                let name = format == .classIDXYWH || format == .classIDRelativeCenter ? vocNames[Int(row[0])!] : row[0]
                let v = row[2...5].map { Double($0)! }
                let (x1, y1, x2, y2): (Double, Double, Double, Double)
                switch format {
                case .classNameXYWH, .classIDXYWH: (x1, y1, x2, y2) = (v[0], v[1], v[0] + v[2], v[1] + v[3])
                case .classNameXYXY: (x1, y1, x2, y2) = (v[0], v[1], v[2], v[3])
                case .classIDRelativeCenter:
                    let (width, height) = (Double(image.width), Double(image.height))
                    let (w, h) = (width * v[2], height * v[3])
                    let left = v[0] * width - w / 2
                    let top = v[1] * height - h / 2
                    (x1, y1, x2, y2) = (
                        left.rounded(.toNearestOrEven), top.rounded(.toNearestOrEven),
                        (left + w).rounded(.toNearestOrEven), (top + h).rounded(.toNearestOrEven)
                    )
                }
                dt.append(
                    image: Int32(index), category: idOfName[name] ?? -1, score: Double(row[1])!, x: x1, y: y1,
                    width: x2 - x1, height: y2 - y1)
            }
        }
        let classNames = Dictionary(uniqueKeysWithValues: dataset.categories.map { ($0.id, $0.name) })
        return VocCase(gt: gt, dt: dt, classNames: classNames)
    }
}
