import EvalKit
import Testing

@Suite struct ThresholdSearchTests {
    static func truth(images: Int = 1, categories: [Int64] = [1]) -> EvalGroundTruth {
        EvalGroundTruth(
            imageIDs: (1...images).map(Int64.init), imageWidths: Array(repeating: 100, count: images),
            imageHeights: Array(repeating: 100, count: images), categoryIDs: categories)
    }

    /// Hand-worked: 3 ground-truth boxes, detections (score, TP?): 0.9 TP, 0.8 FP, 0.7 TP, 0.6 FP, 0.5 FP.
    /// Thresholds (F1 = 2TP / (2TP + FP + FN)): 0.9: TP 1 FP 0 FN 2, F1 2/4; 0.8: 1,1,2 F1 2/5; 0.7: 2,1,1 F1
    /// 4/6 = 0.667; 0.6: 2,2,1 F1 4/7; 0.5: 2,3,1 F1 4/8. Best: 0.7. Precision >= 0.6: 0.9 (1), 0.8 (0.5), 0.7 (0.667),
    /// 0.6 (0.5), 0.5 (0.4): the lowest threshold reaching 0.6 is 0.7.
    @Test func handWorkedBestF1AndTargetPrecision() {
        var gt = Self.truth()
        for (k, x) in [0.0, 30, 60].enumerated() {
            gt.appendBox(
                image: 0, category: 1, x: x, y: 0, width: 10, height: 10, area: 100, annotationID: Int64(k + 1))
        }
        var dets = EvalDetections()
        dets.append(image: 0, category: 1, score: 0.9, x: 0, y: 0, width: 10, height: 10)
        dets.append(image: 0, category: 1, score: 0.8, x: 0, y: 50, width: 10, height: 10)
        dets.append(image: 0, category: 1, score: 0.7, x: 30, y: 0, width: 10, height: 10)
        dets.append(image: 0, category: 1, score: 0.6, x: 0, y: 80, width: 10, height: 10)
        dets.append(image: 0, category: 1, score: 0.5, x: 80, y: 80, width: 10, height: 10)
        let result = Evaluation.evaluate(gt, dets, parameters: .coco(CocoParameters(iouThresholds: [0.5])))
        let analysis = ThresholdSearch.analyze(result, dets, gt, targetPrecision: 0.6)
        let curve = analysis.classes[0].curve
        #expect(curve.points.map(\.threshold) == [0.9, 0.8, 0.7, 0.6, 0.5])
        #expect(curve.points.map(\.truePositives) == [1, 1, 2, 2, 2])
        #expect(curve.points.map(\.falsePositives) == [0, 1, 1, 2, 3])
        let expectedF1: [Double] = [2.0 / 4, 2.0 / 5, 4.0 / 6, 4.0 / 7, 4.0 / 8]
        #expect(curve.points.map(\.f1) == expectedF1)
        #expect(curve.best?.threshold == 0.7 && curve.best?.falseNegatives == 1)
        #expect(curve.best?.precision == 2.0 / 3 && curve.best?.recall == 2.0 / 3)
        #expect(curve.atTargetPrecision?.threshold == 0.7)
        #expect(analysis.overall == curve)
    }

    /// Equal scores form one point; among equal F1 the highest threshold wins; a class without true positives
    /// has no best threshold.
    @Test func tiesAndClassesWithoutTruePositives() {
        var gt = Self.truth(categories: [1, 2])
        gt.appendBox(image: 0, category: 1, x: 0, y: 0, width: 10, height: 10, area: 100, annotationID: 1)
        gt.appendBox(image: 0, category: 1, x: 30, y: 0, width: 10, height: 10, area: 100, annotationID: 2)
        var dets = EvalDetections()
        dets.append(image: 0, category: 1, score: 0.9, x: 0, y: 0, width: 10, height: 10)  // TP
        dets.append(image: 0, category: 1, score: 0.5, x: 30, y: 0, width: 10, height: 10)  // TP
        dets.append(image: 0, category: 1, score: 0.5, x: 60, y: 60, width: 10, height: 10)  // FP, same score
        dets.append(image: 0, category: 2, score: 0.8, x: 60, y: 0, width: 10, height: 10)  // FP, class 2 has no GT
        let result = Evaluation.evaluate(gt, dets, parameters: .coco(CocoParameters(iouThresholds: [0.5])))
        let analysis = ThresholdSearch.analyze(result, dets, gt)
        // Class 1: 0.9: TP 1 FP 0 FN 1: F1 2/3; 0.5: TP 2 FP 1 FN 0: F1 4/5.
        let one = analysis.classes.first { $0.categoryID == 1 }!.curve
        #expect(one.points.count == 2)
        #expect(one.best?.threshold == 0.5 && one.best?.f1 == 0.8)
        // Class 2: no ground truth. pycocotools counts no class without ground truth, so its outcomes are ignored.
        let two = analysis.classes.first { $0.categoryID == 2 }
        #expect(two == nil || two?.curve.best == nil)
    }

