/// The one-to-one category map a run's boxes support, estimated over all of its detections (for
/// `--category-map auto`), in three rounds of votes, each assigning only what the previous left open:
/// 1. each detection overlapping a ground-truth box at IoU >= 0.5 votes for the class of the box it overlaps
///    most;
/// 2. each detection overlapping a box at all (IoU > 0.1: a poorly placed box still sits on its object) votes for
///    that box's class;
/// 3. each detection votes for every class present in its image's ground truth.
/// Pairs are taken greedily by votes, each model and dataset category once. A model category that no round
/// assigns keeps its own id when the dataset has it and it is free, else takes a free one in id order.
enum CategoryMapEstimate {
    static func estimate(
        batch: DetectionBatch, catalog: DatasetCatalog, reading: ExportReading, images: ImageLookup,
        categories: CategoryLookup
    ) -> [CategoryKey: Int64] {
        let search = ReadingSearch(
            batch: batch, catalog: catalog, images: images, categories: categories, explicitMap: nil)
        var strong: [CategoryKey: [Int64: Int]] = [:]
        var weak: [CategoryKey: [Int64: Int]] = [:]
        var present: [CategoryKey: [Int64: Int]] = [:]
        var keys = Set<CategoryKey>()
        let boxes = catalog.boxes
        for row in 0..<batch.count {
            let key = batch.categoryKeys[row]
            keys.insert(key)
            guard let geometry = search.pixelBox(row, reading) else { continue }
            var best = ReadingSearch.overlapThreshold
            var target: Int64?
            var seen = Set<Int64>()
            for g in boxes.start[geometry.image]..<boxes.start[geometry.image + 1] {
                let category = boxes.category[g]
                let iou = ReadingSearch.iou(geometry.box, (boxes.x[g], boxes.y[g], boxes.width[g], boxes.height[g]))
                if iou >= best {
                    best = iou
                    target = category
                }
                if iou > 0.1 { weak[key, default: [:]][category, default: 0] += 1 }
                if seen.insert(category).inserted { present[key, default: [:]][category, default: 0] += 1 }
            }
            if let target { strong[key, default: [:]][target, default: 0] += 1 }
        }
        var map: [CategoryKey: Int64] = [:]
        var taken = Set<Int64>()
        for votes in [strong, weak, present] {
            let open = votes.compactMapValues { $0.filter { !taken.contains($0.key) } }.filter { map[$0.key] == nil }
            for (key, id) in ReadingSearch.greedyMap(open) ?? [:] {
                map[key] = id
                taken.insert(id)
            }
        }
        // Without any vote: the category's own id when free, else the free dataset categories in id order, else
        // its own id even if taken (its detections overlap nothing: they are false positives wherever they go).
        let unassigned = keys.filter { map[$0] == nil }.sorted(by: CategoryKey.ordered)
        var free = categories.sortedIDs.filter { !taken.contains($0) }
        for key in unassigned {
            if let id = categories.resolve(key, .id, runNames: batch.categoryNames)?.id,
                let slot = free.firstIndex(of: id)
            {
                map[key] = id
                free.remove(at: slot)
            }
        }
        for key in unassigned where map[key] == nil {
            if !free.isEmpty {
                map[key] = free.removeFirst()
            } else if let id = categories.resolve(key, .id, runNames: batch.categoryNames)?.id {
                map[key] = id
            }
        }
        return map
    }
}
