/// Scores readings of an export by how well its detections then agree with the ground truth, and finds the best.
///
/// The evidence is the share of the export's most confident detections (at most `sampleSize`) that overlap a
/// ground-truth box at IoU >= 0.5: of any class for the geometry and the images, of their own class for the
/// categories. Axes are searched in an order that keeps the readings few: geometry (box layout, unit and, for YOLO,
/// the confidence column) with the images as given, or as the reading that finds the most images when the given
/// one finds few; then the images under the best geometry (and the geometry again if the images changed); then the
/// categories under both. The given reading is always scored, and wins ties.
struct ReadingSearch {
    static let sampleSize = 2000
    /// IoU at which a detection counts as overlapping a box.
    static let overlapThreshold = 0.5

    let batch: DetectionBatch
    let catalog: DatasetCatalog
    let images: ImageLookup
    let categories: CategoryLookup
    /// Resolved explicit map (model key -> dataset id), when the user gave one.
    let explicitMap: [CategoryKey: Int64]?

    /// The given reading's evidence, the best reading's, and every reading scored (given first).
    private(set) var given: ReadingEvidence?
    private(set) var best: ReadingEvidence?
    private(set) var tried: [ReadingEvidence] = []

    init(
        batch: DetectionBatch, catalog: DatasetCatalog, images: ImageLookup, categories: CategoryLookup,
        explicitMap: [CategoryKey: Int64]?
    ) {
        self.batch = batch
        self.catalog = catalog
        self.images = images
        self.categories = categories
        self.explicitMap = explicitMap
    }

    /// One sampled detection's numbers under a column reading.
    struct Values {
        var a: Double
        var b: Double
        var c: Double
        var d: Double
        var score: Double
    }

    func values(_ row: Int, _ columns: PredictionColumns) -> Values {
        switch columns {
        case .confidenceLast:
            return Values(a: batch.a[row], b: batch.b[row], c: batch.c[row], d: batch.d[row], score: batch.scores[row])
        case .confidenceSecond:
            return Values(a: batch.b[row], b: batch.c[row], c: batch.d[row], d: batch.scores[row], score: batch.a[row])
        }
    }

    /// The `limit` rows with the highest score under `columns` (ties: the earlier row), finite values only.
    func sample(_ columns: PredictionColumns, limit: Int = sampleSize) -> [Int] {
        var heap = MinHeap(capacity: limit)
        for row in 0..<batch.count {
            let v = values(row, columns)
            guard v.score.isFinite && v.a.isFinite && v.b.isFinite && v.c.isFinite && v.d.isFinite else { continue }
            heap.offer(score: v.score, row: row)
        }
        return heap.descending()
    }

    /// Replaces the best reading's estimated map (estimated on the sample) by `map`, there and in `tried`.
    mutating func replaceBestMap(with map: [CategoryKey: Int64]) {
        guard var evidence = best else { return }
        let old = evidence.reading
        evidence.reading.estimatedMap = map
        best = evidence
        for index in tried.indices where tried[index].reading == old { tried[index].reading = evidence.reading }
    }

    /// Scores the readings. Returns without evidence when the dataset has no boxes to compare with.
    mutating func run(given reading: ExportReading) {
        guard catalog.boxes.count > 0, batch.count > 0 else { return }
        let columnChoices: [PredictionColumns] =
            batch.format == .yolo
            ? [reading.columns] + PredictionColumns.allCases.filter { $0 != reading.columns }
            : [reading.columns]
        var samples: [PredictionColumns: [Int]] = [:]
        for columns in columnChoices { samples[columns] = sample(columns) }
        guard let givenSample = samples[reading.columns], !givenSample.isEmpty else { return }

        // The given reading, whole.
        var givenEvidence = score(reading, rows: givenSample, ownClass: true)
        tried.append(givenEvidence)

        // Images: the readings that find the most of the sample's references.
        let imageChoices = imageReadings(rows: givenSample, given: reading)
        let firstImages =
            imageChoices.first { $0.matching == reading.imageMatching && $0.offset == reading.imageIDOffset }
            ?? imageChoices.first
        guard let firstImages else {
            given = givenEvidence
            best = givenEvidence
            return
        }
        // Geometry with those images.
        var current = reading
        (current.imageMatching, current.imageIDOffset) = (firstImages.matching, firstImages.offset)
        current = bestGeometry(from: current, columns: columnChoices, samples: samples)
        // Images under that geometry.
        var bestImages = scoreOnly(current, rows: samples[current.columns] ?? givenSample)
        for choice in imageChoices {
            var candidate = current
            (candidate.imageMatching, candidate.imageIDOffset) = (choice.matching, choice.offset)
            let evidence = scoreOnly(candidate, rows: samples[candidate.columns] ?? givenSample)
            if evidence.overlapping > bestImages.overlapping { bestImages = evidence }
        }
        if !bestImages.reading.hasSameImages(as: current) {
            current = bestGeometry(from: bestImages.reading, columns: columnChoices, samples: samples)
        }
        // Categories under the best images and geometry.
        let rows = samples[current.columns] ?? givenSample
        let overlaps = overlappingCategories(current, rows: rows)
        var bestReading = current
        var bestCount = -1
        for candidate in categoryReadings(from: current, given: reading, rows: rows, overlaps: overlaps) {
            let count = ownClassCount(candidate, rows: rows, overlaps: overlaps)
            var evidence = scoreOnly(candidate, rows: rows)
            evidence.overlappingOwnClass = count
            tried.append(evidence)
            if count > bestCount {
                bestCount = count
                bestReading = candidate
            }
        }
        var bestEvidence = scoreOnly(bestReading, rows: rows)
        bestEvidence.overlappingOwnClass = bestCount
        // The given reading keeps its place when nothing does better.
        if bestCount <= (givenEvidence.overlappingOwnClass ?? 0) {
            bestEvidence = givenEvidence
        }
        givenEvidence.overlappingOwnClass = givenEvidence.overlappingOwnClass ?? 0
        given = givenEvidence
        best = bestEvidence
    }

