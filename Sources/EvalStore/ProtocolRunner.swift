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
        switch context.settings.evaluationProtocol {
        case .coco:
            record = cocoRecord(groundTruth, detections, context: context)
        case .voc07, .voc12:
            record = vocRecord(groundTruth, detections, context: context)
        case .visdrone:
            record = visDroneRecord(groundTruth, detections, context: context)
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

    /// PR points of one class at one threshold from per-detection outcomes (1 TP, 0 FP, else ignored).
    static func prPoints(
        category: Int64, iou: Double, ranked: [Int], outcome: (Int) -> Int8, positives: Int,
        detections: EvalDetections
    ) -> [EvaluationRecord.PRPoint] {
        let curve = PrecisionRecallCurve(
            scores: ranked.map { detections.score[$0] }, outcomes: ranked.map(outcome), positives: positives)
        return curve.recall.indices.map {
            EvaluationRecord.PRPoint(
                categoryID: category, iou: iou, recallIndex: $0, recall: curve.recall[$0],
                precision: curve.precision[$0], score: curve.score[$0])
        }
    }

    /// Fills `record.matches` from per-threshold outcomes (1 TP, -1 ignored, 0 FP) and matched boxes.
    static func fillMatches(
        _ record: inout EvaluationRecord, detections: EvalDetections, context: ProtocolContext,
        outcome: (_ t: Int, _ i: Int) -> Int8, matched: (_ t: Int, _ i: Int) -> (box: Int, iou: Double)?
    ) {
        let thresholds = context.settings.iouThresholds
        let t50 = thresholds.firstIndex(of: 0.5)
        let t75 = thresholds.firstIndex(of: 0.75)
        var m = EvaluationRecord.Matches()
        for i in 0..<detections.count {
            var tp: Int64 = 0
            var ignored: Int64 = 0
            for t in thresholds.indices {
                switch outcome(t, i) {
                case 1: tp |= 1 << Int64(t)
                case -1: ignored |= 1 << Int64(t)
                default: break
                }
            }
            m.seq.append(context.seq[i])
            m.imageRowID.append(context.imageRowIDs[Int(detections.image[i])])
            m.truePositiveMask.append(tp)
            m.ignoredMask.append(ignored)
            let at50 = t50.flatMap { matched($0, i) }
            let at75 = t75.flatMap { matched($0, i) }
            m.groundTruth50.append(at50.map { context.boxRowIDs[$0.box] })
            m.iou50.append(at50?.iou)
            m.groundTruth75.append(at75.map { context.boxRowIDs[$0.box] })
            m.iou75.append(at75?.iou)
        }
        record.matches = m
    }

    /// Detection indexes per category.
    static func indexesByCategory(_ detections: EvalDetections) -> [Int64: [Int]] {
        var result: [Int64: [Int]] = [:]
        for i in 0..<detections.count { result[detections.category[i], default: []].append(i) }
        return result
    }
}

extension ProtocolRunner {
    static func vocRecord(_ groundTruth: EvalGroundTruth, _ detections: EvalDetections, context: ProtocolContext)
        -> EvaluationRecord
    {
        let settings = context.settings
        let threshold = settings.iouThresholds[0]
        let result = VocEvaluator.evaluate(
            groundTruth, detections,
            parameters: VocParameters(
                metric: settings.evaluationProtocol == .voc07 ? .elevenPoint : .allPoint, iouThreshold: threshold))
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
            record.prPoints += prPoints(
                category: item.categoryID, iou: threshold, ranked: ranked, outcome: { result.outcome[$0] },
                positives: item.positives, detections: detections)
        }
        fillMatches(
            &record, detections: detections, context: context, outcome: { _, i in result.outcome[i] },
            matched: { _, i in
                let box = Int(result.matchedGroundTruth[i])
                return box >= 0 && result.outcome[i] != 0 ? (box, result.iou[i]) : nil
            })
        return record
    }

    static func visDroneRecord(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, context: ProtocolContext
    ) -> EvaluationRecord {
        let settings = context.settings
        let result = VisDroneEvaluator.evaluate(
            groundTruth, detections,
            parameters: VisDroneParameters(
                iouThresholds: settings.iouThresholds, maxDetections: settings.maxDetections))
        var record = emptyRecord(context)
        // The toolkit's mean of an empty list (no image holds classes 1...10, or a threshold or maxDets
        // that was not evaluated) is NaN: undefined.
        func defined(_ value: Double?) -> Double? { value.flatMap { $0.isNaN ? nil : $0 } }
        record.metrics = [
            .init(name: "AP", value: defined(result.ap)), .init(name: "AP50", value: defined(result.ap50)),
            .init(name: "AP75", value: defined(result.ap75)),
        ]
        let byMaxDets = [1: result.ar1, 10: result.ar10, 100: result.ar100, 500: result.ar500]
        record.metrics += settings.maxDetections.map { .init(name: "AR\($0)", value: defined(byMaxDets[$0])) }
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
                record.prPoints += prPoints(
                    category: item.categoryID, iou: thresholds[t], ranked: ranked,
                    outcome: { result.outcome[t * n + $0] }, positives: item.groundTruthCount, detections: detections)
            }
        }
        fillMatches(
            &record, detections: detections, context: context, outcome: { t, i in result.outcome[t * n + i] },
            matched: { _, _ in nil })
        return record
    }
}
