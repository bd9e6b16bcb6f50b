/// Checks a run's raw detections against a dataset before anything is stored, and resolves them to
/// dataset images and categories in pixels.
///
/// This is why evaldb exists: each check catches an input mistake that would otherwise print a wrong
/// mAP without complaint. Two kinds of checks:
/// - evidence (`ReadingSearch`): candidate readings of the export (box layout and unit, confidence column,
///   image and category numbering) are scored by how many of its most confident detections then overlap the
///   ground truth; when another reading explains the data far better than the one given, the import stops and
///   the message names that reading and the flags that select it;
/// - bounds and values (`GeometryCheck`, the resolvers): references that match nothing, boxes outside their
///   image, non-finite values, duplicates, and the cheap convention rules used when there is no evidence.
/// Fatal findings mean the result must not be stored.
public enum DetectionDiagnosis {
    /// How much better another reading must explain the data than the given one before the import stops: its
    /// share of the sample overlapping a box of their class must be at least `factor` times the given share plus
    /// `floor`, and at least `margin` above it. A correct export's own share is far above what a misreading
    /// reaches (see README: "how evidence decides").
    public static let decisiveFactor = 2.0
    public static let decisiveFloor = 0.05
    public static let decisiveMargin = 0.15
    /// A reading must make at least this many detections overlap a box of their class before it replaces the
    /// given one: on a handful of detections a coincidence would do (the bound rules still apply there).
    public static let minimumSupport = 10
    /// Below this share of the sample overlapping any box under every reading, nothing explains the data.
    public static let unexplainedShare = 0.02

    /// Diagnoses `batch` against `catalog`, applying the user's `options`.
    /// Returns the findings and the rows that resolved (all rows when no finding is fatal).
    public static func diagnose(
        _ batch: DetectionBatch, against catalog: DatasetCatalog, options: DiagnosisOptions = DiagnosisOptions()
    ) -> (report: DiagnosisReport, detections: ResolvedDetections) {
        let result = diagnoseExplained(batch, against: catalog, options: options)
        return (result.report, result.detections)
    }

    /// `diagnose` with the readings scored (for `evaldb check --explain`) and the reading applied.
    public static func diagnoseExplained(
        _ input: DetectionBatch, against catalog: DatasetCatalog, options: DiagnosisOptions = DiagnosisOptions()
    ) -> DiagnosisExplanation {
        var findings = input.notes
        let imageLookup = ImageLookup(catalog.images)
        let categoryLookup = CategoryLookup(catalog.categories)
        var explicitMap: [CategoryKey: Int64]?
        if let map = options.categoryMap {
            let (resolved, unknown) = categoryLookup.resolve(map)
            explicitMap = resolved
            if !unknown.isEmpty {
                // Entries no detection uses do no harm (a model's data.yaml lists all of its classes); detections
                // of the others match no category and are refused as such.
                findings.append(
                    Finding(
                        code: "category-map", severity: .warning,
                        summary:
                            "the category map names \(plural(unknown.count, "category")) not in dataset '\(catalog.name)' (\(unknown.prefix(5).map(describe).joined(separator: ", "))\(unknown.count > 5 ? ", ..." : "")): detections of those model categories cannot be matched",
                        count: unknown.count, fix: "map to the dataset's category ids or names"))
            }
        }
        // Duplicates go first, so that every later step sees the rows that will be stored.
        let duplicates = DuplicateScan(input)
        let batch = options.dropsDuplicates ? duplicates.withoutDuplicates(input) : input

        // Evidence: the given reading against the others.
        var given = ExportReading(options: options, encoding: batch.boxEncoding)
        var search = ReadingSearch(
            batch: batch, catalog: catalog, images: imageLookup, categories: categoryLookup, explicitMap: explicitMap)
        if options.estimatesCategoryMap {
            given.estimatedMap = CategoryMapEstimate.estimate(
                batch: batch, catalog: catalog, reading: given, images: imageLookup, categories: categoryLookup)
        }
        search.run(given: given)
        // A map estimated on the sample is shown (and applied by --category-map auto) as estimated on every row.
        if let best = search.best, best.reading.estimatedMap != nil {
            search.replaceBestMap(
                with: CategoryMapEstimate.estimate(
                    batch: batch, catalog: catalog, reading: best.reading, images: imageLookup,
                    categories: categoryLookup))
        }
        let verdict = ReadingVerdict(search: search, batch: batch, catalog: catalog, options: options)
        findings += verdict.findings

        // Resolve every row under the given reading.
        let columnsApplied = given.columns == .confidenceSecond ? batch.swappingConfidence() : batch
        let images = ImageResolver(
            catalog: catalog, batch: columnsApplied, lookup: imageLookup, matching: options.imageMatching,
            offset: options.imageIDOffset)
        if !verdict.explainsImages { findings += images.findings }
        let categories = CategoryResolver(
            catalog: catalog, batch: columnsApplied, lookup: categoryLookup, options: options,
            explicitMap: explicitMap, estimatedMap: given.estimatedMap)
        if !verdict.explainsCategories { findings += categories.findings }
        let geometry = GeometryCheck(
            batch: columnsApplied, catalog: catalog, imageOf: images.resolved, categoryOf: categories.resolved,
            reading: given.box, offset: options.boxOffset)
        // Boxes outside their image and images without detections are symptoms of a misread geometry or of
        // misread image references: the verdict names the cause.
        let misread = verdict.explainsGeometry || verdict.explainsImages
        findings += misread ? geometry.findings.filter { !GeometryCheck.symptoms.contains($0.code) } : geometry.findings
        findings += duplicates.findings(dropped: options.dropsDuplicates)
        if !verdict.explainsImages {
            findings += coverageFindings(batch: batch, catalog: catalog, imageOf: images.resolved)
        }
        if !verdict.isFatal,
            let offset = SystematicOffset(
                search: search, reading: given, detections: geometry.resolved, catalog: catalog,
                current: options.boxOffset)
        {
            findings += offset.findings
        }
        var applied: [(model: CategoryKey, categoryID: Int64)] = []
        if let map = given.estimatedMap ?? explicitMap {
            applied = map.map { ($0.key, $0.value) }.sorted { CategoryKey.ordered($0.model, $1.model) }
        }
        return DiagnosisExplanation(
            report: DiagnosisReport(findings: findings), detections: geometry.resolved, given: search.given,
            best: search.best, tried: search.tried, appliedCategoryMap: applied)
    }

