import EvalFormats
import EvalSQLite
import EvalStore

/// Datasets and their ground truth in SQLite. Writers expect to run inside the caller's transaction (one import =
/// one transaction).
struct SQLiteDatasets: DatasetRepository {
    let database: Database

    /// The dataset called `name`, or nil.
    func find(name: String) throws -> StoredDataset? {
        let stored = try NameLookup.storedName(name, table: "datasets", database: database)
        return try database.fetchOne(
            "SELECT id, name, format, source, sha256, default_protocol, created_at FROM datasets WHERE name = ?",
            [.text(stored)]
        ).map(Self.decode)
    }

    /// The dataset with row id `id`.
    func find(id: Int64) throws -> StoredDataset? {
        try database.fetchOne(
            "SELECT id, name, format, source, sha256, default_protocol, created_at FROM datasets WHERE id = ?",
            [.integer(id)]
        ).map(Self.decode)
    }

    /// All dataset names, sorted.
    func names() throws -> [String] {
        try database.fetchAll("SELECT name FROM datasets ORDER BY name").compactMap { $0[0].string }
    }

    private static func decode(_ row: Row) throws -> StoredDataset {
        let formatName = row[2].string ?? ""
        guard let format = DatasetFormat(rawValue: formatName) else {
            throw StoreError.unknownStoredValue(
                "dataset format '\(formatName)'", of: "dataset '\(row[1].string ?? "")'")
        }
        return StoredDataset(
            id: row[0].int64 ?? 0, name: row[1].string ?? "", format: format,
            source: row[3].string ?? "", sha256: row[4].string ?? "", defaultProtocol: row[5].string ?? "",
            createdAt: row[6].string ?? "")
    }