    /// The best geometry (box reading and columns) for `reading`'s images and categories, class-agnostic.
    private mutating func bestGeometry(
        from reading: ExportReading, columns: [PredictionColumns], samples: [PredictionColumns: [Int]]
    ) -> ExportReading {
        var bestReading = reading
        var bestCount = -1
        for column in columns {
            guard let rows = samples[column], !rows.isEmpty else { continue }
            var largest = 0.0
            for row in rows {
                let v = values(row, column)
                largest = max(largest, abs(v.a), abs(v.b), abs(v.c), abs(v.d))
            }
            for box in geometryReadings(largestCoordinate: largest, first: reading.box) {
                var candidate = reading
                candidate.box = box
                candidate.columns = column
                let evidence = scoreOnly(candidate, rows: rows)
                tried.append(evidence)
                if evidence.overlapping > bestCount {
                    bestCount = evidence.overlapping
                    bestReading = candidate
                }
            }
        }
        return bestReading
    }

    /// The box readings worth trying for coordinates up to `largest`: every layout, in pixels, in fractions when
    /// they are small enough to be fractions (of the sizes, or of the swapped sizes), with swapped sizes or in a
    /// letterbox they fit in when they are not. `first` comes first.
    func geometryReadings(largestCoordinate largest: Double, first: BoxReading) -> [BoxReading] {
        // Fractions of the swapped sizes reach the aspect ratio (up to about 3 for common images).
        var scales: [BoxScale] = largest <= 4 ? [.normalized, .normalizedHeightWidth, .pixels] : [.pixels]
        if largest > 1.5 {
            scales.append(.swappedPixels)
            if catalog.images.contains(where: { $0.width > 0 && $0.height > 0 }) {
                scales += BoxScale.letterboxSizes.filter { Double($0) * 1.1 >= largest }.map { .letterbox($0) }
            }
        }
        var readings = [first]
        for layout in BoxLayout.allCases {
            for scale in scales {
                let reading = BoxReading(layout: layout, scale: scale)
                if reading != first { readings.append(reading) }
            }
        }
        return readings
    }

    /// Image readings that find at least half as many of the sampled references as the best one, most first
    /// (ties: the given reading, then this order). Readings that find the same images are tried once.
    func imageReadings(rows: [Int], given: ExportReading) -> [(matching: ImageMatching, offset: Int64)] {
        var choices: [(matching: ImageMatching, offset: Int64)] = [(given.imageMatching, given.imageIDOffset)]
        let keys = rows.map { batch.imageKeys[$0] }
        let numeric = keys.contains {
            switch $0 {
            case .id: return true
            case .name(let name): return Int64(name) != nil
            }
        }
        let named = keys.contains {
            if case .name(let name) = $0 { return Int64(name) == nil }
            return false
        }
        choices.append((.automatic, 0))
        if numeric {
            for offset: Int64 in [-1, 1, -2, 2] { choices.append((.automatic, offset)) }
            for offset: Int64 in [0, -1] {
                choices.append((.index, offset))
                choices.append((.fileIndex, offset))
            }
            choices.append((.stem, 0))
        }
        if named {
            choices.append((.fileName, 0))
            choices.append((.stem, 0))
        }
        var seen = Set<[Int32]>()
        var scored: [(choice: (matching: ImageMatching, offset: Int64), found: Int, order: Int)] = []
        for (order, choice) in choices.enumerated() {
            let resolved = keys.map { images.resolve($0, choice.matching, offset: choice.offset) ?? -1 }
            guard seen.insert(resolved).inserted else { continue }
            let found = resolved.count { $0 >= 0 }
            if found > 0 { scored.append((choice, found, order)) }
        }
        let most = scored.map(\.found).max() ?? 0
        return scored.filter { 2 * $0.found >= most }
            .sorted { ($0.found, -$0.order) > ($1.found, -$1.order) }
            .prefix(6).map(\.choice)
    }

