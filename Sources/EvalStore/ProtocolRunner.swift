import EvalFormats
import EvalKit

/// Runs a protocol on evaluation inputs and shapes its results as an `EvaluationRecord`.
enum ProtocolRunner {
    static func run(_ groundTruth: EvalGroundTruth, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let clock = ContinuousClock()
        let start = clock.now
        var record: EvaluationRecord
        let settings = context.settings
        switch settings.evaluationProtocol {
        case .coco:
            let result = CocoEvaluator.evaluate(groundTruth, detections, parameters: cocoParameters(settings))
            record = cocoRecord(result, detections, context: context)
        case .voc07, .voc12:
            let result = VocEvaluator.evaluate(groundTruth, detections, parameters: vocParameters(settings))
            record = vocRecord(result, detections, context: context)
        case .visdrone:
            let result = VisDroneEvaluator.evaluate(
                groundTruth, detections, parameters: visDroneParameters(settings))
            record = visDroneRecord(result, detections, context: context)
        }
        let elapsed = clock.now - start
        record.durationMilliseconds =
            Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15
        return record
    }

    static func emptyRecord(_ context: ProtocolContext) -> EvaluationRecord {
        EvaluationRecord(
            protocolName: context.settings.evaluationProtocol.rawValue, parameters: context.settings.canonicalJSON,
            durationMilliseconds: 0)
    }

    /// The ranking order of detection indexes: score descending, ties in input order.
    static func ranking(_ indexes: [Int], _ detections: EvalDetections) -> [Int] {
        indexes.enumerated().sorted { a, b in
            let sa = detections.score[a.element]
            let sb = detections.score[b.element]
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
    }

    /// The PR curve of one class at one threshold from per-detection outcomes (1 TP, 0 FP, else ignored).
    static func prCurve(
        category: Int64, iou: Double, ranked: [Int], outcome: (Int) -> Int8, positives: Int,
        detections: EvalDetections
    ) -> EvaluationRecord.PRCurve {
        let curve = PrecisionRecallCurve(
            scores: ranked.map { detections.score[$0] }, outcomes: ranked.map(outcome), positives: positives)
        // As under COCO: precision 0 where the curve never reaches the point, nil only without positives.
        return EvaluationRecord.PRCurve(
            categoryID: category, iou: iou,
            precision: positives > 0 ? curve.precision.map { $0 ?? 0 } : curve.precision,
            score: curve.score)
    }

    /// Per-detection matches with empty masks and no matched boxes, for `fill...` to complete.
    static func emptyMatches(_ detections: EvalDetections, context: ProtocolContext) -> EvaluationRecord.Matches {
        var m = EvaluationRecord.Matches()
        let n = detections.count
        m.seq = context.seq
        m.image = detections.image
        m.imageRowIDs = context.imageRowIDs
        m.truePositiveMask = [Int64](repeating: 0, count: n)
        m.ignoredMask = [Int64](repeating: 0, count: n)
        m.groundTruth50 = [Int64](repeating: 0, count: n)
        m.iou50 = [Double](repeating: 0, count: n)
        m.groundTruth75 = [Int64](repeating: 0, count: n)
        m.iou75 = [Double](repeating: 0, count: n)
        return m
    }

    /// Sets the masks' bit t from outcomes laid out `[t * n + i]`: 1 TP, -1 ignored, 0 FP.
    static func fillMasks(_ m: inout EvaluationRecord.Matches, outcomes: [Int8], thresholds: Int) {
        let n = m.count
        outcomes.withUnsafeBufferPointer { outcome in
            m.truePositiveMask.withUnsafeMutableBufferPointer { tp in
                m.ignoredMask.withUnsafeMutableBufferPointer { ignored in
                    for t in 0..<thresholds {
                        let bit = Int64(1) << Int64(t)
                        for i in 0..<n {
                            switch outcome[t * n + i] {
                            case 1: tp[i] |= bit
                            case -1: ignored[i] |= bit
                            default: break
                            }
                        }
                    }
                }
            }
        }
    }

    /// The matched box (an index into the ground truth, -1 none) and IoU of each detection at IoU 0.5 (or
    /// 0.75), as `gt_boxes.id` (0 none); `keep(i)` false drops a match.
    static func fillMatched(
        _ box: UnsafeBufferPointer<Int32>, _ iou: UnsafeBufferPointer<Double>, boxRowIDs: [Int64],
        into rowIDs: inout [Int64], _ ious: inout [Double], keep: (Int) -> Bool = { _ in true }
    ) {
        for i in 0..<box.count where box[i] >= 0 && keep(i) {
            rowIDs[i] = boxRowIDs[Int(box[i])]
            ious[i] = iou[i]
        }
    }

    /// Detection indexes per category.
    static func indexesByCategory(_ detections: EvalDetections) -> [Int64: [Int]] {
        var result: [Int64: [Int]] = [:]
        for i in 0..<detections.count { result[detections.category[i], default: []].append(i) }
        return result
    }
}

extension ProtocolRunner {
    /// The devkit's parameters for these settings.
    static func vocParameters(_ settings: ProtocolSettings) -> VocParameters {
        VocParameters(
            metric: settings.evaluationProtocol == .voc07 ? .elevenPoint : .allPoint,
            iouThreshold: settings.iouThresholds[0])
    }

