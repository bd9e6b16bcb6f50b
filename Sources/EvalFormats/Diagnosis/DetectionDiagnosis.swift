/// Checks a run's raw detections against a dataset before anything is stored, and resolves them to
/// dataset images and categories in pixels.
///
/// This is why evaldb exists: each check catches an input mistake that would otherwise print a wrong
/// mAP without complaint (normalized coordinates, [x1,y1,x2,y2] read as [x,y,w,h], 0-based class ids,
/// image ids from another numbering, ...). Fatal findings mean the result must not be stored.
public enum DetectionDiagnosis {
    /// Diagnoses `batch` against `catalog`, applying the user's `options`.
    /// Returns the findings and the rows that resolved (all rows when no finding is fatal).
    public static func diagnose(
        _ batch: DetectionBatch, against catalog: DatasetCatalog, options: DiagnosisOptions = DiagnosisOptions()
    ) -> (report: DiagnosisReport, detections: ResolvedDetections) {
        var findings: [Finding] = []
        let images = ImageResolver(catalog: catalog, batch: batch, matching: options.imageMatching)
        findings += images.findings
        let categories = CategoryResolver(catalog: catalog, batch: batch, offset: options.categoryOffset)
        findings += categories.findings
        let geometry = GeometryCheck(
            batch: batch, catalog: catalog, imageOf: images.resolved, categoryOf: categories.resolved,
            options: options)
        findings += geometry.findings
        if batch.count > 0 {
            let covered = Set(images.resolved.lazy.filter { $0 >= 0 }).count
            if covered < catalog.images.count {
                findings.append(
                    Finding(
                        code: "images-without-detections", severity: .info,
                        summary:
                            "\(catalog.images.count - covered) of \(catalog.images.count) dataset images have no detections",
                        count: catalog.images.count - covered))
            }
        }
        return (DiagnosisReport(findings: findings), geometry.resolved)
    }
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

/// Resolves image references to catalog indexes and explains the ones that do not resolve.
struct ImageResolver {
    /// Catalog index per input row, -1 where unresolved.
    var resolved: [Int32]
    var findings: [Finding] = []

    init(catalog: DatasetCatalog, batch: DetectionBatch, matching: ImageMatching) {
        var byID: [Int64: Int32] = [:]
        var byStem: [String: Int32] = [:]
        var byStemNumber: [Int64: Int32] = [:]
        for (index, image) in catalog.images.enumerated() {
            byID[image.id] = Int32(index)
            let stem = fileStem(image.fileName)
            byStem[stem] = Int32(index)
            byStem[image.fileName] = Int32(index)
            if let number = Int64(stem) { byStemNumber[number] = Int32(index) }
        }
        func lookUp(_ key: ImageKey, _ matching: ImageMatching) -> Int32? {
            switch (key, matching) {
            case (.id(let id), .automatic), (.id(let id), .id): return byID[id]
            case (.id(let id), .fileName): return byStemNumber[id]
            case (.name(let name), .id): return Int64(name).flatMap { byID[$0] }
            case (.name(let name), _): return byStem[name] ?? byStem[fileStem(name)]
            }
        }
        var resolved = [Int32](repeating: -1, count: batch.count)
        var unmatched = FindingCounter()
        var unmatchedKeys = Set<ImageKey>()
        var firstKey: ImageKey?
        var lastKey: ImageKey?
        var lastIndex: Int32 = -1
        for row in 0..<batch.count {
            let key = batch.imageKeys[row]
            // Rows of one image usually come together: reuse the previous look-up.
            if key != lastKey {
                lastKey = key
                lastIndex = lookUp(key, matching) ?? -1
            }
            resolved[row] = lastIndex
            if lastIndex < 0 {
                if firstKey == nil { firstKey = key }
                if unmatchedKeys.insert(key).inserted || unmatched.examples.count < 3 {
                    unmatched.record("\(batch.location(ofRow: row)): \(describe(key))")
                } else {
                    unmatched.count += 1
                }
            }
        }
        self.resolved = resolved
        guard unmatched.count > 0 else { return }

        // Would the other way of matching resolve them?
        var fix = "check that the detections were made on this dataset's images (--dataset)"
        if matching == .automatic {
            let alternative: ImageMatching =
                (firstKey.map { if case .id = $0 { true } else { false } } ?? true)
                ? .fileName : .id
            let rescued = unmatchedKeys.filter { lookUp($0, alternative) != nil }.count
            if rescued == unmatchedKeys.count {
                fix =
                    "every one of them matches a dataset image by \(alternative == .id ? "image id" : "file name"): pass --match-images-by \(alternative.rawValue)"
            } else if rescued > 0 {
                fix =
                    "\(rescued) of the \(unmatchedKeys.count) unmatched references match by \(alternative == .id ? "image id" : "file name") (--match-images-by \(alternative.rawValue)); the others match nothing"
            }
        }
        let sample = unmatchedKeys.prefix(5).map(describe).sorted().joined(separator: ", ")
        findings.append(
            Finding(
                code: "unknown-images", severity: .fatal,
                summary:
                    "\(plural(unmatched.count, "detection")) \(unmatched.count == 1 ? "refers" : "refer") to \(plural(unmatchedKeys.count, "image")) not in dataset '\(catalog.name)' (\(sample)\(unmatchedKeys.count > 5 ? ", ..." : ""))",
                count: unmatched.count, examples: unmatched.examples, fix: fix))
    }
}

/// Resolves category references to dataset category ids and explains the ones that do not resolve.
struct CategoryResolver {
    /// Dataset category id per input row; nil where unresolved.
    var resolved: [Int64?]
    var findings: [Finding] = []

