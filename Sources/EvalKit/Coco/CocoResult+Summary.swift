/// What one of pycocotools' summary stats averages: precision or recall entries at these thresholds and these
/// (area range, max-detections) index pairs, over every category, leaving out the -1 entries.
public struct CocoSummarySelection: Sendable, Equatable {
    public var isPrecision: Bool
    /// IoU threshold indexes.
    public var thresholds: [Int]
    /// Area range and max-detections indexes, paired (`areas[i]` with `maxDetections[i]`).
    public var areas: [Int]
    public var maxDetections: [Int]
}

extension CocoParameters {
    /// What each of pycocotools' 12 `summarize()` stats selects, for these parameters with `maxDetections`
    /// sorted ascending (as the evaluator sorts them); nil where pycocotools gives -1 whatever the data (a
    /// max-detections value it asks for is missing, or labels that numpy cannot pair).
    ///
    /// `maxDets=100` is hard-coded for AP as in pycocotools; the others use `maxDetections[0...2]`. Where
    /// pycocotools would raise (fewer than three max-detections values) the stat is -1.
    public func summarySelections() -> [CocoSummarySelection?] {
        func limit(_ index: Int) -> Int? { index < maxDetections.count ? maxDetections[index] : nil }
        return [
            selection(isPrecision: true, maxDetections: 100),
            selection(isPrecision: true, iouThreshold: 0.5, maxDetections: limit(2)),
            selection(isPrecision: true, iouThreshold: 0.75, maxDetections: limit(2)),
            selection(isPrecision: true, area: "small", maxDetections: limit(2)),
            selection(isPrecision: true, area: "medium", maxDetections: limit(2)),
            selection(isPrecision: true, area: "large", maxDetections: limit(2)),
            selection(isPrecision: false, maxDetections: limit(0)),
            selection(isPrecision: false, maxDetections: limit(1)),
            selection(isPrecision: false, maxDetections: limit(2)),
            selection(isPrecision: false, area: "small", maxDetections: limit(2)),
            selection(isPrecision: false, area: "medium", maxDetections: limit(2)),
            selection(isPrecision: false, area: "large", maxDetections: limit(2)),
        ]
    }

    /// pycocotools' `_summarize` selection: thresholds, area labels and max-detections values are looked up by
    /// exact equality; every match is selected, and the area and max-detections matches are paired the way numpy
    /// broadcasts two index lists.
    func selection(
        isPrecision: Bool, iouThreshold: Double? = nil, area: String = "all", maxDetections value: Int?
    ) -> CocoSummarySelection? {
        guard let value else { return nil }
        let thresholds = iouThresholds.indices.filter { iouThreshold == nil || iouThresholds[$0] == iouThreshold }
        let areas = areaRanges.indices.filter { areaRanges[$0].name == area }
        let limits = maxDetections.indices.filter { maxDetections[$0] == value }
        let pairs: [(a: Int, m: Int)]
        if areas.count == limits.count {
            pairs = Array(zip(areas, limits)).map { (a: $0.0, m: $0.1) }
        } else if areas.count == 1 {
            pairs = limits.map { (a: areas[0], m: $0) }
        } else if limits.count == 1 {
            pairs = areas.map { (a: $0, m: limits[0]) }
        } else {
            return nil
        }
        return CocoSummarySelection(
            isPrecision: isPrecision, thresholds: thresholds, areas: pairs.map(\.a), maxDetections: pairs.map(\.m))
    }
}

extension CocoResult {
    /// pycocotools' `summarize()` for bbox: the 12 stats.
    func summaryStats() -> [Double] {
        parameters.summarySelections().map { selection in selection.map(summarize) ?? -1 }
    }

    /// pycocotools' `_summarize`: the mean of the selected precision (or recall) entries that are not -1, in
    /// numpy's order (threshold, recall point, category, area/max-detections pair) with numpy's summation.
    func summarize(_ selection: CocoSummarySelection) -> Double {
        let thresholds = selection.thresholds
        let isPrecision = selection.isPrecision
        let pairs = zip(selection.areas, selection.maxDetections).map { (a: $0.0, m: $0.1) }
        var values: [Double] = []
        for t in thresholds {
            if isPrecision {
                for r in 0..<recallPointCount {
                    for k in 0..<categoryCount {
                        for (a, m) in pairs {
                            let value = precision(t: t, r: r, k: k, a: a, m: m)
                            if value > -1 { values.append(value) }
                        }
                    }
                }
            } else {
                for k in 0..<categoryCount {
                    for (a, m) in pairs {
                        let value = recall(t: t, k: k, a: a, m: m)
                        if value > -1 { values.append(value) }
                    }
                }
            }
        }
        return NumpySummation.mean(values)
    }
}