    /// The claim the search rests on: keeping the detections scoring >= s does not change how they are matched.
    /// For random cases under every protocol, each point's TP / FP / FN equal those of the exact evaluator run on
    /// only the detections scoring >= the point's threshold.
    @Test(arguments: 0..<12) func pointsEqualEvaluatingTheKeptDetections(seed: Int) {
        var random = AnalysisTestRandom(seed: UInt64(seed))
        let categories: [Int64] = [1, 2, 3]
        var gt = Self.truth(images: 4, categories: categories)
        var dets = EvalDetections()
        for image in 0..<4 {
            for _ in 0..<random.int(9) {
                let crowd = random.int(12) == 0
                let difficult = random.int(12) == 0
                gt.appendBox(
                    image: Int32(image), category: categories[random.int(3)], x: random.double(70),
                    y: random.double(70), width: 10 + random.double(20), height: 10 + random.double(20), area: 400,
                    isCrowd: crowd, isDifficult: difficult, annotationID: Int64(gt.count + 1))
            }
            let boxes = (0..<gt.count).filter { gt.image[$0] == Int32(image) }
            for _ in 0..<random.int(14) {
                // Scores on a coarse grid, so that ties occur; most detections are shifted copies of a box.
                let score = Double(1 + random.int(10)) / 10
                if let box = boxes.isEmpty || random.int(4) == 0 ? nil : boxes[random.int(boxes.count)] {
                    let category = random.int(5) == 0 ? categories[random.int(3)] : gt.category[box]
                    dets.append(
                        image: Int32(image), category: category, score: score, x: gt.x[box] + random.double(6) - 3,
                        y: gt.y[box] + random.double(6) - 3, width: gt.width[box], height: gt.height[box])
                } else {
                    dets.append(
                        image: Int32(image), category: categories[random.int(3)], score: score,
                        x: random.double(70), y: random.double(70), width: 10 + random.double(20),
                        height: 10 + random.double(20))
                }
            }
        }
        let protocols: [ProtocolParameters] = [
            .coco(CocoParameters(iouThresholds: [0.5])),
            .voc(VocParameters(metric: .elevenPoint)),
            .voc(VocParameters(metric: .allPoint)),
            // VisDrone's budgets count rows in file order: equal only while they do not bind (here they do not).
            .visdrone(VisDroneParameters(iouThresholds: [0.5])),
        ]
        for parameters in protocols {
            let result = Evaluation.evaluate(gt, dets, parameters: parameters)
            let analysis = ThresholdSearch.analyze(result, dets, gt)
            #expect(analysis.overall.points.contains { $0.truePositives > 0 }, "a case with true positives")
            for point in analysis.overall.points {
                var kept = EvalDetections()
                for i in 0..<dets.count where dets.score[i] >= point.threshold {
                    kept.append(
                        image: dets.image[i], category: dets.category[i], score: dets.score[i], x: dets.x[i],
                        y: dets.y[i], width: dets.width[i], height: dets.height[i])
                }
                let counts = Evaluation.evaluate(gt, kept, parameters: parameters).classCounts.filter { $0.iou == 0.5 }
                #expect(point.truePositives == counts.reduce(0) { $0 + $1.truePositives }, "\(parameters)")
                #expect(point.falsePositives == counts.reduce(0) { $0 + $1.falsePositives }, "\(parameters)")
                #expect(point.falseNegatives == counts.reduce(0) { $0 + $1.falseNegatives }, "\(parameters)")
            }
        }
    }
}
