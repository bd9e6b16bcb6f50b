// TEMPORARY: a stand-in for EvalKit's ErrorAnalysis (TIDE), which is not in main yet (branch `tide`), with its
// announced signature, so that `evaldb report` can be built and checked before it lands. Delete this file when
// merging it; the report then uses EvalKit's. The numbers are rough on purpose (greedy matching, no dAP): they
// exist to draw the chart, not to be trusted. ConfusionAnalysis and ThresholdSearch are EvalKit's own.
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