    /// Category readings to try under a fixed geometry: as given, the common numbering mistakes, the names the
    /// run carries, and the one-to-one map the overlaps suggest.
    func categoryReadings(
        from reading: ExportReading, given: ExportReading, rows: [Int], overlaps: [Overlap]
    ) -> [ExportReading] {
        var readings: [ExportReading] = []
        func add(
            _ matching: CategoryMatching, _ offset: Int64, map: [CategoryKey: Int64]? = nil, explicit: Bool = false
        ) {
            var candidate = reading
            candidate.categoryMatching = matching
            candidate.categoryOffset = offset
            candidate.estimatedMap = map
            candidate.usesExplicitMap = explicit
            if !readings.contains(candidate) { readings.append(candidate) }
        }
        add(given.categoryMatching, given.categoryOffset, map: given.estimatedMap, explicit: given.usesExplicitMap)
        add(.id, 0)
        add(.id, 1)
        add(.id, -1)
        add(.index, 0)
        add(.index, -1)
        if !batch.categoryNames.isEmpty { add(.name, 0) }
        if let map = estimatedMap(rows: rows, overlaps: overlaps), !map.isEmpty { add(.id, 0, map: map) }
        return readings
    }

    /// What a sampled detection overlaps under a reading: the categories of the boxes it reaches IoU >= 0.5 with,
    /// and the category of its best box (nil: none reached).
    struct Overlap {
        var categories: [Int64] = []
        var best: Int64?
    }

    /// The overlaps of every sampled row under `reading`'s images and geometry.
    func overlappingCategories(_ reading: ExportReading, rows: [Int]) -> [Overlap] {
        rows.map { row in
            guard let geometry = pixelBox(row, reading) else { return Overlap() }
            var overlap = Overlap()
            var bestIoU = 0.0
            let boxes = catalog.boxes
            for g in boxes.start[geometry.image]..<boxes.start[geometry.image + 1] {
                let iou = Self.iou(geometry.box, (boxes.x[g], boxes.y[g], boxes.width[g], boxes.height[g]))
                guard iou >= Self.overlapThreshold else { continue }
                if !overlap.categories.contains(boxes.category[g]) { overlap.categories.append(boxes.category[g]) }
                if iou > bestIoU {
                    bestIoU = iou
                    overlap.best = boxes.category[g]
                }
            }
            return overlap
        }
    }

    /// How many sampled rows overlap a box of the category `reading` gives them.
    func ownClassCount(_ reading: ExportReading, rows: [Int], overlaps: [Overlap]) -> Int {
        var count = 0
        for (index, row) in rows.enumerated() where !overlaps[index].categories.isEmpty {
            if let id = category(of: row, reading), overlaps[index].categories.contains(id) { count += 1 }
        }
        return count
    }

    /// The one-to-one map from the model's categories to the dataset's that the overlaps support best: pairs
    /// taken greedily by how many sampled detections of the model category best overlap a box of the dataset
    /// category; nil when nothing overlaps.
    func estimatedMap(rows: [Int], overlaps: [Overlap]) -> [CategoryKey: Int64]? {
        var counts: [CategoryKey: [Int64: Int]] = [:]
        for (index, row) in rows.enumerated() {
            guard let target = overlaps[index].best else { continue }
            counts[batch.categoryKeys[row], default: [:]][target, default: 0] += 1
        }
        return Self.greedyMap(counts)
    }

