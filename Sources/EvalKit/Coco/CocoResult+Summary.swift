extension CocoResult {
    /// pycocotools' `summarize()` for bbox: the 12 stats.
    ///
    /// `maxDets=100` is hard-coded for AP as in pycocotools; the others use `maxDetections[0...2]`. Where
    /// pycocotools would raise (fewer than three max-detections values) the stat is -1.
    func summaryStats() -> [Double] {
        let limits = parameters.maxDetections
        func limit(_ index: Int) -> Int? { index < limits.count ? limits[index] : nil }
        return [
            summarize(isPrecision: true, maxDetections: 100),
            summarize(isPrecision: true, iouThreshold: 0.5, maxDetections: limit(2)),
            summarize(isPrecision: true, iouThreshold: 0.75, maxDetections: limit(2)),
            summarize(isPrecision: true, area: "small", maxDetections: limit(2)),
            summarize(isPrecision: true, area: "medium", maxDetections: limit(2)),
            summarize(isPrecision: true, area: "large", maxDetections: limit(2)),
            summarize(isPrecision: false, maxDetections: limit(0)),
            summarize(isPrecision: false, maxDetections: limit(1)),
            summarize(isPrecision: false, maxDetections: limit(2)),
            summarize(isPrecision: false, area: "small", maxDetections: limit(2)),
            summarize(isPrecision: false, area: "medium", maxDetections: limit(2)),
            summarize(isPrecision: false, area: "large", maxDetections: limit(2)),
        ]
    }

    /// pycocotools' `_summarize`: the mean of the selected precision (or recall) entries that are not -1, in
    /// numpy's order (threshold, recall point, category, area/max-detections pair) with numpy's summation.
    ///
    /// Thresholds, area labels and max-detections values are looked up by exact equality; every match is
    /// selected, and the area and max-detections matches are paired the way numpy broadcasts two index lists.
    func summarize(
        isPrecision: Bool, iouThreshold: Double? = nil, area: String = "all", maxDetections: Int?
    ) -> Double {
        guard let maxDetections else { return -1 }
        let thresholds = parameters.iouThresholds.indices.filter {
            iouThreshold == nil || parameters.iouThresholds[$0] == iouThreshold
        }
        let areas = parameters.areaRanges.indices.filter { parameters.areaRanges[$0].name == area }
        let limits = parameters.maxDetections.indices.filter { parameters.maxDetections[$0] == maxDetections }
        let pairs: [(a: Int, m: Int)]
        if areas.count == limits.count {
            pairs = Array(zip(areas, limits)).map { (a: $0.0, m: $0.1) }
        } else if areas.count == 1 {
            pairs = limits.map { (a: areas[0], m: $0) }
        } else if limits.count == 1 {
            pairs = areas.map { (a: $0, m: limits[0]) }
        } else {
            return -1
        }
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
