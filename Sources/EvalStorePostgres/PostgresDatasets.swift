import EvalFormats
import EvalStore
import PostgresNIO
import NIOConcurrencyHelpers

/// Datasets and their ground truth in PostgreSQL. Writers expect to run inside `PostgresStore.write`; images, boxes
/// and ignored regions are loaded with binary COPY.
struct PostgresDatasets: DatasetRepository {
    let store: PostgresStore
    private var connection: BlockingConnection { store.connection }

    private static let columns = "id, name, format, source, sha256, default_protocol, created_at"

    func find(name: String) throws -> StoredDataset? {
        let stored = try PostgresNames.storedName(name, table: "datasets", connection: connection)
        try store.lockName(stored, kind: PostgresNames.datasetLock, shared: true)
        return try connection.query("SELECT \(Self.columns) FROM datasets WHERE name = $1", [.text(stored)])
            .valueRows.first.map(Self.decode)
    }

    func find(id: Int64) throws -> StoredDataset? {
        try connection.query("SELECT \(Self.columns) FROM datasets WHERE id = $1", [.integer(id)])
            .valueRows.first.map(Self.decode)
    }

    func names() throws -> [String] {
        try connection.query("SELECT name FROM datasets ORDER BY name COLLATE \"C\"").valueRows.compactMap {
            $0[0].string
        }
    }

    private static func decode(_ row: [StoreValue]) throws -> StoredDataset {
        let formatName = row[2].string ?? ""
        guard let format = DatasetFormat(rawValue: formatName) else {
            throw StoreError.unknownStoredValue(
                "dataset format '\(formatName)'", of: "dataset '\(row[1].string ?? "")'")
        }
        return StoredDataset(
            id: row[0].int64 ?? 0, name: row[1].string ?? "", format: format, source: row[3].string ?? "",
            sha256: row[4].string ?? "", defaultProtocol: row[5].string ?? "", createdAt: row[6].string ?? "")
    }

    func insert(
        _ dataset: GroundTruthDataset, name: String, source: String, sha256: String, defaultProtocol: String
    ) throws -> Int64 {
        try store.lockName(name, kind: PostgresNames.datasetLock)
        let datasetID =
            try connection.query(
                """
                INSERT INTO datasets (name, format, source, sha256, default_protocol, created_at, evaldb_version)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """,
                [
                    .text(name), .text(dataset.format.rawValue), .text(source), .text(sha256), .text(defaultProtocol),
                    .text(Timestamp.now()), .text(EvaldbVersion.current),
                ]
            ).firstValue?.int64 ?? 0
        var categories = BinaryCopy()
        for record in dataset.categories {
            categories.row(4)
            categories.int64(datasetID)
            categories.int64(record.id)
            categories.text(record.name)
            categories.text(record.supercategory)
        }
        try connection.copyBinary(
            table: "categories", columns: ["dataset_id", "category_id", "name", "supercategory"],
            chunks: categories.finish())
        // The images' ids, reserved from the identity sequence in one round trip, so that boxes can name them.
        let imageRowIDs =
            dataset.images.isEmpty
            ? []
            : try connection.query(
                "SELECT nextval(pg_get_serial_sequence('images', 'id')) FROM generate_series(1, $1)",
                [.integer(Int64(dataset.images.count))]
            ).valueRows.map { $0[0].int64 ?? 0 }
        var images = BinaryCopy()
        for (index, record) in dataset.images.enumerated() {
            images.row(6)
            images.int64(imageRowIDs[index])
            images.int64(datasetID)
            images.int64(record.id)
            images.text(record.fileName)
            images.int64(Int64(record.width))
            images.int64(Int64(record.height))
        }
        try connection.copyBinary(
            table: "images", columns: ["id", "dataset_id", "external_id", "file_name", "width", "height"],
            chunks: images.finish())
        var boxes = BinaryCopy()
        for record in dataset.boxes {
            boxes.row(14)
            boxes.int64(datasetID)
            boxes.int64(imageRowIDs[record.imageIndex])
            boxes.int64(record.categoryID)
            boxes.int64(record.annotationID)
            boxes.double(record.x)
            boxes.double(record.y)
            boxes.double(record.width)
            boxes.double(record.height)
            boxes.double(record.area)
            boxes.int64(record.isCrowd ? 1 : 0)
            boxes.int64(record.isIgnored ? 1 : 0)
            boxes.int64(record.isDifficult ? 1 : 0)
            boxes.int64(record.truncation.map(Int64.init))
            boxes.int64(record.occlusion.map(Int64.init))
        }
        try connection.copyBinary(
            table: "gt_boxes",
            columns: [
                "dataset_id", "image_id", "category_id", "annotation_id", "x", "y", "w", "h", "area", "is_crowd",
                "is_ignored", "is_difficult", "truncation", "occlusion",
            ], chunks: boxes.finish())
        if !dataset.ignoredRegions.isEmpty {
            var regions = BinaryCopy()
            for record in dataset.ignoredRegions {
                regions.row(5)
                regions.int64(imageRowIDs[record.imageIndex])
                regions.double(record.x)
                regions.double(record.y)
                regions.double(record.width)
                regions.double(record.height)
            }
            try connection.copyBinary(
                table: "ignored_regions", columns: ["image_id", "x", "y", "w", "h"], chunks: regions.finish())
        }
        return datasetID
    }