    /// The toolkit's parameters for these settings.
    static func visDroneParameters(_ settings: ProtocolSettings) -> VisDroneParameters {
        VisDroneParameters(iouThresholds: settings.iouThresholds, maxDetections: settings.maxDetections)
    }

    static func vocRecord(_ result: VocResult, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let settings = context.settings
        let threshold = settings.iouThresholds[0]
        var record = emptyRecord(context)
        record.metrics = [.init(name: "mAP", value: result.mAP)]
        let byCategory = indexesByCategory(detections)
        for item in result.classes {
            record.classMetrics.append(
                .init(
                    categoryID: item.categoryID, metric: "AP", iou: nil, area: "all", maxDetections: nil, value: item.ap
                ))
            record.classCounts.append(
                .init(
                    categoryID: item.categoryID, iou: threshold, groundTruth: item.positives,
                    detections: item.detections, truePositives: item.truePositives,
                    falsePositives: item.falsePositives, falseNegatives: item.positives - item.truePositives))
            let ranked = ranking(byCategory[item.categoryID] ?? [], detections)
            record.prCurves.append(
                prCurve(
                    category: item.categoryID, iou: threshold, ranked: ranked, outcome: { result.outcome[$0] },
                    positives: item.positives, detections: detections))
        }
        var matches = emptyMatches(detections, context: context)
        fillMasks(&matches, outcomes: result.outcome, thresholds: 1)
        result.matchedGroundTruth.withUnsafeBufferPointer { box in
            result.iou.withUnsafeBufferPointer { iou in
                // A duplicate of a found box is a false positive: it matched nothing.
                let keep = { (i: Int) in result.outcome[i] != 0 }
                if threshold == 0.5 {
                    fillMatched(
                        box, iou, boxRowIDs: context.boxRowIDs, into: &matches.groundTruth50, &matches.iou50, keep: keep
                    )
                }
                if threshold == 0.75 {
                    fillMatched(
                        box, iou, boxRowIDs: context.boxRowIDs, into: &matches.groundTruth75, &matches.iou75, keep: keep
                    )
                }
            }
        }
        record.matches = matches
        return record
    }

    static func visDroneRecord(_ result: VisDroneResult, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let settings = context.settings
        var record = emptyRecord(context)
        // The toolkit's mean of an empty list (no image holds classes 1...10, or a threshold or maxDets
        // that was not evaluated) is NaN: undefined.
        func defined(_ value: Double?) -> Double? { value.flatMap { $0.isNaN ? nil : $0 } }
        record.metrics = [
            .init(name: "AP", value: defined(result.ap)), .init(name: "AP50", value: defined(result.ap50)),
            .init(name: "AP75", value: defined(result.ap75)),
        ]
        record.metrics += zip(settings.maxDetections, result.arByMaxDetections).map { maxDets, value in
            .init(name: "AR\(maxDets)", value: defined(value))
        }
        let n = detections.count
        let thresholds = settings.iouThresholds
        let summaryT = thresholds.firstIndex(of: 0.5) ?? 0
        let byCategory = indexesByCategory(detections)
        for item in result.classes {
            // A class no image holds stays out of the means: its values are undefined.
            let defined = item.weight > 0
            let mean = !defined || item.ap.isEmpty ? nil : item.ap.reduce(0, +) / Double(item.ap.count)
            record.classMetrics.append(
                .init(categoryID: item.categoryID, metric: "AP", iou: nil, area: "all", maxDetections: nil, value: mean)
            )
            for (t, value) in item.ap.enumerated() {
                record.classMetrics.append(
                    .init(
                        categoryID: item.categoryID, metric: "AP", iou: thresholds[t], area: "all", maxDetections: nil,
                        value: defined ? value : nil))
            }
            for (m, maxDets) in settings.maxDetections.enumerated() {
                let values = item.ar.map { $0[m] }
                record.classMetrics.append(
                    .init(
                        categoryID: item.categoryID, metric: "AR", iou: nil, area: "all", maxDetections: maxDets,
                        value: !defined || values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)))
            }
            let indexes = byCategory[item.categoryID] ?? []
            let tp = indexes.filter { result.outcome[summaryT * n + $0] == 1 }.count
            let fp = indexes.filter { result.outcome[summaryT * n + $0] == 0 }.count
            record.classCounts.append(
                .init(
                    categoryID: item.categoryID, iou: thresholds[summaryT], groundTruth: item.groundTruthCount,
                    detections: tp + fp, truePositives: tp, falsePositives: fp,
                    falseNegatives: item.groundTruthCount - tp))
            let ranked = ranking(indexes, detections)
            for t in thresholds.indices {
                record.prCurves.append(
                    prCurve(
                        category: item.categoryID, iou: thresholds[t], ranked: ranked,
                        outcome: { result.outcome[t * n + $0] }, positives: item.groundTruthCount,
                        detections: detections))
            }
        }
        var matches = emptyMatches(detections, context: context)
        fillMasks(&matches, outcomes: result.outcome, thresholds: thresholds.count)
        record.matches = matches
        return record
    }
}
