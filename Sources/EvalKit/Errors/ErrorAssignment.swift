/// Each false positive's TIDE error, the box it targets, which cls and loc errors a fix would turn into true
/// positives, and which ground-truth boxes are missed: `tidecv`'s `TIDERun._eval_image` and `BestGTMatch`
/// applied to the protocol's own outcomes (see `ErrorAnalysis` for the rules).
struct ErrorAssignment {
    /// Per detection: its error; nil for a true positive, an ignored detection or one not kept.
    var error: [TideError?]
    /// Per detection: the ground-truth box a cls or loc error targets, -1 otherwise.
    var target: [Int32]
    /// Per detection: a cls or loc error that the fix turns into a true positive (its target is unused and it is
    /// the highest-scored such error on that target, the first in input order among equal scores). Every other
    /// cls or loc error is suppressed: its fix removes the detection.
    var isFixable: [Bool]
    /// Per ground-truth box: counted by the protocol.
    var isCounted: [Bool]
    /// Per ground-truth box: matched by a true positive.
    var isUsed: [Bool]
    /// Per ground-truth box: counted, unmatched and the target of no fixable error.
    var isMissed: [Bool]

    /// Classifies every kept false positive of `outcomes` with IoUs (the protocol's) against the counted boxes
    /// of its image.
    init(
        _ gt: EvalGroundTruth, _ dt: EvalDetections, outcomes: ErrorScoring.Outcomes, scoring: ErrorScoring,
        foregroundIoU: Double, backgroundIoU: Double
    ) {
        let n = dt.count
        isCounted = scoring.countedGroundTruth(gt)
        isUsed = [Bool](repeating: false, count: gt.count)
        for i in 0..<n where outcomes.isKept[i] && outcomes.outcome[i] == 1 && outcomes.matched[i] >= 0 {
            isUsed[Int(outcomes.matched[i])] = true
        }
        // Counted boxes by image, in file order (a counting sort): each detection looks only at its image's boxes.
        var start = [Int](repeating: 0, count: gt.imageCount + 1)
        for box in 0..<gt.count where isCounted[box] { start[Int(gt.image[box]) + 1] += 1 }
        for image in 0..<gt.imageCount { start[image + 1] += start[image] }
        var boxes = [Int](repeating: 0, count: start[gt.imageCount])
        var next = start
        for box in 0..<gt.count where isCounted[box] {
            boxes[next[Int(gt.image[box])]] = box
            next[Int(gt.image[box])] += 1
        }

        error = [TideError?](repeating: nil, count: n)
        target = [Int32](repeating: -1, count: n)
        let usesCategories = scoring.usesCategories
        for i in 0..<n where outcomes.isKept[i] && outcomes.outcome[i] == 0 {
            let image = Int(dt.image[i])
            let imageBoxes = (0..<gt.imageCount).contains(image) ? boxes[start[image]..<start[image + 1]] : []
            guard !imageBoxes.isEmpty else {
                error[i] = .bkg
                continue
            }
            // Maxima with numpy's argmax: the first box wins a tie. tidecv takes its maxima over rows in which
            // boxes of the other kind read 0; so do these (0 when there is no box of the kind).
            var same = (iou: 0.0, box: -1)
            var other = (iou: 0.0, box: -1)
            var usedSame = 0.0
            var any = 0.0
            for box in imageBoxes {
                let iou = scoring.overlap(dt, i, gt, box)
                any = max(any, iou)
                if !usesCategories || gt.category[box] == dt.category[i] {
                    if same.box < 0 || iou > same.iou { same = (iou, box) }
                    if isUsed[box] { usedSame = max(usedSame, iou) }
                } else if other.box < 0 || iou > other.iou {
                    other = (iou, box)
                }
            }
            // tidecv's order and comparisons, its inclusive upper bound for loc included.
            if same.box >= 0 && backgroundIoU <= same.iou && same.iou <= foregroundIoU {
                error[i] = .loc
                target[i] = Int32(same.box)
            } else if other.box >= 0 && other.iou >= foregroundIoU {
                error[i] = .cls
                target[i] = Int32(other.box)
            } else if usedSame >= foregroundIoU {
                error[i] = .dupe
            } else if any <= backgroundIoU {
                error[i] = .bkg
            } else {
                error[i] = .both
            }
        }

        // BestGTMatch: among the cls and loc errors on an unused box, the highest score is fixed.
        var best = [Int](repeating: -1, count: gt.count)
        for i in 0..<n where target[i] >= 0 && !isUsed[Int(target[i])] {
            let box = Int(target[i])
            if best[box] < 0 || dt.score[i] > dt.score[best[box]] { best[box] = i }
        }
        isFixable = [Bool](repeating: false, count: n)
        for detection in best where detection >= 0 { isFixable[detection] = true }
        let (counted, used) = (isCounted, isUsed)
        isMissed = (0..<gt.count).map { box in counted[box] && !used[box] && best[box] < 0 }
    }
}