    /// Images without detections: a warning when a large share of the images holding ground truth has none (one
    /// process's share of a distributed run, a split of the dataset), else a line of information.
    static func coverageFindings(batch: DetectionBatch, catalog: DatasetCatalog, imageOf: [Int32]) -> [Finding] {
        guard batch.count > 0 else { return [] }
        var covered = [Bool](repeating: false, count: catalog.images.count)
        for image in imageOf where image >= 0 { covered[Int(image)] = true }
        let coveredCount = covered.count { $0 }
        guard coveredCount < catalog.images.count else { return [] }
        let boxes = catalog.boxes
        var holding = 0
        var holdingUncovered = 0
        var missedBoxes = 0
        for image in 0..<catalog.images.count where boxes.start[image + 1] > boxes.start[image] {
            holding += 1
            if !covered[image] {
                holdingUncovered += 1
                missedBoxes += boxes.start[image + 1] - boxes.start[image]
            }
        }
        let uncovered = catalog.images.count - coveredCount
        if holding > 0 && 4 * holdingUncovered > holding {
            let percent = Int((100 * Double(coveredCount) / Double(catalog.images.count)).rounded())
            return [
                Finding(
                    code: "partial-coverage", severity: .warning,
                    summary:
                        "the detections cover \(coveredCount) of the \(catalog.images.count) images (\(percent)%): \(holdingUncovered) images holding \(plural(missedBoxes, "ground-truth box")) have none, and every one of those boxes will count as missed",
                    count: uncovered,
                    fix:
                        "if this is one process's output of a distributed run (or one shard), gather all of them before importing; if the images were evaluated on purpose, evaluate them only with --images-where"
                )
            ]
        }
        return [
            Finding(
                code: "images-without-detections", severity: .info,
                summary: "\(uncovered) of \(catalog.images.count) dataset images have no detections", count: uncovered)
        ]
    }
}

/// A diagnosis with the readings it scored.
public struct DiagnosisExplanation: Sendable {
    public var report: DiagnosisReport
    public var detections: ResolvedDetections
    /// The given reading's evidence and the best one's (nil: no evidence, the dataset has no boxes).
    public var given: ReadingEvidence?
    public var best: ReadingEvidence?
    /// Every reading scored, the given one first.
    public var tried: [ReadingEvidence]
    /// The category map applied (`--category-map FILE` or `auto`): model key -> dataset id, sorted.
    public var appliedCategoryMap: [(model: CategoryKey, categoryID: Int64)]
}

/// A readable name for an image reference.
func describe(_ key: ImageKey) -> String {
    switch key {
    case .id(let id): return "image_id \(id)"
    case .name(let name): return "image '\(name)'"
    }
}

/// A readable name for a category reference.
func describe(_ key: CategoryKey) -> String {
    switch key {
    case .id(let id): return "category_id \(id)"
    case .name(let name): return "class '\(name)'"
    }
}

extension DetectionBatch {
    /// The batch with the confidence read from the second column (YOLO `class conf cx cy w h`): the four box
    /// numbers are then columns 3 to 6.
    func swappingConfidence() -> DetectionBatch {
        var swapped = self
        swapped.scores = a
        swapped.a = b
        swapped.b = c
        swapped.c = d
        swapped.d = scores
        return swapped
    }

    /// The batch without the rows `drop` marks.
    func removing(_ drop: [Bool]) -> DetectionBatch {
        var kept = DetectionBatch(format: format, boxEncoding: boxEncoding, files: files)
        kept.categoryNames = categoryNames
        kept.notes = notes
        kept.reserveCapacity(count)
        for row in 0..<count where !drop[row] {
            kept.append(
                image: imageKeys[row], category: categoryKeys[row], score: scores[row], a[row], b[row], c[row], d[row],
                file: fileIndex[row], line: lines[row], column: row < columns.count ? columns[row] : 0)
        }
        return kept
    }
}