    func delete(id: Int64) throws {
        if let name = try find(id: id)?.name { try store.lockName(name, kind: PostgresNames.datasetLock) }
        try connection.query("DELETE FROM datasets WHERE id = $1", [.integer(id)])
    }

    func runCount(datasetID: Int64) throws -> Int {
        Int(
            try connection.query("SELECT count(*) FROM runs WHERE dataset_id = $1", [.integer(datasetID)])
                .firstValue?.int64 ?? 0)
    }

    func categories(datasetID: Int64) throws -> [CategoryRecord] {
        try connection.query(
            "SELECT category_id, name, supercategory FROM categories WHERE dataset_id = $1 ORDER BY category_id",
            [.integer(datasetID)]
        ).valueRows.map { CategoryRecord(id: $0[0].int64 ?? 0, name: $0[1].string ?? "", supercategory: $0[2].string) }
    }

    func catalog(of dataset: StoredDataset) throws -> (catalog: DatasetCatalog, imageRowIDs: [Int64]) {
        let imageRows = try connection.query(
            "SELECT id, external_id, file_name, width, height FROM images WHERE dataset_id = $1 ORDER BY id",
            [.integer(dataset.id)]
        ).valueRows
        let rowIDs = imageRows.map { $0[0].int64 ?? 0 }
        let images = imageRows.map {
            ImageRecord(
                id: $0[1].int64 ?? 0, fileName: $0[2].string ?? "", width: Int($0[3].int64 ?? 0),
                height: Int($0[4].int64 ?? 0))
        }
        let categories = try categories(datasetID: dataset.id)
        var index: [Int64: Int] = [:]
        for (position, rowID) in rowIDs.enumerated() { index[rowID] = position }
        let collected = NIOLockedValueBox<[(Int64, Int64, Double, Double, Double, Double)]>([])
        try connection.forEachRow(
            "SELECT image_id, category_id, x, y, w, h FROM gt_boxes WHERE dataset_id = $1", [.integer(dataset.id)]
        ) { row in
            var cells = row.makeIterator()
            let values = (
                cells.next()?.int64Value ?? 0, cells.next()?.int64Value ?? 0, cells.next()?.doubleValue ?? 0,
                cells.next()?.doubleValue ?? 0, cells.next()?.doubleValue ?? 0, cells.next()?.doubleValue ?? 0
            )
            collected.withLockedValue { $0.append(values) }
        }
        var boxes = CatalogBoxes.Builder(imageCount: images.count)
        var largest = 0.0
        for (image, category, x, y, w, h) in collected.withLockedValue({ $0 }) {
            largest = max(largest, x + w, y + h)
            boxes.append(image: index[image] ?? -1, category: category, x: x, y: y, width: w, height: h)
        }
        let catalog = DatasetCatalog(
            name: dataset.name, format: dataset.format, images: images, categories: categories,
            largestGroundTruthCoordinate: largest, boxes: boxes.build())
        return (catalog, rowIDs)
    }

