/// Boxes grouped for evaluation: by unit (a category; everything when class-agnostic), then by image in
/// pycocotools' `imgIds` order (ascending image id), then in the order pycocotools lists them per image
/// (file order; class-agnostic: category order, then file order).
///
/// Built with two stable counting sorts per box kind, so it costs O(boxes + images + categories) and never
/// a table of images × categories.
struct CocoGrouping: Sendable {
    /// Number of units: one per category, or 1 when class-agnostic.
    var unitCount: Int
    /// Detections in grouped order; detections of unlisted categories or unknown images are left out.
    var detections: [GroupedDetection]
    /// `detections[detectionStart[u]..<detectionStart[u + 1]]` belongs to unit `u`.
    var detectionStart: [Int]
    /// Ground truth in grouped order; boxes of unlisted categories are left out.
    var groundTruth: [GroupedBox]
    /// `groundTruth[groundTruthStart[u]..<groundTruthStart[u + 1]]` belongs to unit `u`.
    var groundTruthStart: [Int]

    init(
        groundTruth source: EvalGroundTruth, detections input: EvalDetections, categoryIDs: [Int64],
        useCategories: Bool
    ) {
        // pycocotools evaluates images in ascending id order; equal ids are one image there, so share a rank.
        let imageCount = source.imageCount
        let byID = (0..<imageCount).sorted { (source.imageIDs[$0], $0) < (source.imageIDs[$1], $1) }
        var imageRank = [Int32](repeating: 0, count: imageCount)
        var rank: Int32 = -1
        for (position, image) in byID.enumerated() {
            if position == 0 || source.imageIDs[image] != source.imageIDs[byID[position - 1]] { rank += 1 }
            imageRank[image] = rank
        }
        let rankCount = Int(rank + 1)
        let lookup = CategoryLookup(categoryIDs)
        let categoryCount = categoryIDs.count
        unitCount = useCategories ? categoryCount : 1

        func keys(images: [Int32], categories: [Int64]) -> (image: [Int32], category: [Int32]) {
            var imageKeys = [Int32](repeating: -1, count: images.count)
            var categoryKeys = [Int32](repeating: -1, count: images.count)
            for index in 0..<images.count {
                let image = Int(images[index])
                let category = lookup.index(of: categories[index])
                guard image >= 0 && image < imageCount && category >= 0 else { continue }
                imageKeys[index] = imageRank[image]
                categoryKeys[index] = Int32(truncatingIfNeeded: category)
            }
            return (imageKeys, categoryKeys)
        }
        // Class-agnostic: images are the units' cells and categories order the boxes within an image.
        let detectionKeys = keys(images: input.image, categories: input.category)
        let detectionPlan = Self.plan(
            primary: useCategories ? detectionKeys.category : detectionKeys.image,
            primaryCount: useCategories ? categoryCount : rankCount,
            secondary: useCategories ? detectionKeys.image : detectionKeys.category,
            secondaryCount: useCategories ? rankCount : categoryCount)
        detections = Self.scatter(position: detectionPlan.position, count: detectionPlan.count) { index in
            GroupedDetection(
                x: input.x[index], y: input.y[index], width: input.width[index], height: input.height[index],
                score: input.score[index], original: Int32(truncatingIfNeeded: index),
                image: detectionKeys.image[index])
        }
        let groundTruthKeys = keys(images: source.image, categories: source.category)
        let groundTruthPlan = Self.plan(
            primary: useCategories ? groundTruthKeys.category : groundTruthKeys.image,
            primaryCount: useCategories ? categoryCount : rankCount,
            secondary: useCategories ? groundTruthKeys.image : groundTruthKeys.category,
            secondaryCount: useCategories ? rankCount : categoryCount)
        groundTruth = Self.scatter(position: groundTruthPlan.position, count: groundTruthPlan.count) { index in
            GroupedBox(
                x: source.x[index], y: source.y[index], width: source.width[index], height: source.height[index],
                area: source.area[index], original: Int32(truncatingIfNeeded: index),
                image: groundTruthKeys.image[index], isCrowd: source.isCrowd[index],
                hasID: source.annotationID[index] != 0)
        }
        detectionStart = useCategories ? detectionPlan.start : [0, detectionPlan.count]
        groundTruthStart = useCategories ? groundTruthPlan.start : [0, groundTruthPlan.count]
    }

