import EvalKit
import EvalFormats
import Testing

/// Hand-made catalogs and batches: each test feeds one input mistake and checks what the diagnosis says.
@Suite struct DetectionDiagnosisTests {
    /// Two 640x480 images (ids 1 and 2, `000000000001.jpg` / `000000000002.jpg`), COCO-style category
    /// ids 1 (person) and 3 (car).
    let catalog = DatasetCatalog(
        name: "toy", format: .coco,
        images: [
            .init(id: 1, fileName: "000000000001.jpg", width: 640, height: 480),
            .init(id: 2, fileName: "000000000002.jpg", width: 640, height: 480),
        ],
        categories: [CategoryRecord(id: 1, name: "person"), CategoryRecord(id: 3, name: "car")],
        largestGroundTruthCoordinate: 600)

    func batch(
        _ rows: [(image: ImageKey, category: CategoryKey, score: Double, box: [Double])],
        encoding: BoxEncoding = .xywh, format: DetectionFormat = .coco
    ) -> DetectionBatch {
        var batch = DetectionBatch(format: format, boxEncoding: encoding, files: ["dets.json"])
        for (index, row) in rows.enumerated() {
            batch.append(
                image: row.image, category: row.category, score: row.score, row.box[0], row.box[1], row.box[2],
                row.box[3], file: 0, line: Int32(index + 2))
        }
        return batch
    }

