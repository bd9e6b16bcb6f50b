/// Resolves image references to catalog indexes and explains the ones that do not resolve.
struct ImageResolver {
    /// Catalog index per input row, -1 where unresolved.
    var resolved: [Int32]
    var findings: [Finding] = []

    init(
        catalog: DatasetCatalog, batch: DetectionBatch, lookup: ImageLookup, matching: ImageMatching, offset: Int64
    ) {
        var resolved = [Int32](repeating: -1, count: batch.count)
        var unmatched = FindingCounter()
        var unmatchedKeys = Set<ImageKey>()
        var matchedKeys = Set<ImageKey>()
        var lastCode: ReferenceCode?
        var lastIndex: Int32 = -1
        let keys = batch.imageKeys
        for row in 0..<batch.count {
            // Rows of one image usually come together: reuse the previous look-up.
            let code = keys.code(at: row)
            if code != lastCode {
                lastCode = code
                let key = keys[row]
                lastIndex = lookup.resolve(key, matching, offset: offset) ?? -1
                if lastIndex >= 0 { matchedKeys.insert(key) }
            }
            resolved[row] = lastIndex
            if lastIndex < 0 {
                let key = keys[row]
                if unmatchedKeys.insert(key).inserted || unmatched.examples.count < 3 {
                    unmatched.record("\(batch.location(ofRow: row)): \(describe(key))")
                } else {
                    unmatched.count += 1
                }
            }
        }
        self.resolved = resolved
        guard unmatched.count > 0 else { return }

        // Would another way of matching resolve them all, and every reference that resolves now too? Only then is it
        // printed as the fix: a fix must work pasted as printed. (Which reading is right is the evidence's call.)
        var fix = "check that the detections were made on this dataset's images (--dataset)"
        let alternatives: [(ImageMatching, String)] = [
            (.id, "image id"), (.fileName, "file name"), (.stem, "file stem"),
        ]
        for (alternative, phrase) in alternatives where alternative != matching {
            let rescued = unmatchedKeys.count { lookup.resolve($0, alternative) != nil }
            guard rescued == unmatchedKeys.count else { continue }
            let kept = matchedKeys.allSatisfy { lookup.resolve($0, alternative) != nil }
            if kept {
                fix =
                    "every one of them matches a dataset image by \(phrase): pass --match-images-by \(alternative.rawValue)"
            } else {
                fix =
                    "the export refers to images in two ways: these match a dataset image only by \(phrase), the others only as they are; no --match-images-by reads both, so write every reference one way in the exporter"
            }
            break
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
    /// Dataset category id per input row; `unresolved` where unresolved (an Int64 a row, not an optional's 16
    /// bytes: the column becomes the stored detections' when every row resolves).
    var resolved: [Int64]
    /// The value of `resolved` for a row that matches no category (no dataset uses it as an id).
    static let unresolved = Int64.min
    var findings: [Finding] = []

    /// What the table of small numeric ids knows about one id.
    private enum DenseState: UInt8 { case unknown, found, foundCaseFolded, missing }

    /// The dataset id an explicit map gives `key` (directly, or through the class name the run carries for it).
    static func mapped(_ key: CategoryKey, _ map: [CategoryKey: Int64], _ batch: DetectionBatch) -> Int64? {
        if let id = map[key] { return id }
        if case .id(let number) = key, let name = batch.categoryNames[number] { return map[.name(name)] }
        return nil
    }

    init(
        catalog: DatasetCatalog, batch: DetectionBatch, lookup: CategoryLookup, options: DiagnosisOptions,
        explicitMap: [CategoryKey: Int64]?, estimatedMap: [CategoryKey: Int64]?
    ) {
        var resolved = [Int64](repeating: Self.unresolved, count: batch.count)
        var unknown = FindingCounter()
        var unknownCounts: [CategoryKey: Int] = [:]
        var caseMismatch = FindingCounter()
        var numericIDs = Set<Int64>()
        // Keyed by the column's code of each reference: cheaper to hash than the reference.
        var cache: [ReferenceCode: (id: Int64, caseFolded: Bool)?] = [:]
        // Small numeric ids (most exports' class ids) are looked up in a table instead: a dictionary lookup per row
        // is most of this loop's time at 5M rows. The table holds what `cache` would.
        let denseLimit: Int64 = 4096
        var denseID = [Int64](repeating: Self.unresolved, count: Int(denseLimit))
        var denseState = [DenseState](repeating: .unknown, count: Int(denseLimit))
        let keys = batch.categoryKeys
        for row in 0..<batch.count {
            let number = keys.number(at: row)
            let isDense = number >= 0 && number < denseLimit && !keys.holdsName(at: row)
            if isDense && denseState[Int(number)] == .found {
                // The common case: a known id that resolved exactly.
                resolved[row] = denseID[Int(number)]
                continue
            }
            let key = keys[row]
            let code = keys.code(at: row)
            let found: (id: Int64, caseFolded: Bool)?
            if isDense && denseState[Int(number)] != .unknown {
                found = denseState[Int(number)] == .missing ? nil : (denseID[Int(number)], true)
            } else if let cached = cache[code] {
                found = cached
            } else {
                if case .id(let raw) = key { numericIDs.insert(raw) }
                if let estimatedMap {
                    found = estimatedMap[key].map { ($0, false) }
                } else if let explicitMap {
                    found = Self.mapped(key, explicitMap, batch).map { ($0, false) }
                } else {
                    found = lookup.resolve(
                        key, options.categoryMatching, offset: options.categoryOffset, runNames: batch.categoryNames)
                }
                cache[code] = found
                if isDense {
                    denseID[Int(number)] = found?.id ?? Self.unresolved
                    denseState[Int(number)] = found.map { $0.caseFolded ? .foundCaseFolded : .found } ?? .missing
                }
            }
            resolved[row] = found?.id ?? Self.unresolved
            if let found, found.caseFolded { caseMismatch.record("\(batch.location(ofRow: row)): \(describe(key))") }
            if found == nil {
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
            : "\(catalog.categories.count) categories, ids \(lookup.sortedIDs.first ?? 0)...\(lookup.sortedIDs.last ?? 0)"
        var fix = "the dataset has: \(knownText); map the model's classes to these ids (--category-map FILE)"
        var summary =
            "\(plural(unknown.count, "detection")) \(unknown.count == 1 ? "has" : "have") categories not in dataset '\(catalog.name)' (\(listed))"
        // Numbering patterns where every id fits: off by one, or indexes into the sorted ids.
        if !numericIDs.isEmpty && explicitMap == nil && estimatedMap == nil {
            let offset = options.categoryOffset
            let patterns: [(CategoryMatching, Int64, String)] = [
                (.id, 1, "the ids look 0-based against the dataset's 1-based ids"),
                (.id, -1, "the ids look 1-based against the dataset's 0-based ids"),
                (.index, 0, "the ids look like 0-based indexes into the dataset's categories sorted by id"),
                (.index, -1, "the ids look like 1-based indexes into the dataset's categories sorted by id"),
            ]
            for (matching, shift, phrase) in patterns {
                let candidate = matching == options.categoryMatching ? offset + shift : shift
                guard numericIDs.allSatisfy({ lookup.resolve(.id($0), matching, offset: candidate) != nil }) else {
                    continue
                }
                summary += "; \(phrase)"
                var flags = matching == .id ? [] : ["--match-categories-by \(matching.rawValue)"]
                if candidate != 0 { flags.append("--category-offset=\(candidate)") }
                fix = "pass \(flags.joined(separator: " ")) (every category id then matches the dataset)"
                break
            }
        }
        findings.append(
            Finding(
                code: "unknown-categories", severity: .fatal, summary: summary, count: unknown.count,
                examples: unknown.examples, fix: fix))
    }
}