    /// Where each input row goes when rows are ordered by (primary, secondary, input index), -1 for rows whose
    /// keys are -1: two stable counting sorts, least significant key first. Returns the positions, the number of
    /// rows kept and the start of each primary bucket.
    private static func plan(
        primary: [Int32], primaryCount: Int, secondary: [Int32], secondaryCount: Int
    ) -> (position: [Int32], count: Int, start: [Int]) {
        var secondaryStart = [Int](repeating: 0, count: secondaryCount + 1)
        var primaryStart = [Int](repeating: 0, count: primaryCount + 1)
        var total = 0
        for index in 0..<secondary.count where secondary[index] >= 0 && primary[index] >= 0 {
            secondaryStart[Int(secondary[index]) + 1] += 1
            primaryStart[Int(primary[index]) + 1] += 1
            total += 1
        }
        for bucket in 0..<secondaryCount { secondaryStart[bucket + 1] += secondaryStart[bucket] }
        for bucket in 0..<primaryCount { primaryStart[bucket + 1] += primaryStart[bucket] }
        var bySecondary = [Int32](repeating: 0, count: total)
        for index in 0..<secondary.count where secondary[index] >= 0 && primary[index] >= 0 {
            let bucket = Int(secondary[index])
            bySecondary[secondaryStart[bucket]] = Int32(truncatingIfNeeded: index)
            secondaryStart[bucket] += 1
        }
        var position = [Int32](repeating: -1, count: secondary.count)
        var next = primaryStart
        for index in bySecondary {
            let bucket = Int(primary[Int(index)])
            position[Int(index)] = Int32(truncatingIfNeeded: next[bucket])
            next[bucket] += 1
        }
        return (position, total, primaryStart)
    }

    /// Rows in grouped order, filled by scattering the input in its own order: reads are sequential and writes
    /// go to one advancing stream per category, which is far kinder to the caches than gathering rows category
    /// by category.
    private static func scatter<Row>(position: [Int32], count: Int, row: (Int) -> Row) -> [Row] {
        UnwrittenSlots.assertPermutation(position, count: count, "COCO grouping")
        return [Row](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            LargeBuffer.preferHugePages(base, count: count)
            for index in 0..<position.count where position[index] >= 0 {
                (base + Int(position[index])).initialize(to: row(index))
            }
            initialized = count
        }
    }
}

/// One detection in grouped order: what a unit reads of it, in one record so that grouping writes one place.
struct GroupedDetection {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var score: Double
    /// Index in the input.
    var original: Int32
    /// Image rank.
    var image: Int32
}

/// One ground-truth box in grouped order.
struct GroupedBox {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var area: Double
    /// Index in the input.
    var original: Int32
    /// Image rank.
    var image: Int32
    var isCrowd: Bool
    /// Annotation id is not 0: only such boxes can be true positives (pycocotools stores 0 as "no match").
    var hasID: Bool
}

/// Maps category ids to their position in the ascending `categoryIDs`: a table when the ids are dense enough,
/// a binary search otherwise.
struct CategoryLookup {
    private let ids: [Int64]
    private let lowest: Int64
    private let table: [Int32]

    init(_ ids: [Int64]) {
        self.ids = ids
        lowest = ids.first ?? 0
        let span = (ids.last ?? 0).subtractingReportingOverflow(lowest)
        if !ids.isEmpty && !span.overflow && span.partialValue < 1 << 16 {
            var table = [Int32](repeating: -1, count: Int(span.partialValue) + 1)
            for (index, id) in ids.enumerated() { table[Int(id - lowest)] = Int32(index) }
            self.table = table
        } else {
            table = []
        }
    }

    /// The position of `id`, or -1 when it is not a listed category.
    @inline(__always)
    func index(of id: Int64) -> Int {
        if !table.isEmpty {
            let offset = id.subtractingReportingOverflow(lowest)
            guard !offset.overflow && offset.partialValue >= 0 && offset.partialValue < table.count else { return -1 }
            return Int(table[Int(offset.partialValue)])
        }
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == id ? low : -1
    }
}