    /// Inserts a dataset with its categories, images, boxes and ignored regions; returns its row id.
    /// Call inside a write transaction.
    func insert(
        _ dataset: GroundTruthDataset, name: String, source: String, sha256: String, defaultProtocol: String
    ) throws -> Int64 {
        try database.execute(
            """
            INSERT INTO datasets (name, format, source, sha256, default_protocol, created_at, evaldb_version)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(name), .text(dataset.format.rawValue), .text(source), .text(sha256), .text(defaultProtocol),
                .text(Timestamp.now()), .text(EvaldbVersion.current),
            ])
        let datasetID = database.lastInsertedRowID
        let category = try database.prepare(
            "INSERT INTO categories (dataset_id, category_id, name, supercategory) VALUES (?, ?, ?, ?)")
        for record in dataset.categories {
            try category.bind([
                .integer(datasetID), .integer(record.id), .text(record.name), record.supercategory.sqlValue,
            ])
            try category.run()
        }
        let image = try database.prepare(
            "INSERT INTO images (dataset_id, external_id, file_name, width, height) VALUES (?, ?, ?, ?, ?)")
        var imageRowIDs: [Int64] = []
        imageRowIDs.reserveCapacity(dataset.images.count)
        for record in dataset.images {
            try image.bind([
                .integer(datasetID), .integer(record.id), .text(record.fileName), .integer(Int64(record.width)),
                .integer(Int64(record.height)),
            ])
            try image.run()
            imageRowIDs.append(database.lastInsertedRowID)
        }
        let box = try database.prepare(
            """
            INSERT INTO gt_boxes (dataset_id, image_id, category_id, annotation_id, x, y, w, h, area,
                                  is_crowd, is_ignored, is_difficult, truncation, occlusion)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for record in dataset.boxes {
            try box.bind([
                .integer(datasetID), .integer(imageRowIDs[record.imageIndex]), .integer(record.categoryID),
                record.annotationID.sqlValue, .real(record.x), .real(record.y), .real(record.width),
                .real(record.height), .real(record.area), record.isCrowd.sqlValue, record.isIgnored.sqlValue,
                record.isDifficult.sqlValue, record.truncation.sqlValue, record.occlusion.sqlValue,
            ])
            try box.run()
        }
        let region = try database.prepare("INSERT INTO ignored_regions (image_id, x, y, w, h) VALUES (?, ?, ?, ?, ?)")
        for record in dataset.ignoredRegions {
            try region.bind([
                .integer(imageRowIDs[record.imageIndex]), .real(record.x), .real(record.y), .real(record.width),
                .real(record.height),
            ])
            try region.run()
        }
        return datasetID
    }

    /// Deletes a dataset and everything that belongs to it. Call inside a write transaction.
    func delete(id: Int64) throws {
        try database.execute("DELETE FROM datasets WHERE id = ?", [.integer(id)])
    }

    /// Number of runs recorded against a dataset.
    func runCount(datasetID: Int64) throws -> Int {
        try database.fetchValue("SELECT count(*) FROM runs WHERE dataset_id = ?", [.integer(datasetID)]).int ?? 0
    }

    /// A dataset's categories, by id.
    func categories(datasetID: Int64) throws -> [CategoryRecord] {
        try database.fetchAll(
            "SELECT category_id, name, supercategory FROM categories WHERE dataset_id = ? ORDER BY category_id",
            [.integer(datasetID)]
        ).map { CategoryRecord(id: $0[0].int64 ?? 0, name: $0[1].string ?? "", supercategory: $0[2].string) }
    }

    /// What the diagnosis needs to know about a stored dataset, and each catalog image's row id
    /// (`imageRowIDs[i]` is the `images.id` of `catalog.images[i]`).
    func catalog(of dataset: StoredDataset) throws -> (catalog: DatasetCatalog, imageRowIDs: [Int64]) {
        // One pass over the images and boxes: a small page cache does as well as the import's 32 MB, which it
        // would otherwise fill while the detections are parsed side by side (at 50k images, 35 MB more at the
        // import's peak).
        try database.withCacheSize(kibibytes: 1024) {
            var images: [ImageRecord] = []
            var rowIDs: [Int64] = []
            let statement = try database.prepare(
                "SELECT id, external_id, file_name, width, height FROM images WHERE dataset_id = ? ORDER BY id")
            try statement.bind([.integer(dataset.id)])
            while try statement.step() {
                rowIDs.append(statement.int64(at: 0))
                images.append(
                    ImageRecord(
                        id: statement.int64(at: 1), fileName: statement.column(2).string ?? "",
                        width: Int(statement.int64(at: 3)), height: Int(statement.int64(at: 4))))
            }
            let categories = try categories(datasetID: dataset.id)
            // The boxes, for scoring readings of an export against them.
            var index: [Int64: Int] = [:]
            for (position, rowID) in rowIDs.enumerated() { index[rowID] = position }
            var boxes = CatalogBoxes.Builder(imageCount: images.count)
            var largest = 0.0
            let boxRows = try database.prepare(
                "SELECT image_id, category_id, x, y, w, h FROM gt_boxes WHERE dataset_id = ?")
            try boxRows.bind([.integer(dataset.id)])
            while try boxRows.step() {
                let (x, y, w, h) = (
                    boxRows.double(at: 2), boxRows.double(at: 3), boxRows.double(at: 4), boxRows.double(at: 5)
                )
                largest = max(largest, x + w, y + h)
                boxes.append(
                    image: index[boxRows.int64(at: 0)] ?? -1, category: boxRows.int64(at: 1), x: x, y: y, width: w,
                    height: h)
            }
            let catalog = DatasetCatalog(
                name: dataset.name, format: dataset.format, images: images, categories: categories,
                largestGroundTruthCoordinate: largest, boxes: boxes.build())
            // The pages just read are not needed again before the import stores its run: hand the page cache back
            // (tens of MB for a large dataset) while the detections are diagnosed.
            try database.execute("PRAGMA shrink_memory")
            return (catalog, rowIDs)
        }
    }

    /// The dataset's ground truth as stored, images in `id` order.
    func groundTruth(of dataset: StoredDataset) throws -> GroundTruthDataset {
        let (catalog, rowIDs) = try catalog(of: dataset)
        var index: [Int64: Int] = [:]
        for (position, rowID) in rowIDs.enumerated() { index[rowID] = position }
        let boxes = try database.fetchAll(
            """
            SELECT image_id, category_id, annotation_id, x, y, w, h, area, is_crowd, is_ignored, is_difficult,
                   truncation, occlusion
            FROM gt_boxes WHERE dataset_id = ? ORDER BY id
            """, [.integer(dataset.id)]
        ).map { row in
            GroundTruthBox(
                annotationID: row[2].int64, imageIndex: index[row[0].int64 ?? 0] ?? 0, categoryID: row[1].int64 ?? 0,
                x: row[3].double ?? 0, y: row[4].double ?? 0, width: row[5].double ?? 0, height: row[6].double ?? 0,
                area: row[7].double, isCrowd: row[8].int64 == 1, isIgnored: row[9].int64 == 1,
                isDifficult: row[10].int64 == 1, truncation: row[11].int64.map { Int($0) },
                occlusion: row[12].int64.map { Int($0) })
        }
        let regions = try database.fetchAll(
            """
            SELECT r.image_id, r.x, r.y, r.w, r.h FROM ignored_regions r JOIN images i ON i.id = r.image_id
            WHERE i.dataset_id = ? ORDER BY r.id
            """, [.integer(dataset.id)]
        ).map { row in
            IgnoredRegion(
                imageIndex: index[row[0].int64 ?? 0] ?? 0, x: row[1].double ?? 0, y: row[2].double ?? 0,
                width: row[3].double ?? 0, height: row[4].double ?? 0)
        }
        return GroundTruthDataset(
            format: dataset.format, categories: catalog.categories, images: catalog.images, boxes: boxes,
            ignoredRegions: regions)
    }

    /// The ids of the dataset's images matching `condition`. The condition is the user's SQL, run as the WHERE of
    /// one read-only statement.
    func imageRowIDs(datasetID: Int64, matching condition: String) throws -> Set<Int64> {
        let statement: Statement
        do {
            statement = try database.prepareSingle("SELECT id FROM images WHERE dataset_id = ? AND (\(condition))")
        } catch {
            throw EvaluationError.invalidImageFilter(condition, message: error.message)
        }
        guard statement.isReadOnly else {
            throw EvaluationError.invalidImageFilter(condition, message: "the condition must not write")
        }
        return Set(try statement.fetchAll([.integer(datasetID)]).compactMap { $0[0].int64 })
    }

    func fileNames(imageRowIDs: [Int64]) throws -> [Int64: String] {
        let statement = try database.prepare("SELECT file_name FROM images WHERE id = ?")
        var names: [Int64: String] = [:]
        for id in imageRowIDs {
            try statement.bind([.integer(id)])
            if try statement.step() { names[id] = statement.column(0).string ?? "" }
            statement.reset()
        }
        return names
    }
}
