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
    var detections = GroupedDetections()
    /// `detections[detectionStart[u]..<detectionStart[u + 1]]` belongs to unit `u`.
    var detectionStart: [Int]
    /// Ground truth in grouped order; boxes of unlisted categories are left out.
    var groundTruth = GroupedGroundTruth()
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
        detections = GroupedDetections(input, order: detectionPlan.order, image: detectionKeys.image)
        let groundTruthKeys = keys(images: source.image, categories: source.category)
        let groundTruthPlan = Self.plan(
            primary: useCategories ? groundTruthKeys.category : groundTruthKeys.image,
            primaryCount: useCategories ? categoryCount : rankCount,
            secondary: useCategories ? groundTruthKeys.image : groundTruthKeys.category,
            secondaryCount: useCategories ? rankCount : categoryCount)
        groundTruth = GroupedGroundTruth(source, order: groundTruthPlan.order, image: groundTruthKeys.image)
        detectionStart = useCategories ? detectionPlan.start : [0, detectionPlan.order.count]
        groundTruthStart = useCategories ? groundTruthPlan.start : [0, groundTruthPlan.order.count]
    }

    /// The indexes whose keys are not -1, ordered by (primary, secondary, index): two stable counting sorts,
    /// least significant key first. Returns them with the start of each primary bucket.
    private static func plan(
        primary: [Int32], primaryCount: Int, secondary: [Int32], secondaryCount: Int
    ) -> (order: [Int32], start: [Int]) {
        var secondaryStart = [Int](repeating: 0, count: secondaryCount + 1)
        var total = 0
        for index in 0..<secondary.count where secondary[index] >= 0 && primary[index] >= 0 {
            secondaryStart[Int(secondary[index]) + 1] += 1
            total += 1
        }
        for bucket in 0..<secondaryCount { secondaryStart[bucket + 1] += secondaryStart[bucket] }
        var bySecondary = [Int32](repeating: 0, count: total)
        var primaryStart = [Int](repeating: 0, count: primaryCount + 1)
        for index in 0..<secondary.count where secondary[index] >= 0 && primary[index] >= 0 {
            let bucket = Int(secondary[index])
            bySecondary[secondaryStart[bucket]] = Int32(truncatingIfNeeded: index)
            secondaryStart[bucket] += 1
            primaryStart[Int(primary[index]) + 1] += 1
        }
        for bucket in 0..<primaryCount { primaryStart[bucket + 1] += primaryStart[bucket] }
        var order = [Int32](repeating: 0, count: total)
        var next = primaryStart
        for index in bySecondary {
            let bucket = Int(primary[Int(index)])
            order[next[bucket]] = index
            next[bucket] += 1
        }
        return (order, primaryStart)
    }
}

/// Where each input row goes in grouped order (-1: left out): the inverse of `order`.
private func groupedPositions(_ order: [Int32], inputCount: Int) -> [Int32] {
    var position = [Int32](repeating: -1, count: inputCount)
    for (grouped, index) in order.enumerated() { position[Int(index)] = Int32(truncatingIfNeeded: grouped) }
    return position
}

/// Detection columns in grouped order, so that each unit reads a contiguous slice.
///
/// Filled by scattering the input in its own order: reads are sequential and writes go to one advancing
/// stream per category, which is far kinder to the caches than gathering rows category by category.
struct GroupedDetections: Sendable {
    var original: [Int32] = []
    var image: [Int32] = []
    var x: [Double] = []
    var y: [Double] = []
    var width: [Double] = []
    var height: [Double] = []
    var score: [Double] = []

    init() {}

    init(_ source: EvalDetections, order: [Int32], image rank: [Int32]) {
        let count = order.count
        let position = groupedPositions(order, inputCount: source.count)
        var original = [Int32](repeating: 0, count: count)
        var image = [Int32](repeating: 0, count: count)
        var x = [Double](repeating: 0, count: count)
        var y = [Double](repeating: 0, count: count)
        var width = [Double](repeating: 0, count: count)
        var height = [Double](repeating: 0, count: count)
        var score = [Double](repeating: 0, count: count)
        for index in 0..<source.count {
            let target = Int(position[index])
            guard target >= 0 else { continue }
            original[target] = Int32(truncatingIfNeeded: index)
            image[target] = rank[index]
            x[target] = source.x[index]
            y[target] = source.y[index]
            width[target] = source.width[index]
            height[target] = source.height[index]
            score[target] = source.score[index]
        }
        (self.original, self.image, self.x, self.y) = (original, image, x, y)
        (self.width, self.height, self.score) = (width, height, score)
    }
}

/// Ground-truth columns in grouped order, filled like `GroupedDetections`.
struct GroupedGroundTruth: Sendable {
    var original: [Int32] = []
    var image: [Int32] = []
    var x: [Double] = []
    var y: [Double] = []
    var width: [Double] = []
    var height: [Double] = []
    var area: [Double] = []
    var isCrowd: [Bool] = []
    /// Annotation id is not 0: only such boxes can be true positives (pycocotools stores 0 as "no match").
    var hasID: [Bool] = []

    init() {}

    init(_ source: EvalGroundTruth, order: [Int32], image rank: [Int32]) {
        let count = order.count
        let position = groupedPositions(order, inputCount: source.count)
        var original = [Int32](repeating: 0, count: count)
        var image = [Int32](repeating: 0, count: count)
        var x = [Double](repeating: 0, count: count)
        var y = [Double](repeating: 0, count: count)
        var width = [Double](repeating: 0, count: count)
        var height = [Double](repeating: 0, count: count)
        var area = [Double](repeating: 0, count: count)
        var isCrowd = [Bool](repeating: false, count: count)
        var hasID = [Bool](repeating: false, count: count)
        for index in 0..<source.count {
            let target = Int(position[index])
            guard target >= 0 else { continue }
            original[target] = Int32(truncatingIfNeeded: index)
            image[target] = rank[index]
            x[target] = source.x[index]
            y[target] = source.y[index]
            width[target] = source.width[index]
            height[target] = source.height[index]
            area[target] = source.area[index]
            isCrowd[target] = source.isCrowd[index]
            hasID[target] = source.annotationID[index] != 0
        }
        (self.original, self.image, self.x, self.y, self.width) = (original, image, x, y, width)
        (self.height, self.area, self.isCrowd, self.hasID) = (height, area, isCrowd, hasID)
    }
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