    @Test func cleanInputHasNoBlockingFindingAndKeepsValues() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(2), .id(3), 0.5, [100.5, 200.25, 50, 60]),
        ])
        let (report, detections) = DetectionDiagnosis.diagnose(input, against: catalog)
        #expect(report.blocking(strict: true).isEmpty)
        #expect(detections.count == 2)
        #expect(detections.boxes.image == [0, 1])
        #expect(detections.boxes.category == [1, 3])
        #expect(detections.boxes.x == [10, 100.5])
        #expect(detections.boxes.y == [20, 200.25])
        #expect(detections.boxes.width == [30, 50])
        #expect(detections.boxes.height == [40, 60])
        #expect(detections.boxes.score == [0.9, 0.5])
        #expect(detections.row == [0, 1])
    }

    @Test func normalizedCoordinatesAreFatalAndScaledWithTheFlag() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [0.1, 0.2, 0.3, 0.4]),
            (.id(2), .id(3), 0.8, [0.5, 0.5, 0.25, 0.5]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let finding = try #require(report.finding("normalized-coordinates"))
        #expect(finding.severity == .fatal)
        #expect(finding.summary.contains("all 2 boxes lie within [0, 1]"))
        #expect(finding.summary.contains("640x480"))
        #expect(finding.fix?.contains("--normalized") == true)

        let (fixed, detections) = DetectionDiagnosis.diagnose(
            input, against: catalog, options: DiagnosisOptions(boxScale: .normalized))
        #expect(fixed.blocking(strict: false).isEmpty)
        // 0.1 * 640, 0.2 * 480, 0.3 * 640, 0.4 * 480 in Double arithmetic.
        #expect(detections.boxes.x[0] == 0.1 * 640)
        #expect(detections.boxes.y[0] == 0.2 * 480)
        #expect(detections.boxes.width[1] == 160)
        #expect(detections.boxes.height[1] == 240)
    }

    @Test func cornerBoxesReadAsSizesAreFatalAndReadRightWithBoxFormat() throws {
        // [x1, y1, x2, y2] written where [x, y, w, h] is expected: x + "w" leaves the 640-wide image.
        let input = batch([
            (.id(1), .id(1), 0.9, [300, 200, 600, 450]),
            (.id(1), .id(3), 0.8, [400, 100, 630, 300]),
            (.id(2), .id(1), 0.7, [10, 10, 50, 60]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let finding = try #require(report.finding("corners-read-as-sizes"))
        #expect(finding.severity == .fatal)
        #expect(finding.count == 2)
        #expect(finding.summary.contains("[x1, y1, x2, y2]"))
        #expect(finding.fix == "pass --box-format xyxy, or convert the boxes to [x, y, width, height]")
        #expect(report.finding("box-outside-image") == nil)

        let (fixed, detections) = DetectionDiagnosis.diagnose(
            input, against: catalog, options: DiagnosisOptions(boxLayout: .xyxy))
        #expect(fixed.blocking(strict: true).isEmpty)
        #expect(detections.boxes.width == [300, 230, 40])
        #expect(detections.boxes.height == [250, 200, 50])
    }

    @Test func sizeBoxesReadAsCornersAreFatal() throws {
        // VOC result files are corners; these are [x, y, w, h].
        var input = batch(
            [
                (.name("000000000001"), .name("car"), 0.9, [300, 200, 100, 50]),
                (.name("000000000002"), .name("person"), 0.8, [200, 100, 40, 80]),
            ], encoding: .xyxy, format: .voc)
        input.files = ["comp4_det_test_car.txt"]
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let finding = try #require(report.finding("sizes-read-as-corners"))
        #expect(finding.severity == .fatal)
        #expect(finding.fix?.contains("--box-format xywh") == true)
    }

    @Test func nonFiniteValuesAreFatalWithTheirLines() throws {
        let input = batch([
            (.id(1), .id(1), .nan, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.5, [10, .infinity, 30, 40]),
            (.id(2), .id(1), 0.5, [10, 20, 30, 40]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let score = try #require(report.finding("non-finite-score"))
        #expect(score.severity == .fatal)
        #expect(score.examples == ["dets.json:2: score NaN"])
        let box = try #require(report.finding("non-finite-box"))
        #expect(box.examples == ["dets.json:3: box [10, inf, 30, 40]"])
    }

    @Test func emptyBoxesAndNegativeScoresAreWarningsThatStrictMakesFatal() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [10, 20, 0, 40]),
            (.id(1), .id(1), -0.5, [10, 20, 30, -4]),
            (.id(2), .id(3), 0.7, [10, 20, 30, 40]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let empty = try #require(report.finding("empty-box"))
        #expect(empty.severity == .warning)
        #expect(empty.count == 2)
        #expect(empty.examples.first == "dets.json:2: box [10, 20, 0, 40] has width 0, height 40")
        #expect(try #require(report.finding("negative-score")).count == 1)
        #expect(report.blocking(strict: false).isEmpty)
        #expect(report.blocking(strict: true).map(\.code).sorted() == ["empty-box", "negative-score"])
    }

    @Test func boxesOutsideTheImageAreWarnings() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [600, 20, 100, 40]),
            (.id(1), .id(1), 0.8, [10, 20, 30, 40]),
            (.id(2), .id(3), 0.7, [-5, 20, 30, 40]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        let outside = try #require(report.finding("box-outside-image"))
        #expect(outside.severity == .warning)
        #expect(outside.count == 2)
        #expect(outside.examples[0] == "dets.json:2: box [600, 20, 100, 40] on 000000000001.jpg (640x480)")
    }

    @Test func zeroBasedCategoryIdsAreRecognisedAsOffByOne() throws {
        // Dataset ids 1 and 2; the model wrote 0 and 1.
        let twoClasses = DatasetCatalog(
            name: "toy", format: .coco, images: catalog.images,
            categories: [CategoryRecord(id: 1, name: "person"), CategoryRecord(id: 2, name: "car")],
            largestGroundTruthCoordinate: 600)
        let input = batch([
            (.id(1), .id(0), 0.9, [10, 20, 30, 40]),
            (.id(2), .id(1), 0.8, [10, 20, 30, 40]),
            (.id(2), .id(0), 0.7, [50, 20, 30, 40]),
        ])
        let report = DetectionDiagnosis.diagnose(input, against: twoClasses).report
        let finding = try #require(report.finding("unknown-categories"))
        #expect(finding.severity == .fatal)
        #expect(finding.count == 2)
        #expect(finding.summary.contains("category_id 0 x2"))
        #expect(finding.summary.contains("the ids look 0-based against the dataset's 1-based ids"))
        #expect(finding.fix == "pass --category-offset=1 (every category id then matches the dataset)")

        let (fixed, detections) = DetectionDiagnosis.diagnose(
            input, against: twoClasses, options: DiagnosisOptions(categoryOffset: 1))
        #expect(fixed.blocking(strict: false).isEmpty)
        #expect(detections.boxes.category == [1, 2, 1])
    }

    @Test func unknownCategoriesListTheDatasetsCategories() throws {
        let input = batch([(.id(1), .id(7), 0.9, [10, 20, 30, 40])])
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: catalog).report.finding("unknown-categories"))
        #expect(
            finding.fix
                == "the dataset has: 1 person, 3 car; map the model's classes to these ids (--category-map FILE)")
        #expect(finding.examples == ["dets.json:2: category_id 7"])
    }

    @Test func unknownImageIdsSuggestMatchingByFileName() throws {
        // The exporter used the number in the file name while the dataset numbers images differently.
        let renumbered = DatasetCatalog(
            name: "toy", format: .coco,
            images: [
                .init(id: 100, fileName: "000000000001.jpg", width: 640, height: 480),
                .init(id: 200, fileName: "000000000002.jpg", width: 640, height: 480),
            ],
            categories: catalog.categories, largestGroundTruthCoordinate: 600)
        let input = batch([
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(2), .id(1), 0.8, [10, 20, 30, 40]),
        ])
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: renumbered).report.finding("unknown-images"))
        #expect(finding.severity == .fatal)
        #expect(finding.summary.hasPrefix("2 detections refer to 2 images not in dataset 'toy'"))
        #expect(
            finding.fix == "every one of them matches a dataset image by file name: pass --match-images-by file-name")

        let (fixed, detections) = DetectionDiagnosis.diagnose(
            input, against: renumbered, options: DiagnosisOptions(imageMatching: .fileName))
        #expect(fixed.blocking(strict: false).isEmpty)
        #expect(detections.boxes.image == [0, 1])
    }

    @Test func imagesThatMatchNothingSayWhichAndWhere() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(42), .id(1), 0.8, [10, 20, 30, 40]),
        ])
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: catalog).report.finding("unknown-images"))
        #expect(finding.summary == "1 detection refers to 1 image not in dataset 'toy' (image_id 42)")
        #expect(finding.examples == ["dets.json:3: image_id 42"])
        #expect(finding.fix?.contains("--dataset") == true)
    }

    @Test func duplicateDetectionsAreCounted() throws {
        let input = batch([
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.8, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
        ])
        // Half of the rows repeat another: the export was written twice, fatal.
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: catalog).report.finding("duplicate-detections"))
        #expect(finding.severity == .fatal)
        #expect(finding.count == 2)
        #expect(finding.examples.first?.hasPrefix("dets.json:3: image_id 1") == true)
        #expect(finding.fix?.contains("--drop-duplicates") == true)
        // A few repeats are a warning.
        let few = batch([
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.9, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.8, [10, 20, 30, 40]),
            (.id(1), .id(1), 0.7, [10, 20, 30, 40]),
        ])
        let warning = try #require(
            DetectionDiagnosis.diagnose(few, against: catalog).report.finding("duplicate-detections"))
        #expect(warning.severity == .warning)
        // --drop-duplicates keeps the first of each.
        let dropped = DetectionDiagnosis.diagnose(
            input, against: catalog, options: DiagnosisOptions(dropsDuplicates: true))
        #expect(dropped.report.finding("duplicate-detections") == nil)
        #expect(dropped.detections.count == 2)
        #expect(dropped.detections.boxes.score == [0.9, 0.8])
    }

    @Test func yoloPixelCoordinatesAreFatal() throws {
        let input = batch(
            [(.name("000000000001"), .id(1), 0.9, [320, 240, 100, 80])], encoding: .normalizedCenter, format: .yolo)
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: catalog).report.finding("pixel-coordinates-in-yolo"))
        #expect(finding.severity == .fatal)
        #expect(finding.examples == ["dets.json:2: box [320, 240, 100, 80]"])
    }

    @Test func oneBrokenYoloValueIsABoxOutsideTheImageNotPixels() throws {
        let input = batch(
            [
                (.name("000000000001"), .id(1), 0.9, [0.5, 1e26, 0.1, 0.2]),
                (.name("000000000001"), .id(1), 0.8, [0.5, 0.5, 0.1, 0.2]),
                (.name("000000000002"), .id(3), 0.6, [0.5, 0.5, 0.25, 0.5]),
            ], encoding: .normalizedCenter, format: .yolo)
        let report = DetectionDiagnosis.diagnose(input, against: catalog).report
        #expect(report.finding("pixel-coordinates-in-yolo") == nil)
        let outside = try #require(report.finding("box-outside-image"))
        #expect(outside.severity == .warning)
        #expect(outside.count == 1)
        #expect(outside.examples.first?.hasPrefix("dets.json:2: box [0.5, 1e+26, 0.1, 0.2]") == true)
    }

    @Test func yoloCentersConvertToPixelCorners() throws {
        let input = batch(
            [(.name("000000000002"), .id(3), 0.6, [0.5, 0.5, 0.25, 0.5])], encoding: .normalizedCenter, format: .yolo)
        let (report, detections) = DetectionDiagnosis.diagnose(input, against: catalog)
        #expect(report.blocking(strict: true).isEmpty)
        #expect(detections.boxes.image == [1])
        // cx 320, cy 240, w 160, h 240 -> x 240, y 120.
        #expect(detections.boxes.x == [240])
        #expect(detections.boxes.y == [120])
        #expect(detections.boxes.width == [160])
        #expect(detections.boxes.height == [240])
    }

    @Test func classNamesMatchIgnoringCaseWithAWarning() throws {
        let input = batch(
            [(.name("000000000001"), .name("Car"), 0.9, [10, 20, 40, 50])], encoding: .xyxy, format: .voc)
        let (report, detections) = DetectionDiagnosis.diagnose(input, against: catalog)
        #expect(report.finding("category-name-case")?.severity == .warning)
        #expect(detections.boxes.category == [3])
    }

    @Test func normalizedDetectionsNeedImageSizes() throws {
        let unsized = DatasetCatalog(
            name: "toy", format: .coco, images: [.init(id: 1, fileName: "a.jpg", width: 0, height: 0)],
            categories: catalog.categories, largestGroundTruthCoordinate: 600)
        let input = batch(
            [(.name("a"), .id(1), 0.9, [0.5, 0.5, 0.2, 0.2])], encoding: .normalizedCenter, format: .yolo)
        let finding = try #require(
            DetectionDiagnosis.diagnose(input, against: unsized).report.finding("normalized-without-size"))
        #expect(finding.severity == .fatal)
        #expect(finding.examples == ["dets.json:2: image 'a' has no size in the dataset"])
    }

    @Test func constantScoresAreAWarning() throws {
        let input = batch([
            (.id(1), .id(1), 1, [10, 20, 30, 40]),
            (.id(2), .id(1), 1, [10, 20, 30, 40]),
        ])
        #expect(
            DetectionDiagnosis.diagnose(input, against: catalog).report.finding("constant-score")?.severity == .warning)
    }
}

