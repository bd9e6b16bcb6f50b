/// One protocol as the error analysis uses it, at the single foreground IoU: the base outcome of every detection,
/// which detections the protocol evaluates at all, which ground-truth boxes count, the protocol's own IoU, and
/// its exact AP (overall and per class) on any inputs.
///
/// The AP is always the protocol's evaluator run on the inputs, never a re-implementation, so that the error
/// analysis adds up with what `Evaluation.evaluate` reports.
struct ErrorScoring {
    /// The AP at the foreground IoU: the protocol's mean over classes, and each class's value in
    /// `EvalGroundTruth.categoryIDs` order; nil where the protocol defines none.
    struct Scores: Sendable {
        var ap: Double?
        var classAP: [Double?]
    }

    /// What the base evaluation says about every input detection.
    struct Outcomes {
        /// Whether the detection enters the re-evaluations: false for detections the protocol never evaluates
        /// because of its detection budget (and for those of categories or images it does not evaluate).
        var isKept: [Bool]
        /// 1 true positive, 0 false positive, -1 neither (ignored, or not evaluated).
        var outcome: [Int8]
        /// The ground-truth box a true positive matched (index into `EvalGroundTruth`), -1 otherwise.
        var matched: [Int32]
        /// The base AP.
        var scores: Scores
    }

    private enum Kind {
        case coco(CocoParameters)
        case voc(VocParameters)
        case visDrone(VisDroneParameters)
    }

    private let kind: Kind
    /// The foreground IoU, the only threshold evaluated.
    let threshold: Double

    /// `parameters` restricted to the single threshold `foregroundIoU` (COCO keeps its area ranges and budgets,
    /// VisDrone its budgets; VOC's threshold becomes `foregroundIoU`).
    init(_ parameters: ProtocolParameters, foregroundIoU: Double) {
        threshold = foregroundIoU
        switch parameters {
        case .coco(var coco):
            coco.iouThresholds = [foregroundIoU]
            coco.maxDetections.sort()
            kind = .coco(coco)
        case .voc(var voc):
            voc.iouThreshold = foregroundIoU
            kind = .voc(voc)
        case .visdrone(var visDrone):
            visDrone.iouThresholds = [foregroundIoU]
            kind = .visDrone(visDrone)
        }
    }

    /// The restricted parameters, as `Evaluation.evaluate` takes them.
    var parameters: ProtocolParameters {
        switch kind {
        case .coco(let coco): return .coco(coco)
        case .voc(let voc): return .voc(voc)
        case .visDrone(let visDrone): return .visdrone(visDrone)
        }
    }

    /// False for class-agnostic COCO, where a detection's category plays no part and no class error exists.
    var usesCategories: Bool {
        if case .coco(let coco) = kind { return coco.useCategories }
        return true
    }

    // MARK: Evaluating

    /// The protocol's AP on `gt` and `dt`.
    func scores(_ gt: EvalGroundTruth, _ dt: EvalDetections) -> Scores {
        switch kind {
        case .coco(let coco):
            return Self.scores(CocoEvaluator.evaluate(gt, dt, parameters: coco), gt)
        case .voc(let voc):
            let result = VocEvaluator.evaluate(gt, dt, parameters: voc)
            return Scores(ap: result.mAP, classAP: result.classes.map(\.ap))
        case .visDrone(let visDrone):
            return Self.scores(VisDroneEvaluator.evaluate(gt, dt, parameters: visDrone), gt)
        }
    }

    /// The base evaluation: each detection's outcome and match at the threshold, and the base AP.
    func outcomes(_ gt: EvalGroundTruth, _ dt: EvalDetections) -> Outcomes {
        let n = dt.count
        switch kind {
        case .coco(let coco):
            let result = CocoEvaluator.evaluate(gt, dt, parameters: coco)
            // One threshold: the per-threshold arrays are the first n entries. Detections beyond the budget
            // (the last maxDets per image and category) are not evaluated, nor are unlisted categories.
            var outcome = [Int8](repeating: -1, count: n)
            var matched = [Int32](repeating: -1, count: n)
            for i in 0..<n where result.isEvaluated[i] && !result.isIgnored[i] {
                if result.matchedGroundTruth[i] >= 0 {
                    outcome[i] = 1
                    matched[i] = result.matchedGroundTruth[i]
                } else {
                    outcome[i] = 0
                }
            }
            return Outcomes(
                isKept: result.isEvaluated, outcome: outcome, matched: matched, scores: Self.scores(result, gt))
        case .voc(let voc):
            let result = VocEvaluator.evaluate(gt, dt, parameters: voc)
            let listed = Set(gt.categoryIDs)
            let matched = (0..<n).map { result.outcome[$0] == 1 ? result.matchedGroundTruth[$0] : -1 }
            return Outcomes(
                isKept: dt.category.map { listed.contains($0) }, outcome: result.outcome, matched: matched,
                scores: Scores(ap: result.mAP, classAP: result.classes.map(\.ap)))
        case .visDrone(let visDrone):
            return visDroneOutcomes(gt, dt, parameters: visDrone)
        }
    }

