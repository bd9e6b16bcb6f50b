/// The TIDE error breakdown (Bolya et al., ECCV 2020) with each protocol's exact AP: how many errors of each type
/// a run makes, and how much AP fixing each type would gain, measured by re-running the protocol's own evaluator.
///
/// **Base outcomes.** The protocol's evaluator at the single IoU threshold `foregroundIoU` (the given parameters
/// with only that threshold: COCO keeps its area ranges and budgets, VisDrone its budgets, VOC's threshold becomes
/// `foregroundIoU`). Its AP is the base AP: with the defaults, the AP50 `evaldb eval` reports (COCO: IoU 0.5,
/// area range 0, the last budget; VOC: the mAP; VisDrone: AP50). Each detection is a true positive, a false
/// positive, or neither (ignored: crowd, difficult or ignore-box match, ignored region, outside the area range).
///
/// **Detections not evaluated.** Detections the protocol never evaluates because of its budget (COCO: beyond
/// the last `maxDetections` per image and category, in pycocotools' stable score order; VisDrone: beyond the
/// last budget among an image's surviving rows) are dropped before anything else, so that removing detections in
/// a fix cannot bring them into the evaluation. So are COCO detections of unlisted categories or unknown images.
///
/// **Classification.** Each false positive gets the first type that applies, with `tidecv`'s order and
/// comparisons, IoUs in the protocol's convention (VOC's `+ 1` pixel corners) against the *counted* ground truth
/// of its image (not crowd, difficult, VisDrone ignore boxes or boxes in ignored regions), a box being *used*
/// when a true positive matched it; among equal IoUs the first box in file order is taken:
/// 1. `bkg` when the image has no counted box;
/// 2. `loc` when the best IoU with a box of its class (used or not) is in `backgroundIoU...foregroundIoU`
///    (inclusive at both ends, as `tidecv`); it targets that box;
/// 3. `cls` when the best IoU with a box of another class is `>= foregroundIoU`; it targets that box;
/// 4. `dupe` when the best IoU with a used box of its class is `>= foregroundIoU`;
/// 5. `bkg` when the best IoU with any box is `<= backgroundIoU`;
/// 6. `both` otherwise.
///
/// **Fixes** (`tidecv`'s `BestGTMatch`): a cls or loc error is fixable when its target is unused; among all cls
/// and loc errors on one target only the highest-scored (the first in input order on ties) is fixed, the others
/// are suppressed, as is every cls or loc error on a used box. A counted box that is unused and the target of no
/// fixable error is `missed`.
///
/// **dAP** of a type = the protocol's AP with only that type fixed, minus the base AP, from the evaluator re-run
/// on transformed inputs (raw, never clamped at 0):
/// - a fixed cls error takes its target's category and box, a fixed loc error its target's box;
/// - suppressed cls and loc errors, and `dupe`, `bkg` and `both` errors are removed;
/// - `missed` boxes are removed from the ground truth (an unmatched box changes no match);
/// - special: `falsePositiveDAP` removes every false positive (the same AP as `tidecv`'s rescoring them to 0,
///   since trailing false positives do not change the interpolated precision), `falseNegativeDAP` every unused
///   counted box.
///
/// A fixed detection matches its target in the re-evaluation: every protocol matches in descending score order,
/// the detections scored above it match as before (they are unchanged, or fixed onto other unused boxes), the
/// target was unused in the base evaluation, so it is still free, and the fixed box has IoU 1 with it, the most
/// any box can have. Taking it changes no other match, since no detection matched it before. So fixing only
/// turns false positives into true positives or removes them, and removing unused boxes only raises recall:
/// every dAP is >= 0, except where a protocol's rule outside the matching moves: a cls fix that pushes a
/// detection of the target class out of COCO's per-image and category budget; two ground-truth boxes with
/// identical coordinates (the IoU-1 tie may go to the other); a box with COCO annotation id 0, which never counts
/// as matched; VisDrone's class weights (images holding a class), which removing missed boxes can lower, moving
/// the weighted mean either way.
///
/// Per class, detection errors count in the detection's class and missed boxes in the box's class; a class's dAP
/// is the change of that class's AP in the same re-evaluations.
///
/// Cost: the base evaluation plus at most 8 re-evaluations at one threshold (none for a type with no error);
/// IoUs are computed per image, each false positive against its own image's counted boxes.
public enum ErrorAnalysis {
    /// Analyzes `detections` against `groundTruth` under `parameters` (any threshold they hold is replaced by
    /// `foregroundIoU`). Pure and deterministic.
    public static func analyze(
        _ groundTruth: EvalGroundTruth, _ detections: EvalDetections, parameters: ProtocolParameters,
        foregroundIoU: Double = 0.5, backgroundIoU: Double = 0.1
    ) -> ErrorBreakdown {
        let scoring = ErrorScoring(parameters, foregroundIoU: foregroundIoU)
        let outcomes = scoring.outcomes(groundTruth, detections)
        let assignment = ErrorAssignment(
            groundTruth, detections, outcomes: outcomes, scoring: scoring, foregroundIoU: foregroundIoU,
            backgroundIoU: backgroundIoU)
        let fixes = TideError.allCases.map(Fix.only) + [.falsePositives, .falseNegatives]
        let fixed = fixes.map { fix -> ErrorScoring.Scores in
            guard assignment.changes(fix) else { return outcomes.scores }
            let inputs = assignment.inputs(fixing: fix, groundTruth, detections, isKept: outcomes.isKept)
            return scoring.scores(inputs.groundTruth, inputs.detections)
        }
        let byType = Dictionary(uniqueKeysWithValues: zip(TideError.allCases, fixed))
        let falsePositives = fixed[TideError.allCases.count]
        let falseNegatives = fixed[TideError.allCases.count + 1]

        func difference(_ value: Double?, _ base: Double?) -> Double? {
            guard let value, let base else { return nil }
            return value - base
        }
        func values(ap: (ErrorScoring.Scores) -> Double?, counts: [TideError: Int]) -> ErrorBreakdown.Values {
            let base = ap(outcomes.scores)
            return ErrorBreakdown.Values(
                ap: base, counts: counts,
                dAP: byType.mapValues { difference(ap($0), base) },
                falsePositiveDAP: difference(ap(falsePositives), base),
                falseNegativeDAP: difference(ap(falseNegatives), base))
        }

        let categories = groundTruth.categoryIDs
        var position: [Int64: Int] = [:]
        for (k, category) in categories.enumerated() { position[category] = k }
        let zero = Dictionary(uniqueKeysWithValues: TideError.allCases.map { ($0, 0) })
        var totals = zero
        var classCounts = [[TideError: Int]](repeating: zero, count: categories.count)
        for (i, error) in assignment.error.enumerated() {
            guard let error else { continue }
            totals[error, default: 0] += 1
            if let k = position[detections.category[i]] { classCounts[k][error, default: 0] += 1 }
        }
        for box in 0..<groundTruth.count where assignment.isMissed[box] {
            totals[.missed, default: 0] += 1
            if let k = position[groundTruth.category[box]] { classCounts[k][.missed, default: 0] += 1 }
        }
        return ErrorBreakdown(
            foregroundIoU: foregroundIoU, backgroundIoU: backgroundIoU,
            overall: values(ap: \.ap, counts: totals),
            classes: categories.indices.map { k in
                ErrorBreakdown.ClassValues(
                    categoryID: categories[k], values: values(ap: { $0.classAP[k] }, counts: classCounts[k]))
            },
            detectionErrors: assignment.error, missedGroundTruth: assignment.isMissed)
    }
}

