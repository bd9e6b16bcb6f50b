import EvalFormats
import EvalKit
import EvalStore

/// The report's data block: every number the page shows, as one JSON object (the page's JavaScript draws it; the
/// tests read it). Field names are snake_case; runs are referred to by their index in `runs` (0 = A, 1 = B).
struct ReportData {
    var runs: [RunAnalysis]
    /// For two runs: the comparison (with intervals when `--ci` was given).
    var diff: DiffReport?
    /// The gallery's images (indexes into the evaluated images), most telling first.
    var galleryImages: [Int]
    /// The file name of each gallery image.
    var fileNames: [Int: String]
    var images: ReportImages
    var notes: [String]

    /// The most points of a threshold curve put on the page.
    static let maxCurvePoints = 400
    /// The most detections drawn per image and run (the highest scores).
    static let maxDetectionsPerImage = 300

    var json: ReportJSON {
        let first = runs[0]
        var fields: [(String, ReportJSON)] = [
            ("evaldb_version", .string(EvaldbVersion.current)),
            ("dataset", .string(first.report.dataset)),
            ("protocol", .string(first.report.protocolName)),
            ("params", .string(first.report.parametersJSON)),
            (
                "runs",
                .array(
                    runs.map {
                        .object([("name", .string($0.name)), ("detections", .integer($0.inputs.detections.count))])
                    })
            ),
            (
                "categories",
                .array(
                    first.report.categories.map { .object([("id", .integer(Int($0.id))), ("name", .string($0.name))]) })
            ),
            ("summary", summary),
            ("ci", ciJSON),
            ("class_metric", .string(classMetric)),
            ("classes", classes),
            ("pr", precisionRecall),
            ("thresholds", thresholdsJSON),
            ("confusion", confusionJSON),
            ("errors", errorsJSON),
            ("gallery", gallery),
        ]
        fields.append(("notes", .array(notes.map { .string($0) })))
        return .object(fields)
    }

    private var ciJSON: ReportJSON {
        guard let intervals = diff?.intervals else { return .null }
        return .object([
            ("resamples", .integer(intervals.resamples)), ("seed", .string(String(intervals.seed))),
            ("level", .number(intervals.level)), ("images", .integer(intervals.imageCount)),
        ])
    }

    /// The summary metrics: each run's value, and for two runs the change and its interval.
    private var summary: ReportJSON {
        if let diff {
            return .array(
                diff.metrics.map { item in
                    .object([
                        ("metric", .string(item.metric.summaryName)),
                        ("values", .numbers([item.value.a, item.value.b])),
                        ("change", .number(item.value.change)), ("ci_low", .number(item.value.low)),
                        ("ci_high", .number(item.value.high)),
                    ])
                })
        }
        return .array(
            runs[0].report.summary.map {
                .object([("metric", .string($0.metric.summaryName)), ("values", .numbers([$0.value]))])
            })
    }

    /// The per-class metric the bars show: AP when the protocol has it per class, else AP50 (VOC).
    var classMetric: String {
        let keys = runs[0].report.classes.flatMap { $0.values.compactMap(\.metric.classKey) }
        return keys.contains("AP") ? "AP" : keys.contains("AP50") ? "AP50" : keys.first ?? "AP"
    }