    /// VisDrone's outcomes come from the toolkit's matching of the last budget's pass (what the evaluator's AP
    /// uses), run here at the threshold because the result records matches only at 0.5 and 0.75.
    private func visDroneOutcomes(_ gt: EvalGroundTruth, _ dt: EvalDetections, parameters: VisDroneParameters)
        -> Outcomes
    {
        let n = dt.count
        let (keptGroundTruth, keptDetections) = VisDroneEvaluator.survivors(gt, dt)
        let budget = parameters.maxDetections.last ?? 0
        // Rows beyond the budget among their image's surviving rows are never evaluated. Rows dropped by an
        // ignored region, or of an unscored category, stay: they are ignored, and the latter take up budget.
        var isKept = dt.image.map { (0..<gt.imageCount).contains(Int($0)) }
        for rows in keptDetections {
            for (rank, row) in rows.enumerated() where rank >= budget { isKept[row] = false }
        }
        var outcome = [Int8](repeating: -1, count: n)
        var matched = [Int32](repeating: -1, count: n)
        for category in VisDroneEvaluator.categories {
            let candidates = VisDroneClassCandidates(
                category: category, gt: gt, dt: dt, keptGroundTruth: keptGroundTruth, keptDetections: keptDetections,
                budget: parameters.maxDetections.max() ?? 0)
            let count = candidates.inputIndex.count
            var flags = [Int8](repeating: 0, count: count)
            var state = [Int8](repeating: 0, count: candidates.groundTruthCount)
            var box = [Int32](repeating: -1, count: count)
            var overlap = [Double](repeating: 0, count: count)
            candidates.match(
                threshold: threshold, budget: budget, flags: &flags, groundTruthState: &state, matchedBox: &box,
                matchedOverlap: &overlap)
            for candidate in 0..<count where candidates.rank[candidate] < budget {
                let row = candidates.inputIndex[candidate]
                outcome[row] = flags[candidate]
                if flags[candidate] == 1 { matched[row] = candidates.groundTruthIndex[Int(box[candidate])] }
            }
        }
        return Outcomes(
            isKept: isKept, outcome: outcome, matched: matched,
            scores: Self.scores(VisDroneEvaluator.evaluate(gt, dt, parameters: parameters), gt))
    }

    /// pycocotools' `summarize` at the one threshold, area range 0 and the last budget (with the defaults: the
    /// `AP50` stat, to the last bit), and each class's AP there.
    private static func scores(_ result: CocoResult, _ gt: EvalGroundTruth) -> Scores {
        func defined(_ value: Double) -> Double? { value < 0 ? nil : value }
        let last = result.maxDetectionsCount - 1
        let ap = result.summarize(
            CocoSummarySelection(isPrecision: true, thresholds: [0], areas: [0], maxDetections: [last]))
        var position: [Int64: Int] = [:]
        for (k, category) in result.categoryIDs.enumerated() { position[category] = k }
        let classAP = gt.categoryIDs.map { category in
            position[category].flatMap { defined(result.categoryAP(k: $0, t: 0, a: 0)) }
        }
        return Scores(ap: defined(ap), classAP: classAP)
    }

    /// The toolkit's AP (the weighted mean over classes 1...10) and each class's AP, undefined for a class no
    /// image holds and for categories the toolkit does not score.
    private static func scores(_ result: VisDroneResult, _ gt: EvalGroundTruth) -> Scores {
        let classAP = gt.categoryIDs.map { category -> Double? in
            guard let item = result.classes.first(where: { $0.categoryID == category }), item.weight > 0 else {
                return nil
            }
            return item.ap.first
        }
        return Scores(ap: result.ap.isNaN ? nil : result.ap, classAP: classAP)
    }

    // MARK: Ground truth and overlaps

    /// Whether each ground-truth box counts under the protocol: not crowd nor outside area range 0 (COCO), not
    /// difficult (VOC), not an ignore box nor dropped by an ignored region and of a scored class (VisDrone); and
    /// of a listed category, in a known image.
    func countedGroundTruth(_ gt: EvalGroundTruth) -> [Bool] {
        let listed = Set(gt.categoryIDs)
        var counted = (0..<gt.count).map { box in
            (0..<gt.imageCount).contains(Int(gt.image[box])) && listed.contains(gt.category[box])
        }
        switch kind {
        case .coco(let coco):
            let range = coco.areaRanges.first
            for box in 0..<gt.count where gt.isCrowd[box] || range?.excludes(gt.area[box]) == true {
                counted[box] = false
            }
        case .voc:
            for box in 0..<gt.count where gt.isDifficult[box] { counted[box] = false }
        case .visDrone:
            var survives = [Bool](repeating: false, count: gt.count)
            for boxes in VisDroneEvaluator.survivors(gt, EvalDetections()).groundTruth {
                for box in boxes { survives[box] = true }
            }
            for box in 0..<gt.count
            where !survives[box] || gt.isIgnored[box] || !VisDroneEvaluator.categories.contains(gt.category[box]) {
                counted[box] = false
            }
        }
        return counted
    }

    /// The protocol's IoU of detection `detection` and ground-truth box `box`, 0 when they do not overlap:
    /// VOC's devkit IoU with its `+ 1` pixel corners, cocoapi's `bbIou` for COCO and VisDrone.
    func overlap(_ dt: EvalDetections, _ detection: Int, _ gt: EvalGroundTruth, _ box: Int) -> Double {
        let dx = dt.x[detection]
        let dy = dt.y[detection]
        let dw = dt.width[detection]
        let dh = dt.height[detection]
        if case .voc = kind {
            return VocEvaluator.overlap(dx, dy, dx + dw, dy + dh, gt, box) ?? 0
        }
        return BoxOverlap.iou(dx, dy, dw, dh, gt.x[box], gt.y[box], gt.width[box], gt.height[box])
    }
}