/// What one re-evaluation fixes.
enum Fix: Equatable {
    /// One main error type.
    case only(TideError)
    /// Every false positive (TIDE's special "FalsePos").
    case falsePositives
    /// Every unused counted ground-truth box (TIDE's special "FalseNeg").
    case falseNegatives
    /// Every main type at once: the AP with nothing left to fix.
    case allTypes
}

extension ErrorAssignment {
    /// Whether fixing `fix` changes the inputs at all; when not, its AP is the base AP and needs no evaluation.
    func changes(_ fix: Fix) -> Bool {
        switch fix {
        case .only(.missed): return isMissed.contains(true)
        case .only(let type): return error.contains(type)
        case .falsePositives: return error.contains { $0 != nil }
        case .falseNegatives: return zip(isCounted, isUsed).contains { $0 && !$1 }
        case .allTypes: return error.contains { $0 != nil } || isMissed.contains(true)
        }
    }

    /// Whether `fix` fixes or removes detection `i`.
    private func isAffected(_ i: Int, by fix: Fix) -> Bool {
        switch fix {
        case .only(let type): return error[i] == type
        case .falsePositives, .allTypes: return error[i] != nil
        case .falseNegatives: return false
        }
    }

    /// The inputs with `fix` applied: kept detections only, each fixed, removed or unchanged; the ground truth
    /// without the boxes `fix` removes.
    func inputs(
        fixing fix: Fix, _ gt: EvalGroundTruth, _ dt: EvalDetections, isKept: [Bool]
    ) -> (groundTruth: EvalGroundTruth, detections: EvalDetections) {
        var detections = EvalDetections()
        for i in 0..<dt.count where isKept[i] {
            var category = dt.category[i]
            var box = (x: dt.x[i], y: dt.y[i], width: dt.width[i], height: dt.height[i])
            if isAffected(i, by: fix) {
                guard let type = error[i], type == .cls || type == .loc, isFixable[i], fix != .falsePositives else {
                    continue
                }
                let fixed = Int(target[i])
                box = (gt.x[fixed], gt.y[fixed], gt.width[fixed], gt.height[fixed])
                if type == .cls { category = gt.category[fixed] }
            }
            detections.append(
                image: dt.image[i], category: category, score: dt.score[i], x: box.x, y: box.y, width: box.width,
                height: box.height)
        }
        let removed: [Bool]
        switch fix {
        case .only(.missed), .allTypes: removed = isMissed
        case .falseNegatives: removed = zip(isCounted, isUsed).map { $0 && !$1 }
        default: return (gt, detections)
        }
        return (gt.removingBoxes(removed), detections)
    }
}

extension EvalGroundTruth {
    /// A copy without the boxes flagged in `removed` (images, categories and ignored regions unchanged).
    func removingBoxes(_ removed: [Bool]) -> EvalGroundTruth {
        var copy = self
        copy.image = []
        copy.category = []
        copy.x = []
        copy.y = []
        copy.width = []
        copy.height = []
        copy.area = []
        copy.isCrowd = []
        copy.isIgnored = []
        copy.isDifficult = []
        copy.annotationID = []
        for box in 0..<count where !removed[box] {
            copy.appendBox(
                image: image[box], category: category[box], x: x[box], y: y[box], width: width[box],
                height: height[box], area: area[box], isCrowd: isCrowd[box], isIgnored: isIgnored[box],
                isDifficult: isDifficult[box], annotationID: annotationID[box])
        }
        return copy
    }
}