@Suite struct GroundTruthDiagnosisTests {
    func dataset(boxes: [GroundTruthBox], width: Int = 640) -> GroundTruthDataset {
        GroundTruthDataset(
            format: .coco, categories: [CategoryRecord(id: 1, name: "person"), CategoryRecord(id: 2, name: "car")],
            images: [ImageRecord(id: 1, fileName: "a.jpg", width: width, height: 480)], boxes: boxes)
    }

    @Test func annotationIdZeroIsAWarning() throws {
        let report = GroundTruthDiagnosis.diagnose(
            dataset(boxes: [
                GroundTruthBox(
                    annotationID: 0, imageIndex: 0, categoryID: 1, x: 1, y: 2, width: 3, height: 4,
                    location: SourceLocation(file: "gt.json", line: 9))
            ]))
        let finding = try #require(report.finding("annotation-id-zero"))
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("pycocotools"))
        #expect(finding.examples == ["gt.json:9: annotation id 0"])
        #expect(report.finding("categories-without-boxes")?.summary.contains("car") == true)
    }

    @Test func normalizedGroundTruthIsFatal() throws {
        let report = GroundTruthDiagnosis.diagnose(
            dataset(boxes: [
                GroundTruthBox(annotationID: 1, imageIndex: 0, categoryID: 1, x: 0.1, y: 0.2, width: 0.3, height: 0.4)
            ]))
        #expect(report.finding("normalized-coordinates")?.severity == .fatal)
    }

    @Test func imagesWithoutSizeAreAWarningAndSkipTheBoundsCheck() throws {
        // COCO files may omit sizes; pycocotools does not need them for boxes.
        let box = GroundTruthBox(annotationID: 1, imageIndex: 0, categoryID: 1, x: 10, y: 20, width: 3000, height: 40)
        let report = GroundTruthDiagnosis.diagnose(dataset(boxes: [box], width: 0))
        #expect(report.finding("image-size")?.severity == .warning)
        #expect(report.finding("box-outside-image") == nil)
        #expect(GroundTruthDiagnosis.diagnose(dataset(boxes: [box])).finding("box-outside-image") != nil)
    }

    @Test func duplicateAnnotationIdsAreAWarning() throws {
        let box = GroundTruthBox(annotationID: 5, imageIndex: 0, categoryID: 1, x: 10, y: 20, width: 30, height: 40)
        let report = GroundTruthDiagnosis.diagnose(dataset(boxes: [box, box]))
        #expect(report.finding("duplicate-annotation-ids")?.count == 1)
    }
}
