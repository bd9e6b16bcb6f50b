// TEMPORARY: stand-ins for EvalKit APIs being written in main (ErrorAnalysis, ConfusionAnalysis,
// ThresholdSearch), with their announced signatures, so that `evaldb report` can be built and checked before they
// land. Delete this file when merging main; the report then uses EvalKit's. The numbers are rough on purpose
// (greedy matching, no dAP): they exist to draw the charts, not to be trusted.
import EvalKit

/// TIDE's error types (stub).
public enum TideError: String, CaseIterable, Sendable, Codable { case cls, loc, both, dupe, bkg, missed }

/// TIDE's breakdown (stub).
public struct ErrorBreakdown {
    public struct Values {
        public var ap: Double?
        public var counts: [TideError: Int]
        public var dAP: [TideError: Double?]
        public var falsePositiveDAP: Double?
        public var falseNegativeDAP: Double?
    }

    public struct ClassValues {
        public var categoryID: Int64
        public var values: Values
    }

    public var foregroundIoU: Double
    public var backgroundIoU: Double
    public var overall: Values
    public var classes: [ClassValues]
    public var detectionErrors: [TideError?]
    public var missedGroundTruth: [Bool]
}

/// Stub of EvalKit's `ErrorAnalysis`.
public enum ErrorAnalysis {
    public static func analyze(
        _ gt: EvalGroundTruth, _ dets: EvalDetections, parameters: ProtocolParameters, foregroundIoU: Double = 0.5,
        backgroundIoU: Double = 0.1
    ) -> ErrorBreakdown {
        var errors = [TideError?](repeating: nil, count: dets.count)
        var taken = [Bool](repeating: false, count: gt.count)
        let order = (0..<dets.count).sorted { dets.score[$0] > dets.score[$1] }
        let boxes = StubGeometry.boxesByImage(gt)
        for d in order {
            var bestSame = (iou: 0.0, box: -1)
            var bestOther = 0.0
            for g in boxes[Int(dets.image[d])] where !gt.isIgnored[g] && !gt.isCrowd[g] {
                let iou = StubGeometry.iou(gt, g, dets, d)
                if gt.category[g] == dets.category[d] {
                    if iou > bestSame.iou { bestSame = (iou, g) }
                } else {
                    bestOther = max(bestOther, iou)
                }
            }
            if bestSame.iou >= foregroundIoU {
                if taken[bestSame.box] { errors[d] = .dupe } else { taken[bestSame.box] = true }
            } else if bestOther >= foregroundIoU {
                errors[d] = .cls
            } else if bestSame.iou >= backgroundIoU {
                errors[d] = .loc
            } else if bestOther >= backgroundIoU {
                errors[d] = .both
            } else {
                errors[d] = .bkg
            }
        }
        let missed = (0..<gt.count).map { !taken[$0] && !gt.isIgnored[$0] && !gt.isCrowd[$0] }
        func values(_ category: Int64?) -> ErrorBreakdown.Values {
            var counts = Dictionary(uniqueKeysWithValues: TideError.allCases.map { ($0, 0) })
            for d in 0..<dets.count where category == nil || dets.category[d] == category {
                if let error = errors[d] { counts[error, default: 0] += 1 }
            }
            for g in 0..<gt.count where missed[g] && (category == nil || gt.category[g] == category) {
                counts[.missed, default: 0] += 1
            }
            let dAP = Dictionary(uniqueKeysWithValues: TideError.allCases.map { ($0, Double?.none) })
            return .init(ap: nil, counts: counts, dAP: dAP, falsePositiveDAP: nil, falseNegativeDAP: nil)
        }
        return ErrorBreakdown(
            foregroundIoU: foregroundIoU, backgroundIoU: backgroundIoU, overall: values(nil),
            classes: gt.categoryIDs.map { .init(categoryID: $0, values: values($0)) }, detectionErrors: errors,
            missedGroundTruth: missed)
    }
}

/// Stub of EvalKit's `ConfusionMatrix`.
public struct ConfusionMatrix {
    public var categoryIDs: [Int64]
    public var counts: [[Int]]
    public var iouThreshold: Double
    public var scoreThreshold: Double
}

