/// What the evidence says: whether another reading explains the export far better than the one given (a fatal
/// finding naming it, with the flags that select it), or whether no reading explains it at all (a warning).
struct ReadingVerdict {
    var findings: [Finding] = []
    /// The axes on which the verdict replaces the given reading; findings that are symptoms of those are left
    /// out.
    var explainsGeometry = false
    var explainsImages = false
    var explainsCategories = false
    var isFatal: Bool { !findings.filter { $0.severity == .fatal }.isEmpty }

    init(search: ReadingSearch, batch: DetectionBatch, catalog: DatasetCatalog, options: DiagnosisOptions) {
        guard let given = search.given, let best = search.best, given.sampled > 0 else { return }
        let givenShare = given.ownClassShare
        let bestShare = best.ownClassShare
        let decisive =
            bestShare >= DetectionDiagnosis.decisiveFactor * givenShare + DetectionDiagnosis.decisiveFloor
            && bestShare - givenShare >= DetectionDiagnosis.decisiveMargin
            && (best.overlappingOwnClass ?? 0) >= DetectionDiagnosis.minimumSupport
        if best.reading != given.reading && decisive {
            let g = given.reading
            let b = best.reading
            var parts: [String] = []
            var code = "category-reading"
            if !b.hasSameImages(as: g) {
                code = "image-reading"
                parts.append(Self.describeImages(b, given: g))
            }
            if !b.hasSameGeometry(as: g) {
                code = "box-reading"
                parts.insert(Self.describeGeometry(b, given: g), at: 0)
            }
            if !b.hasSameCategories(as: g) {
                parts.append(Self.describeCategories(b, given: g, catalog: catalog))
            }
            explainsGeometry = !b.hasSameGeometry(as: g)
            explainsImages = !b.hasSameImages(as: g)
            explainsCategories = !b.hasSameCategories(as: g)
            let flags = b.flags(format: batch.format, encoding: batch.boxEncoding)
            let given = ExportReading(options: options, encoding: batch.boxEncoding)
                .flags(format: batch.format, encoding: batch.boxEncoding)
            let replacing = given.isEmpty ? "" : " (in place of \(given.joined(separator: " ")))"
            findings.append(
                Finding(
                    code: code, severity: .fatal,
                    summary:
                        "\(Self.join(parts)): read that way, \(Self.percent(bestShare)) of the \(best.sampled) most confident detections overlap a ground-truth box of their class at IoU >= 0.5, against \(Self.percent(givenShare)) as given",
                    count: best.sampled, examples: [],
                    fix: flags.isEmpty
                        ? "import without the corrections given"
                        : "import with \(flags.joined(separator: " "))\(replacing)"))
            return
        }
        let most = search.tried.map(\.share).max() ?? 0
        if given.sampled >= 50 && most < DetectionDiagnosis.unexplainedShare {
            findings.append(
                Finding(
                    code: "no-overlap", severity: .warning,
                    summary:
                        "no reading overlaps the ground truth: under none of the \(search.tried.count) readings tried (box layouts and units, image and class numberings) do more than \(Self.percent(most)) of the \(given.sampled) most confident detections overlap a ground-truth box at IoU >= 0.5",
                    count: given.sampled, examples: [],
                    fix:
                        "check that the detections were made on this dataset (another dataset, or another split?) and on these images"
                ))
        }
    }

    static func percent(_ share: Double) -> String {
        if share > 0 && share < 0.01 { return "<1%" }
        return "\(Int((share * 100).rounded()))%"
    }

    /// "a, b and c".
    static func join(_ parts: [String]) -> String {
        guard parts.count > 1 else { return parts.first ?? "" }
        return parts.dropLast().joined(separator: ", ") + " and " + parts[parts.count - 1]
    }

    static func describeGeometry(_ reading: ExportReading, given: ExportReading) -> String {
        var text: String
        let layoutChanged = reading.box.layout != given.box.layout
        let scaleChanged = reading.box.scale != given.box.scale
        switch (layoutChanged, scaleChanged) {
        case (true, true):
            text = "the boxes look like \(reading.box.layout.phrase) \(reading.box.scale.phrase)"
        case (true, false):
            text = "the boxes look like \(reading.box.layout.phrase)"
        case (false, true):
            switch reading.box.scale {
            case .pixels: text = "the coordinates look like pixels, not fractions of the image"
            case .normalized: text = "the coordinates look like fractions of the image's width and height"
            case .normalizedHeightWidth:
                text = "the coordinates look like fractions of the image's height and width (swapped)"
            case .swappedPixels:
                text = "the boxes look scaled back to pixels with the image's width and height swapped"
            case .letterbox(let size):
                text =
                    "the boxes look like pixels of a \(size)x\(size) letterboxed network input, never mapped back to the image"
            }
        case (false, false):
            text = "the boxes are read as given"
        }
        if reading.columns != given.columns {
            text +=
                reading.columns == .confidenceSecond
                ? ", with the confidence in the second column (class conf cx cy w h)"
                : ", with the confidence in the last column (class cx cy w h conf)"
        }
        return text
    }

    static func describeImages(_ reading: ExportReading, given: ExportReading) -> String {
        let offset = reading.imageIDOffset
        let base = offset == -1 ? "1-based" : offset == 0 ? "0-based" : "shifted by \(-offset)"
        switch reading.imageMatching {
        case .automatic, .id:
            return
                "the image ids look shifted: the export's image_id N is the dataset's image N\(offset > 0 ? "+" : "")\(offset)"
        case .index:
            return
                "the image ids look like \(base) positions in the dataset's images sorted by id (a data loader's index)"
        case .fileIndex:
            return "the image ids look like \(base) positions in the dataset's images sorted by file name"
        case .fileName:
            return "the image references look like file names"
        case .stem:
            return "the image references match the dataset's file names without their folders and extensions"
        }
    }

    static func describeCategories(_ reading: ExportReading, given: ExportReading, catalog: DatasetCatalog) -> String {
        if let map = reading.estimatedMap {
            let names = Dictionary(
                catalog.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            let pairs = map.sorted { CategoryKey.ordered($0.key, $1.key) }
            let shown = pairs.prefix(8).map { key, id in
                "\(Self.modelName(key)) -> \(id) \(names[id] ?? "")"
            }
            return
                "the model's classes look like another order of the dataset's (\(shown.joined(separator: ", "))\(pairs.count > 8 ? ", ..." : ""); `evaldb check --explain` prints the whole map)"
        }
        let offset = reading.categoryOffset
        switch reading.categoryMatching {
        case .id:
            if offset == 1 { return "the category ids look 0-based against the dataset's 1-based ids" }
            if offset == -1 { return "the category ids look 1-based against the dataset's 0-based ids" }
            return offset == 0
                ? "the category ids match the dataset's as given" : "the category ids look off by \(-offset)"
        case .index:
            return
                "the category ids look like \(offset == -1 ? "1-based" : "0-based") positions in the dataset's \(catalog.categories.count) categories sorted by id (a model's contiguous class numbers against the dataset's ids)"
        case .name:
            return "the class names the run carries match the dataset's category names, not its ids"
        }
    }

    static func modelName(_ key: CategoryKey) -> String {
        switch key {
        case .id(let id): return "\(id)"
        case .name(let name): return "'\(name)'"
        }
    }
}

extension CategoryKey {
    /// Ids ascending, then names.
    public static func ordered(_ a: CategoryKey, _ b: CategoryKey) -> Bool {
        switch (a, b) {
        case (.id(let x), .id(let y)): return x < y
        case (.id, .name): return true
        case (.name, .id): return false
        case (.name(let x), .name(let y)): return x < y
        }
    }
}
