/// Reads a category map (`--category-map FILE`): which dataset category each of the model's categories is.
///
/// - `.csv`: lines `model,dataset` (an optional header line `model,dataset`); each side an id or a name.
/// - `.json`: an object `{"model": dataset, ...}` (keys that are whole numbers are ids; values ids or names), or a
///   list of `[model, dataset]` pairs.
/// - a YOLO `data.yaml` (or `.yml`) or `classes.txt` of the model: class i is its i-th name, mapped by name.
public enum CategoryMapFile {
    /// Reads the map at `path`. Throws a `ReadError` naming the line and the accepted forms.
    public static func read(path: String) throws(ReadError) -> CategoryMap {
        guard InputFiles.kind(of: path) == .file else { throw .notFound(path: path) }
        let name = baseName(path).lowercased()
        if FormatDetection.hasExtension(name, "yaml") || FormatDetection.hasExtension(name, "yml") {
            return byIndex(try YoloNames.fromYAML(path: path))
        }
        if FormatDetection.hasExtension(name, "txt") { return byIndex(try YoloNames.fromList(path: path)) }
        if FormatDetection.hasExtension(name, "json") { return try json(path: path) }
        return try csv(path: path)
    }

    static func byIndex(_ names: [String]) -> CategoryMap {
        CategoryMap(pairs: names.enumerated().map { (.id(Int64($0.offset)), .name($0.element)) })
    }

    static func key(_ text: Substring) -> CategoryKey {
        let trimmed = TextFields.trimmed(text)
        let unquoted =
            trimmed.count >= 2
                && (trimmed.first == "\"" && trimmed.last == "\"" || trimmed.first == "'" && trimmed.last == "'")
            ? trimmed.dropFirst().dropLast() : trimmed
        if let id = Int64(unquoted) { return .id(id) }
        return .name(String(unquoted))
    }

    static func csv(path: String) throws(ReadError) -> CategoryMap {
        let form = "write one 'model,dataset' pair per line (ids or names), e.g. 0,1 or 0,person"
        var pairs: [(model: CategoryKey, dataset: CategoryKey)] = []
        for line in try InputFiles.readLines(path) where !TextFields.isBlank(line.text) {
            let fields = TextFields.commaSeparated(line.text)
            guard fields.count == 2 else {
                throw .malformed(
                    SourceLocation(file: path, line: line.number),
                    problem: "expected 2 comma-separated fields, found \(fields.count)", fix: form)
            }
            if pairs.isEmpty && TextFields.trimmed(fields[0]) == "model" && TextFields.trimmed(fields[1]) == "dataset" {
                continue
            }
            pairs.append((key(fields[0]), key(fields[1])))
        }
        guard !pairs.isEmpty else {
            throw .malformed(SourceLocation(file: path), problem: "the category map is empty", fix: form)
        }
        return CategoryMap(pairs: pairs)
    }

    static func json(path: String) throws(ReadError) -> CategoryMap {
        let bytes = try InputFiles.readBytes(path, expected: "a category map (.json)")
        let form = "write {\"model\": dataset, ...} or [[model, dataset], ...], ids or names"
        return try JSONReader.read(bytes, path: path) { (reader) throws(ReadError) -> CategoryMap in
            var pairs: [(model: CategoryKey, dataset: CategoryKey)] = []
            func value(_ what: String) throws(ReadError) -> CategoryKey {
                switch try reader.peekKind() {
                case .string: return .name(try reader.readString(what))
                case .number: return .id(try reader.readInt64(what))
                default:
                    throw .malformed(reader.currentLocation(), problem: "\(what) is not an id or a name", fix: form)
                }
            }
            switch try reader.peekKind() {
            case .object:
                try reader.beginObject("the category map")
                while let key = try reader.nextKey() {
                    let model = key.string
                    pairs.append(
                        (Int64(model).map(CategoryKey.id) ?? .name(model), try value("the map's \"\(model)\"")))
                }
            case .array:
                try reader.beginArray("the category map")
                while try reader.nextElement() {
                    try reader.beginArray("a pair")
                    guard try reader.nextElement() else {
                        throw .malformed(reader.currentLocation(), problem: "an empty pair", fix: form)
                    }
                    let model = try value("a pair's model category")
                    guard try reader.nextElement() else {
                        throw .malformed(
                            reader.currentLocation(), problem: "a pair without a dataset category", fix: form)
                    }
                    let dataset = try value("a pair's dataset category")
                    guard try !reader.nextElement() else {
                        throw .malformed(reader.currentLocation(), problem: "a pair of more than 2 values", fix: form)
                    }
                    pairs.append((model, dataset))
                }
            default:
                throw .malformed(
                    reader.currentLocation(), problem: "the category map is not an object or a list", fix: form)
            }
            return CategoryMap(pairs: pairs)
        }
    }
}