/// Stub of EvalKit's `ConfusionAnalysis`.
public enum ConfusionAnalysis {
    public static func compute(
        _ gt: EvalGroundTruth, _ dets: EvalDetections, iouThreshold: Double = 0.5, scoreThreshold: Double = 0.25
    ) -> ConfusionMatrix {
        let ids = gt.categoryIDs
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let background = ids.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: ids.count + 1), count: ids.count + 1)
        var taken = [Bool](repeating: false, count: gt.count)
        let order = (0..<dets.count).filter { dets.score[$0] >= scoreThreshold }.sorted {
            dets.score[$0] > dets.score[$1]
        }
        let boxes = StubGeometry.boxesByImage(gt)
        for d in order {
            var best = (iou: iouThreshold, box: -1)
            for g in boxes[Int(dets.image[d])] where !taken[g] && !gt.isIgnored[g] && !gt.isCrowd[g] {
                let iou = StubGeometry.iou(gt, g, dets, d)
                if iou >= best.iou { best = (iou, g) }
            }
            let predicted = index[dets.category[d]] ?? background
            if best.box >= 0 {
                taken[best.box] = true
                counts[index[gt.category[best.box]] ?? background][predicted] += 1
            } else {
                counts[background][predicted] += 1
            }
        }
        for g in 0..<gt.count where !taken[g] && !gt.isIgnored[g] && !gt.isCrowd[g] {
            counts[index[gt.category[g]] ?? background][background] += 1
        }
        return ConfusionMatrix(
            categoryIDs: ids, counts: counts, iouThreshold: iouThreshold, scoreThreshold: scoreThreshold)
    }
}

/// Stub of EvalKit's `ThresholdPoint`.
public struct ThresholdPoint {
    public var threshold: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
}

/// Stub of EvalKit's `ThresholdCurve`.
public struct ThresholdCurve {
    public var points: [ThresholdPoint]
    public var best: ThresholdPoint?
    public var atTargetPrecision: ThresholdPoint?
}

/// Stub of EvalKit's `ThresholdAnalysis`.
public struct ThresholdAnalysis {
    public struct ClassCurve {
        public var categoryID: Int64
        public var curve: ThresholdCurve
    }

    public var iouThreshold: Double
    public var targetPrecision: Double?
    public var overall: ThresholdCurve
    public var classes: [ClassCurve]
}

/// Stub of EvalKit's `ThresholdSearch`: the evaluation's own TP bits at the threshold.
public enum ThresholdSearch {
    public static func analyze(
        _ result: EvaluationResult, _ dets: EvalDetections, _ gt: EvalGroundTruth, iouThreshold: Double = 0.5,
        targetPrecision: Double? = nil
    ) -> ThresholdAnalysis {
        let t = result.parameters.iouThresholds.firstIndex(of: iouThreshold) ?? 0
        let bit = Int64(1) << Int64(t)
        func curve(_ category: Int64?) -> ThresholdCurve {
            let positives = (0..<gt.count).filter {
                (category == nil || gt.category[$0] == category) && !gt.isIgnored[$0] && !gt.isCrowd[$0]
                    && !gt.isDifficult[$0]
            }.count
            let order = (0..<dets.count).filter {
                (category == nil || dets.category[$0] == category) && result.outcomes.ignoredMask[$0] & bit == 0
            }.sorted { dets.score[$0] > dets.score[$1] }
            var points: [ThresholdPoint] = []
            var (tp, fp) = (0, 0)
            for (k, d) in order.enumerated() {
                if result.outcomes.truePositiveMask[d] & bit != 0 { tp += 1 } else { fp += 1 }
                if k + 1 < order.count && dets.score[order[k + 1]] == dets.score[d] { continue }
                let precision = Double(tp) / Double(tp + fp)
                let recall = positives > 0 ? Double(tp) / Double(positives) : 0
                let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
                points.append(
                    ThresholdPoint(
                        threshold: dets.score[d], precision: precision, recall: recall, f1: f1, truePositives: tp,
                        falsePositives: fp, falseNegatives: positives - tp))
            }
            let best = points.max { $0.f1 < $1.f1 }
            let target = targetPrecision.flatMap { goal in points.last { $0.precision >= goal } }
            return ThresholdCurve(points: points, best: best, atTargetPrecision: target)
        }
        return ThresholdAnalysis(
            iouThreshold: iouThreshold, targetPrecision: targetPrecision, overall: curve(nil),
            classes: gt.categoryIDs.map { .init(categoryID: $0, curve: curve($0)) })
    }
}

enum StubGeometry {
    static func boxesByImage(_ gt: EvalGroundTruth) -> [[Int]] {
        var boxes = [[Int]](repeating: [], count: gt.imageCount)
        for g in 0..<gt.count { boxes[Int(gt.image[g])].append(g) }
        return boxes
    }

    static func iou(_ gt: EvalGroundTruth, _ g: Int, _ dets: EvalDetections, _ d: Int) -> Double {
        let width = min(gt.x[g] + gt.width[g], dets.x[d] + dets.width[d]) - max(gt.x[g], dets.x[d])
        let height = min(gt.y[g] + gt.height[g], dets.y[d] + dets.height[d]) - max(gt.y[g], dets.y[d])
        guard width > 0, height > 0 else { return 0 }
        let overlap = width * height
        return overlap / (gt.width[g] * gt.height[g] + dets.width[d] * dets.height[d] - overlap)
    }
}