    func groundTruth(of dataset: StoredDataset) throws -> GroundTruthDataset {
        try store.readSnapshot {
            let (catalog, rowIDs) = try catalog(of: dataset)
            var index: [Int64: Int] = [:]
            for (position, rowID) in rowIDs.enumerated() { index[rowID] = position }
            let boxes = try connection.query(
                """
                SELECT image_id, category_id, annotation_id, x, y, w, h, area, is_crowd, is_ignored, is_difficult,
                       truncation, occlusion
                FROM gt_boxes WHERE dataset_id = $1 ORDER BY id
                """, [.integer(dataset.id)]
            ).valueRows.map { row in
                GroundTruthBox(
                    annotationID: row[2].int64, imageIndex: index[row[0].int64 ?? 0] ?? 0,
                    categoryID: row[1].int64 ?? 0, x: row[3].double ?? 0, y: row[4].double ?? 0,
                    width: row[5].double ?? 0, height: row[6].double ?? 0, area: row[7].double,
                    isCrowd: row[8].int64 == 1, isIgnored: row[9].int64 == 1, isDifficult: row[10].int64 == 1,
                    truncation: row[11].int64.map { Int($0) }, occlusion: row[12].int64.map { Int($0) })
            }
            let regions = try connection.query(
                """
                SELECT r.image_id, r.x, r.y, r.w, r.h FROM ignored_regions r JOIN images i ON i.id = r.image_id
                WHERE i.dataset_id = $1 ORDER BY r.id
                """, [.integer(dataset.id)]
            ).valueRows.map { row in
                IgnoredRegion(
                    imageIndex: index[row[0].int64 ?? 0] ?? 0, x: row[1].double ?? 0, y: row[2].double ?? 0,
                    width: row[3].double ?? 0, height: row[4].double ?? 0)
            }
            return GroundTruthDataset(
                format: dataset.format, categories: catalog.categories, images: catalog.images, boxes: boxes,
                ignoredRegions: regions)
        }
    }

    func imageRowIDs(datasetID: Int64, matching condition: String) throws -> Set<Int64> {
        do {
            return Set(
                try store.readOnly {
                    try connection.query(
                        "SELECT id FROM images WHERE dataset_id = $1 AND (\(condition))", [.integer(datasetID)]
                    ).valueRows.compactMap { $0[0].int64 }
                })
        } catch let error as PostgresStoreError {
            guard case .server(_, let state, let message, _, _) = error else { throw error }
            throw EvaluationError.invalidImageFilter(
                condition, message: state == "25006" ? "the condition must not write" : message)
        }
    }

    func fileNames(imageRowIDs: [Int64]) throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        for row in try connection.query(
            "SELECT id, file_name FROM images WHERE id = ANY($1)", [.integers(imageRowIDs)]
        ).valueRows {
            if let id = row[0].int64 { names[id] = row[1].string ?? "" }
        }
        return names
    }
}

/// Names as people read them (the same lookup as the SQLite store's): an exact match first, then a name in another
/// Unicode normalization. And the advisory-lock classes of names.
enum PostgresNames {
    static let runLock: Int32 = 1
    static let datasetLock: Int32 = 2

    static func storedName(_ name: String, table: String, connection: BlockingConnection) throws -> String {
        let exact = try connection.query("SELECT count(*) FROM \(table) WHERE name = $1", [.text(name)])
        if (exact.firstValue?.int64 ?? 0) > 0 { return name }
        for row in try connection.query("SELECT name FROM \(table)").valueRows {
            if let stored = row[0].string, stored == name { return stored }
        }
        return name
    }
}
