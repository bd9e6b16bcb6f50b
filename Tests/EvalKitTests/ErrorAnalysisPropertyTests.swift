@testable import EvalKit
import Testing

/// Properties of the TIDE breakdown on random cases: every false positive of the protocol's evaluation gets one
/// error and nothing else does, every counted box is found, fixable or missed, fixes never lower the AP, and
/// removing false positives scores like ranking them last.
@Suite struct ErrorAnalysisPropertyTests {
    /// A deterministic generator (SplitMix64).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// 12 images, 3 classes, up to 6 boxes each (some crowd), detections near boxes (jittered, duplicated, of
    /// another class) and in the background, with distinct scores in (0.01, 1].
    static func randomCase(seed: UInt64) -> CocoCaseBuilder {
        var random = Generator(state: seed)
        var builder = CocoCaseBuilder(imageIDs: Array(1...12), categories: [1, 2, 3])
        var scores = Set<Double>()
        func score() -> Double {
            while true {
                let value = Double.random(in: 0.01...1, using: &random)
                if scores.insert(value).inserted { return value }
            }
        }
        for image in 0..<Int32(12) {
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let category = Int64.random(in: 1...3, using: &random)
                let (x, y) = (Double.random(in: 0...70, using: &random), Double.random(in: 0...70, using: &random))
                let (w, h) = (Double.random(in: 5...30, using: &random), Double.random(in: 5...30, using: &random))
                builder.box(
                    image: image, category: category, x, y, w, h, crowd: Double.random(in: 0...1, using: &random) < 0.1)
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    let shift = Double.random(in: 0...0.6, using: &random)
                    let swapped = Double.random(in: 0...1, using: &random) < 0.25
                    builder.detection(
                        image: image, category: swapped ? Int64.random(in: 1...3, using: &random) : category,
                        score: score(), x + shift * w * Double.random(in: -1...1, using: &random),
                        y + shift * h * Double.random(in: -1...1, using: &random), w, h)
                }
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                builder.detection(
                    image: image, category: Int64.random(in: 1...3, using: &random), score: score(),
                    Double.random(in: 0...90, using: &random), Double.random(in: 0...90, using: &random),
                    Double.random(in: 3...20, using: &random), Double.random(in: 3...20, using: &random))
            }
        }
        return builder
    }

    static let protocols: [ProtocolParameters] = [
        .coco(CocoParameters()), .voc(VocParameters(metric: .elevenPoint)), .voc(VocParameters(metric: .allPoint)),
        .visdrone(VisDroneParameters()),
    ]

    @Test(arguments: 0..<25)
    func accounting(seed: Int) {
        let builder = Self.randomCase(seed: UInt64(seed))
        let (gt, dt) = (builder.groundTruth, builder.detections)
        for parameters in Self.protocols {
            let breakdown = ErrorAnalysis.analyze(gt, dt, parameters: parameters)
            let scoring = ErrorScoring(parameters, foregroundIoU: 0.5)
            // The protocol's own evaluation at 0.5: an error exactly on its false positives.
            let outcomes = Evaluation.evaluate(gt, dt, parameters: scoring.parameters).outcomes
            var truePositives = 0
            var ignored = 0
            for i in 0..<dt.count {
                let isTruePositive = outcomes.truePositiveMask[i] & 1 != 0
                let isIgnored = outcomes.ignoredMask[i] & 1 != 0
                truePositives += isTruePositive ? 1 : 0
                ignored += isIgnored ? 1 : 0
                #expect((breakdown.detectionErrors[i] != nil) == (!isTruePositive && !isIgnored), "\(parameters) \(i)")
            }
            let errors = breakdown.detectionErrors.count { $0 != nil }
            #expect(errors + truePositives + ignored == dt.count)
            #expect(
                errors == TideError.allCases.filter { $0 != .missed }.reduce(0) { $0 + breakdown.overall.counts[$1]! })
            // Every counted box: matched, the target of a fixable error, or missed; exactly one of them.
            let base = scoring.outcomes(gt, dt)
            let assignment = ErrorAssignment(
                gt, dt, outcomes: base, scoring: scoring, foregroundIoU: 0.5, backgroundIoU: 0.1)
            var isTarget = [Bool](repeating: false, count: gt.count)
            for i in 0..<dt.count where assignment.isFixable[i] { isTarget[Int(assignment.target[i])] = true }
            for box in 0..<gt.count where assignment.isCounted[box] {
                let roles = [assignment.isUsed[box], isTarget[box], breakdown.missedGroundTruth[box]]
                #expect(roles.count(where: { $0 }) == 1, "\(parameters) box \(box)")
            }
            #expect(breakdown.overall.counts[.missed] == breakdown.missedGroundTruth.count { $0 })
        }
    }

    /// Fixing never lowers the AP under COCO and VOC (distinct random boxes, fewer than 100 detections per image
    /// and class: none of the documented exceptions); all types together at least as much as any one.
    @Test(arguments: 0..<25)
    func fixesNeverLowerAP(seed: Int) throws {
        let builder = Self.randomCase(seed: UInt64(seed))
        let (gt, dt) = (builder.groundTruth, builder.detections)
        for parameters in Self.protocols.prefix(3) {
            let breakdown = ErrorAnalysis.analyze(gt, dt, parameters: parameters)
            let base = try #require(breakdown.overall.ap)
            for type in TideError.allCases {
                let gain = try #require(breakdown.overall.dAP[type] ?? nil)
                #expect(gain >= 0, "\(parameters) \(type): \(gain)")
            }
            #expect(try #require(breakdown.overall.falsePositiveDAP) >= 0)
            #expect(try #require(breakdown.overall.falseNegativeDAP) >= 0)
            let scoring = ErrorScoring(parameters, foregroundIoU: 0.5)
            let outcomes = scoring.outcomes(gt, dt)
            let assignment = ErrorAssignment(
                gt, dt, outcomes: outcomes, scoring: scoring, foregroundIoU: 0.5, backgroundIoU: 0.1)
            let inputs = assignment.inputs(fixing: .allTypes, gt, dt, isKept: outcomes.isKept)
            let all = try #require(scoring.scores(inputs.groundTruth, inputs.detections).ap)
            #expect(all >= base)
            for type in TideError.allCases { #expect(all >= base + breakdown.overall.dAP[type]!! - 1e-12) }
        }
    }

    /// tidecv's FalsePos scores every false positive 0; removing them gives the same AP, because false positives
    /// ranked after every true positive change neither the matches nor the interpolated precision.
    @Test(arguments: 0..<25)
    func removingFalsePositivesEqualsRankingThemLast(seed: Int) throws {
        let builder = Self.randomCase(seed: UInt64(seed))
        let (gt, dt) = (builder.groundTruth, builder.detections)
        for parameters in Self.protocols.prefix(3) {
            let breakdown = ErrorAnalysis.analyze(gt, dt, parameters: parameters)
            var rescored = dt
            for i in 0..<dt.count where breakdown.detectionErrors[i] != nil { rescored.score[i] = 0 }
            let scoring = ErrorScoring(parameters, foregroundIoU: 0.5)
            let last = try #require(scoring.scores(gt, rescored).ap)
            let removed = try #require(breakdown.overall.ap) + breakdown.overall.falsePositiveDAP!
            #expect(abs(last - removed) <= 1e-12, "\(parameters): \(last) vs \(removed)")
        }
    }
}
