/// The base name of a path: what follows its last `/` or `\`.
func baseName(_ name: String) -> String {
    guard let slash = name.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return name }
    return String(name[name.index(after: slash)...])
}

/// Finds dataset images by any of the ways an export may refer to them.
struct ImageLookup: Sendable {
    private var byID: [Int64: Int32] = [:]
    private var byFileName: [String: Int32] = [:]
    private var byStem: [String: Int32] = [:]
    private var byStemNumber: [Int64: Int32] = [:]
    /// Image indexes sorted by id, and by file name.
    private var byIDOrder: [Int32] = []
    private var byNameOrder: [Int32] = []

    init(_ images: [ImageRecord]) {
        for (index, image) in images.enumerated() {
            let position = Int32(index)
            byID[image.id] = position
            byFileName[image.fileName] = position
            byFileName[baseName(image.fileName)] = position
            let stem = fileStem(image.fileName)
            byStem[stem] = position
            if let number = Int64(stem) { byStemNumber[number] = position }
        }
        byIDOrder = images.indices.sorted { (images[$0].id, $0) < (images[$1].id, $1) }.map { Int32($0) }
        byNameOrder = images.indices.sorted { (images[$0].fileName, $0) < (images[$1].fileName, $1) }
            .map { Int32($0) }
    }

    /// The image `key` refers to under `matching`, numbers shifted by `offset` first; nil when none.
    func resolve(_ key: ImageKey, _ matching: ImageMatching, offset: Int64 = 0) -> Int32? {
        let number: Int64?
        switch key {
        case .id(let id): number = id.addingReportingOverflow(offset).overflow ? nil : id &+ offset
        case .name(let name): number = Int64(name).map { $0 &+ offset }
        }
        switch matching {
        case .automatic:
            switch key {
            case .id: return number.flatMap { byID[$0] }
            case .name(let name):
                return byFileName[name] ?? byFileName[baseName(name)] ?? byStem[fileStem(name)]
                    ?? number.flatMap { byID[$0] }
            }
        case .id:
            return number.flatMap { byID[$0] }
        case .fileName, .stem:
            switch key {
            case .id: return number.flatMap { byStemNumber[$0] }
            case .name(let name):
                if matching == .fileName, let exact = byFileName[baseName(name)] { return exact }
                return byStem[fileStem(name)] ?? number.flatMap { byStemNumber[$0] }
            }
        case .index, .fileIndex:
            guard let number, number >= 0, number < Int64(byIDOrder.count) else { return nil }
            return matching == .index ? byIDOrder[Int(number)] : byNameOrder[Int(number)]
        }
    }
}

/// Finds dataset categories by any of the ways an export may refer to them.
struct CategoryLookup: Sendable {
    let known: Set<Int64>
    /// The dataset's category ids, ascending.
    let sortedIDs: [Int64]
    private var byName: [String: Int64] = [:]
    private var byLowercasedName: [String: Int64] = [:]

    init(_ categories: [CategoryRecord]) {
        known = Set(categories.map(\.id))
        sortedIDs = known.sorted()
        for category in categories {
            byName[category.name] = category.id
            byLowercasedName[category.name.lowercased()] = category.id
        }
    }

    /// A category by its name: exactly, else ignoring letter case (`caseFolded`).
    func resolve(name: String) -> (id: Int64, caseFolded: Bool)? {
        if let exact = byName[name] { return (exact, false) }
        if let folded = byLowercasedName[name.lowercased()] { return (folded, true) }
        return nil
    }

    /// The category `key` refers to, numbers shifted by `offset` first; `caseFolded` when a name matched only
    /// ignoring letter case. `runNames` are the class names the run carries, for `.name` matching.
    func resolve(
        _ key: CategoryKey, _ matching: CategoryMatching, offset: Int64 = 0, runNames: [Int64: String] = [:]
    ) -> (id: Int64, caseFolded: Bool)? {
        switch key {
        case .name(let name):
            return resolve(name: name)
        case .id(let raw):
            let (number, overflow) = raw.addingReportingOverflow(offset)
            if overflow { return nil }
            switch matching {
            case .id:
                return known.contains(number) ? (number, false) : nil
            case .index:
                return number >= 0 && number < Int64(sortedIDs.count) ? (sortedIDs[Int(number)], false) : nil
            case .name:
                return runNames[number].flatMap { resolve(name: $0) }
            }
        }
    }

    /// An explicit map resolved against the dataset: model key -> dataset id. Unknown dataset keys are returned
    /// in `unknown`.
    func resolve(_ map: CategoryMap) -> (resolved: [CategoryKey: Int64], unknown: [CategoryKey]) {
        var resolved: [CategoryKey: Int64] = [:]
        var unknown: [CategoryKey] = []
        for (model, dataset) in map.pairs {
            let id: Int64?
            switch dataset {
            case .id(let value): id = known.contains(value) ? value : nil
            case .name(let name): id = resolve(name: name)?.id
            }
            if let id { resolved[model] = id } else { unknown.append(dataset) }
        }
        return (resolved, unknown)
    }
}