    private var classes: ReportJSON {
        let key = classMetric
        let rows = runs.map { run in Dictionary(run.report.classes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        // The evaluated classes (VisDrone's 'others' is not one).
        let evaluated = runs[0].report.categories.filter { category in rows.contains { $0[category.id] != nil } }
        return .array(
            evaluated.map { category in
                var fields: [(String, ReportJSON)] = [
                    ("id", .integer(Int(category.id))), ("name", .string(category.name)),
                    ("n_gt", rows[0][category.id]?.counts.map { .integer($0.groundTruth) } ?? .null),
                    ("values", .numbers(rows.map { $0[category.id]?.value(key) })),
                ]
                if let value = diff?.classes.first(where: { $0.id == category.id })?.values[key] {
                    fields += [
                        ("change", .number(value.change)), ("ci_low", .number(value.low)),
                        ("ci_high", .number(value.high)),
                    ]
                }
                return .object(fields)
            })
    }

    /// The stored 101-point curves at IoU 0.5 and 0.75, per class, and their mean over the classes with ground
    /// truth (the curve whose mean is COCO's AP at that threshold).
    private var precisionRecall: ReportJSON {
        var curves: [ReportJSON] = []
        var means: [ReportJSON] = []
        let thresholds = [0.5, 0.75]
        for (index, run) in runs.enumerated() {
            for iou in thresholds {
                let defined = run.curves.filter { $0.iou == iou && $0.precision.contains { $0 != nil } }
                for curve in defined {
                    curves.append(
                        .object([
                            ("run", .integer(index)), ("category_id", .integer(Int(curve.categoryID))),
                            ("iou", .number(iou)), ("precision", .numbers(curve.precision)),
                            ("score", .numbers(curve.score)),
                        ]))
                }
                guard !defined.isEmpty else { continue }
                let mean = (0..<PrecisionRecallCurve.cocoRecallPoints.count).map { point -> Double? in
                    let values = defined.compactMap { point < $0.precision.count ? $0.precision[point] : nil }
                    return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
                }
                means.append(.object([("run", .integer(index)), ("iou", .number(iou)), ("precision", .numbers(mean))]))
            }
        }
        return .object([
            ("recall", .numbers(PrecisionRecallCurve.cocoRecallPoints)), ("curves", .array(curves)),
            ("mean", .array(means)),
        ])
    }

    private var thresholdsJSON: ReportJSON {
        .object([
            ("iou", .number(RunAnalysis.iou)),
            (
                "runs",
                .array(
                    runs.map { run in
                        .object([
                            ("overall", Self.curve(run.thresholds.overall)),
                            (
                                "classes",
                                .array(
                                    run.thresholds.classes.map {
                                        .object([
                                            ("category_id", .integer(Int($0.categoryID))),
                                            ("curve", Self.curve($0.curve)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }

    /// A threshold curve: `[threshold, precision, recall, f1]` points, at most `maxCurvePoints` (evenly spaced
    /// over the curve's points, the best always kept), and the best point in full.
    static func curve(_ curve: ThresholdCurve) -> ReportJSON {
        let kept = downsample(
            count: curve.points.count,
            keeping: curve.best.flatMap { best in
                curve.points.firstIndex { $0.threshold == best.threshold }
            })
        return .object([
            ("point_count", .integer(curve.points.count)),
            (
                "points",
                .array(
                    kept.map {
                        let point = curve.points[$0]
                        return .numbers([point.threshold, point.precision, point.recall, point.f1])
                    })
            ),
            ("best", curve.best.map(point) ?? .null),
        ])
    }

    static func point(_ point: ThresholdPoint) -> ReportJSON {
        .object([
            ("threshold", .number(point.threshold)), ("precision", .number(point.precision)),
            ("recall", .number(point.recall)), ("f1", .number(point.f1)), ("tp", .integer(point.truePositives)),
            ("fp", .integer(point.falsePositives)), ("fn", .integer(point.falseNegatives)),
        ])
    }

    /// The indexes kept of `count` points: all when few, else `maxCurvePoints` evenly spaced plus `keeping`.
    static func downsample(count: Int, keeping: Int?) -> [Int] {
        guard count > maxCurvePoints else { return Array(0..<count) }
        var kept = Set(
            (0..<maxCurvePoints).map { Int((Double($0) * Double(count - 1) / Double(maxCurvePoints - 1)).rounded()) })
        if let keeping { kept.insert(keeping) }
        return kept.sorted()
    }

    private var confusionJSON: ReportJSON {
        let matrix = runs[0].confusion
        return .object([
            ("iou", .number(matrix.iouThreshold)), ("score", .number(matrix.scoreThreshold)),
            (
                "runs",
                .array(
                    runs.map { run in
                        .object([
                            ("category_ids", .array(run.confusion.categoryIDs.map { .integer(Int($0)) })),
                            ("counts", .array(run.confusion.counts.map { .array($0.map { .integer($0) }) })),
                        ])
                    })
            ),
        ])
    }

    private var errorsJSON: ReportJSON {
        let first = runs[0].errors
        func values(_ values: ErrorBreakdown.Values) -> ReportJSON {
            .object([
                ("ap", .number(values.ap)),
                ("counts", .object(TideError.allCases.map { ($0.rawValue, .integer(values.counts[$0] ?? 0)) })),
                ("dAP", .object(TideError.allCases.map { ($0.rawValue, .number(values.dAP[$0] ?? nil)) })),
                ("fp_dAP", .number(values.falsePositiveDAP)), ("fn_dAP", .number(values.falseNegativeDAP)),
            ])
        }
        return .object([
            ("foreground_iou", .number(first.foregroundIoU)), ("background_iou", .number(first.backgroundIoU)),
            ("types", .array(TideError.allCases.map { .string($0.rawValue) })),
            ("runs", .array(runs.map { values($0.errors.overall) })),
        ])
    }

    /// The gallery: per image its size, pixels (or the reason they are missing), ground truth and each run's
    /// detections with their outcome at IoU 0.5.
    private var gallery: ReportJSON {
        let truth = runs[0].inputs.groundTruth
        let boxOutcomes = runs.map { $0.boxOutcomes() }
        var boxesByImage: [Int: [Int]] = [:]
        for box in 0..<truth.count { boxesByImage[Int(truth.image[box]), default: []].append(box) }
        var detectionsByImage = runs.map { _ in [Int: [Int]]() }
        for (r, run) in runs.enumerated() {
            for index in 0..<run.inputs.detections.count {
                detectionsByImage[r][Int(run.inputs.detections.image[index]), default: []].append(index)
            }
        }
        let items = galleryImages.map { image -> ReportJSON in
            let fileName = fileNames[image] ?? "image \(truth.imageIDs[image])"
            let embedded = images.embed(fileName: fileName)
            let boxes = (boxesByImage[image] ?? []).map { box -> ReportJSON in
                .object([
                    ("box", .numbers([truth.x[box], truth.y[box], truth.width[box], truth.height[box]])),
                    ("category_id", .integer(Int(truth.category[box]))),
                    ("outcomes", .array(boxOutcomes.map { .string($0[box].rawValue) })),
                ])
            }
            var counts: [ReportJSON] = []
            var detections: [ReportJSON] = []
            for (r, run) in runs.enumerated() {
                let dets = run.inputs.detections
                let all = detectionsByImage[r][image] ?? []
                let tp = all.filter { run.detectionOutcome($0) == .truePositive }.count
                let fp = all.filter { run.detectionOutcome($0) == .falsePositive }.count
                let missed = (boxesByImage[image] ?? []).filter { boxOutcomes[r][$0] == .missed }.count
                counts.append(.object([("tp", .integer(tp)), ("fp", .integer(fp)), ("missed", .integer(missed))]))
                let shown = all.sorted { dets.score[$0] != dets.score[$1] ? dets.score[$0] > dets.score[$1] : $0 < $1 }
                    .prefix(Self.maxDetectionsPerImage)
                for index in shown {
                    let error = index < run.errors.detectionErrors.count ? run.errors.detectionErrors[index] : nil
                    detections.append(
                        .object([
                            ("run", .integer(r)),
                            ("box", .numbers([dets.x[index], dets.y[index], dets.width[index], dets.height[index]])),
                            ("category_id", .integer(Int(dets.category[index]))), ("score", .number(dets.score[index])),
                            ("outcome", .string(run.detectionOutcome(index).rawValue)),
                            ("error", error.map { .string($0.rawValue) } ?? .null),
                        ]))
                }
            }
            return .object([
                ("file_name", .string(fileName)), ("width", .integer(truth.imageWidths[image])),
                ("height", .integer(truth.imageHeights[image])), ("src", embedded.dataURI.map { .string($0) } ?? .null),
                ("note", embedded.note.map { .string($0) } ?? .null), ("counts", .array(counts)),
                ("ground_truth", .array(boxes)), ("detections", .array(detections)),
            ])
        }
        return .object([
            ("iou", .number(RunAnalysis.iou)),
            (
                "ranking",
                .string(runs.count == 2 ? "|dTP| + |dFP| + |dFN| between the runs" : "false positives + missed boxes")
            ),
            ("images_note", images.unavailableReason.map { .string($0) } ?? .null),
            ("max_detections", .integer(Self.maxDetectionsPerImage)),
            ("images", .array(items)),
        ])
    }
}