    /// Pairs (model, dataset) taken by decreasing count, each side once.
    static func greedyMap(_ counts: [CategoryKey: [Int64: Int]]) -> [CategoryKey: Int64]? {
        var pairs: [(model: CategoryKey, dataset: Int64, count: Int)] = []
        for (model, targets) in counts {
            for (dataset, count) in targets { pairs.append((model, dataset, count)) }
        }
        guard !pairs.isEmpty else { return nil }
        pairs.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            if a.dataset != b.dataset { return a.dataset < b.dataset }
            return describe(a.model) < describe(b.model)
        }
        var map: [CategoryKey: Int64] = [:]
        var taken = Set<Int64>()
        for pair in pairs where map[pair.model] == nil && !taken.contains(pair.dataset) {
            map[pair.model] = pair.dataset
            taken.insert(pair.dataset)
        }
        return map
    }

    /// Evidence of `reading`, class-agnostic (and of their own class when `ownClass`).
    func score(_ reading: ExportReading, rows: [Int], ownClass: Bool) -> ReadingEvidence {
        var evidence = scoreOnly(reading, rows: rows)
        if ownClass {
            let overlaps = overlappingCategories(reading, rows: rows)
            evidence.overlappingOwnClass = ownClassCount(reading, rows: rows, overlaps: overlaps)
        }
        return evidence
    }

    /// Class-agnostic evidence of `reading`.
    func scoreOnly(_ reading: ExportReading, rows: [Int]) -> ReadingEvidence {
        var resolved = 0
        var overlapping = 0
        let boxes = catalog.boxes
        for row in rows {
            guard let geometry = pixelBox(row, reading) else { continue }
            resolved += 1
            for g in boxes.start[geometry.image]..<boxes.start[geometry.image + 1]
            where Self.iou(geometry.box, (boxes.x[g], boxes.y[g], boxes.width[g], boxes.height[g]))
                >= Self.overlapThreshold
            {
                overlapping += 1
                break
            }
        }
        return ReadingEvidence(
            reading: reading, sampled: rows.count, resolved: resolved, overlapping: overlapping,
            overlappingOwnClass: nil)
    }

    /// Row `row`'s image and pixel box under `reading`; nil when its image does not resolve.
    func pixelBox(_ row: Int, _ reading: ExportReading) -> (image: Int, box: (Double, Double, Double, Double))? {
        guard let image = images.resolve(batch.imageKeys[row], reading.imageMatching, offset: reading.imageIDOffset)
        else { return nil }
        let record = catalog.images[Int(image)]
        let v = values(row, reading.columns)
        let box = reading.box.pixels(
            v.a, v.b, v.c, v.d, width: Double(record.width), height: Double(record.height))
        return (Int(image), (box.x, box.y, box.w, box.h))
    }

    /// Row `row`'s dataset category under `reading`; nil when it does not resolve.
    func category(of row: Int, _ reading: ExportReading) -> Int64? {
        let key = batch.categoryKeys[row]
        if let map = reading.estimatedMap { return map[key] }
        if let explicitMap, reading.usesExplicitMap { return CategoryResolver.mapped(key, explicitMap, batch) }
        return categories.resolve(
            key, reading.categoryMatching, offset: reading.categoryOffset, runNames: batch.categoryNames)?.id
    }

    /// Intersection over union without the +1 (COCO's).
    @inline(__always)
    static func iou(_ a: (Double, Double, Double, Double), _ b: (Double, Double, Double, Double)) -> Double {
        let iw = min(a.0 + a.2, b.0 + b.2) - max(a.0, b.0)
        if !(iw > 0) { return 0 }
        let ih = min(a.1 + a.3, b.1 + b.3) - max(a.1, b.1)
        if !(ih > 0) { return 0 }
        let inter = iw * ih
        let union = (a.2 * a.3 + b.2 * b.3) - inter
        return union > 0 ? inter / union : 0
    }
}

/// The `capacity` largest (score, earlier row first) entries seen.
struct MinHeap {
    private var scores: [Double] = []
    private var rows: [Int] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Whether entry i ranks below entry j (lower score, or the same score and a later row).
    private func below(_ i: Int, _ j: Int) -> Bool {
        scores[i] != scores[j] ? scores[i] < scores[j] : rows[i] > rows[j]
    }

    mutating func offer(score: Double, row: Int) {
        if scores.count < capacity {
            scores.append(score)
            rows.append(row)
            var child = scores.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard below(child, parent) else { break }
                scores.swapAt(child, parent)
                rows.swapAt(child, parent)
                child = parent
            }
            return
        }
        guard capacity > 0, score > scores[0] || (score == scores[0] && row < rows[0]) else { return }
        scores[0] = score
        rows[0] = row
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < scores.count else { break }
            var smallest = left
            if left + 1 < scores.count && below(left + 1, left) { smallest = left + 1 }
            guard below(smallest, parent) else { break }
            scores.swapAt(smallest, parent)
            rows.swapAt(smallest, parent)
            parent = smallest
        }
    }

    /// The rows, highest score first (ties: the earlier row).
    func descending() -> [Int] {
        scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : rows[$0] < rows[$1] }
            .map { rows[$0] }
    }
}