    init(catalog: DatasetCatalog, batch: DetectionBatch, offset: Int64) {
        let known = Set(catalog.categories.map(\.id))
        var byName: [String: Int64] = [:]
        var byLowercasedName: [String: Int64] = [:]
        for category in catalog.categories {
            byName[category.name] = category.id
            byLowercasedName[category.name.lowercased()] = category.id
        }
        var resolved = [Int64?](repeating: nil, count: batch.count)
        var unknown = FindingCounter()
        var unknownCounts: [CategoryKey: Int] = [:]
        var caseMismatch = FindingCounter()
        var numericIDs = Set<Int64>()
        for row in 0..<batch.count {
            let key = batch.categoryKeys[row]
            var id: Int64?
            switch key {
            case .id(let raw):
                numericIDs.insert(raw)
                if known.contains(raw &+ offset) { id = raw &+ offset }
            case .name(let name):
                if let exact = byName[name] {
                    id = exact
                } else if let folded = byLowercasedName[name.lowercased()] {
                    id = folded
                    caseMismatch.record("\(batch.location(ofRow: row)): \(describe(key))")
                }
            }
            resolved[row] = id
            if id == nil {
                unknown.record("\(batch.location(ofRow: row)): \(describe(key))")
                unknownCounts[key, default: 0] += 1
            }
        }
        self.resolved = resolved
        if caseMismatch.count > 0 {
            findings.append(
                Finding(
                    code: "category-name-case", severity: .warning,
                    summary:
                        "\(plural(caseMismatch.count, "detection")) \(caseMismatch.count == 1 ? "names" : "name") their class in another letter case than the dataset; matched ignoring case",
                    count: caseMismatch.count, examples: caseMismatch.examples,
                    fix: "write the class names exactly as the dataset does"))
        }
        guard unknown.count > 0 else { return }
        let listed = unknownCounts.sorted { $0.value > $1.value }.prefix(5)
            .map { "\(describe($0.key)) x\($0.value)" }.joined(separator: ", ")
        let knownText =
            catalog.categories.count <= 12
            ? catalog.categories.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
            : "\(catalog.categories.count) categories, ids \(catalog.categories.map(\.id).min() ?? 0)...\(catalog.categories.map(\.id).max() ?? 0)"
        var fix = "the dataset has: \(knownText); map the model's classes to these ids"
        var summary =
            "\(plural(unknown.count, "detection")) \(unknown.count == 1 ? "has" : "have") categories not in dataset '\(catalog.name)' (\(listed))"
        // The off-by-one pattern: every id fits once shifted by one.
        if !numericIDs.isEmpty {
            for shift: Int64 in [1, -1] where numericIDs.allSatisfy({ known.contains($0 &+ offset &+ shift) }) {
                let base = shift == 1 ? "0-based" : "1-based"
                let other = shift == 1 ? "1-based" : "0-based"
                summary += "; the ids look \(base) against the dataset's \(other) ids"
                fix = "pass --category-offset \(offset + shift) (every category id then matches the dataset)"
                break
            }
        }
        findings.append(
            Finding(
                code: "unknown-categories", severity: .fatal, summary: summary, count: unknown.count,
                examples: unknown.examples, fix: fix))
    }
}
