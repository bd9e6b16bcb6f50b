/// Reads a YOLO ground-truth folder: `labels/<image>.txt` with normalized `class cx cy w h`, `images/`, and
/// the class names.
///
/// Both the flat layout (`labels/a.txt`, `images/a.jpg`) and the Ultralytics split layout
/// (`labels/train/a.txt`, `images/train/a.jpg`) are read; in the split layout every split is imported and
/// image stems must be unique across splits (detections refer to images by stem).
public enum YoloDatasetReader {
    /// Reads the dataset in the folder `path`.
    ///
    /// Images are the label files and the images in `images/` without a label file (background images, as
    /// Ultralytics counts them), in sorted label-file-name order; `ImageRecord.id` is the 1-based position and
    /// `fileName` the path below `images/` (or `<stem>.jpg` when only `sizes` has the image). Sizes come from
    /// `sizes` (keyed by stem) when it lists the image, else from the image header.
    ///
    /// Class names come from `names` when given, else from `data.yaml` (`names: [a, b]`, `names: {0: a}`, or a
    /// block of `- a` / `0: a` lines), else from `classes.txt` (one name per line); category ids are 0..n-1.
    /// Boxes are converted to pixels: `x = (cx - w/2) * W`, `y = (cy - h/2) * H`, `w * W`, `h * H`; with
    /// `labelsInPixels` (labels written in pixels, against the format) `x = cx - w/2`, `y = cy - h/2`, `w`, `h`.
    ///
    /// Throws `.malformed` at file:line for a field count other than 5, a field that is not a finite number, a
    /// class index outside the names, an unreadable names source, no names source at all, or an image with
    /// neither a file nor a size; `.notFound` / `.notDirectory` for the path.
    public static func read(
        path: String, sizes: [String: (width: Int, height: Int)]? = nil, names: [String]? = nil,
        labelsInPixels: Bool = false
    ) throws(ReadError) -> GroundTruthDataset {
        let expected = "a YOLO dataset folder holding labels/ and images/"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        guard InputFiles.kind(of: path) == .directory else { throw .notFound(path: path) }
        let (classNames, namesSource) = try classNames(in: path, given: names)
        let categories = classNames.enumerated().map { CategoryRecord(id: Int64($0.offset), name: $0.element) }

        let labelFolder = InputFiles.join(path, "labels")
        guard InputFiles.kind(of: labelFolder) == .directory else {
            throw .malformed(SourceLocation(file: path), problem: "no labels/ folder", fix: "give \(expected)")
        }
        let labels = try labelFiles(in: labelFolder)
        let imageFolder = InputFiles.join(path, "images")
        let catalog = ImageCatalog(
            folder: imageFolder, files: try ImageCatalog.scan(imageFolder, subfolders: true), sizes: sizes)
        // Every key (relative path without extension) that has a label file, an image, or both.
        var keys = Set(labels.keys)
        keys.formUnion(catalog.files.keys)
        let ordered = keys.map { ($0, Array(($0 + ".txt").utf8)) }
            .sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        var seenStems: [String: String] = [:]

        var images: [ImageRecord] = []
        var boxes: [GroundTruthBox] = []
        for (index, key) in ordered.enumerated() {
            let labelPath = labels[key]
            let image = try catalog.image(
                id: Int64(index + 1), key: key,
                annotationFile: labelPath ?? InputFiles.join(imageFolder, catalog.files[key] ?? key))
            if let other = seenStems.updateValue(key, forKey: image.stem) {
                throw .malformed(
                    SourceLocation(file: labelPath ?? imageFolder),
                    problem: "images '\(other)' and '\(key)' have the same name '\(image.stem)'",
                    fix: "give one split at a time (a folder with its own images/ and labels/), or rename one")
            }
            images.append(image)
            guard let labelPath else { continue }
            let width = Double(image.width)
            let height = Double(image.height)
            for line in try InputFiles.readLines(labelPath) where !TextFields.isBlank(line.text) {
                let location = SourceLocation(file: labelPath, line: line.number)
                let fields = TextFields.whitespaceSeparated(line.text)
                guard fields.count == 5 else {
                    throw .malformed(
                        location, problem: "expected 5 fields (class cx cy w h), found \(fields.count)",
                        fix: "write one box per line as normalized 'class cx cy w h' (segment polygons are not read)")
                }
                let category = try TextFields.integer(fields[0], "class (field 1)", at: location)
                guard category >= 0 && category < Int64(classNames.count) else {
                    throw .malformed(
                        location,
                        problem: "class \(category) is outside the \(classNames.count) names of \(namesSource) "
                            + "(0...\(classNames.count - 1))",
                        fix: "check that the class names match the labels")
                }
                let cx = try TextFields.number(fields[1], "cx (field 2)", at: location, finite: true)
                let cy = try TextFields.number(fields[2], "cy (field 3)", at: location, finite: true)
                let w = try TextFields.number(fields[3], "w (field 4)", at: location, finite: true)
                let h = try TextFields.number(fields[4], "h (field 5)", at: location, finite: true)
                if labelsInPixels {
                    boxes.append(
                        GroundTruthBox(
                            imageIndex: index, categoryID: category, x: cx - w / 2, y: cy - h / 2, width: w, height: h,
                            location: location))
                } else {
                    boxes.append(
                        GroundTruthBox(
                            imageIndex: index, categoryID: category, x: (cx - w / 2) * width,
                            y: (cy - h / 2) * height, width: w * width, height: h * height, location: location))
                }
            }
        }
        return GroundTruthDataset(format: .yolo, categories: categories, images: images, boxes: boxes)
    }

    /// Label files keyed by relative path without extension: `labels/a.txt` is `a`, `labels/train/a.txt` is
    /// `train/a`.
    private static func labelFiles(in folder: String) throws(ReadError) -> [String: String] {
        var files: [String: String] = [:]
        for name in try InputFiles.list(folder) {
            let path = InputFiles.join(folder, name)
            if FormatDetection.hasExtension(name, "txt") {
                files[fileStem(name)] = path
            } else if InputFiles.kind(of: path) == .directory {
                for inner in try InputFiles.list(path) where FormatDetection.hasExtension(inner, "txt") {
                    files[name + "/" + fileStem(inner)] = InputFiles.join(path, inner)
                }
            }
        }
        guard !files.isEmpty else {
            throw .malformed(
                SourceLocation(file: folder), problem: "no .txt label files in labels/ or its split folders",
                fix: "give a YOLO dataset folder whose labels/ holds <image>.txt files")
        }
        return files
    }

    /// The class names and where they came from (for messages).
    private static func classNames(in folder: String, given: [String]?) throws(ReadError) -> ([String], String) {
        if let given {
            guard !given.isEmpty else {
                throw .malformed(
                    SourceLocation(file: folder), problem: "the list of class names is empty",
                    fix: "pass --names with one name per class, in class-index order")
            }
            return (given, "--names")
        }
        for name in ["data.yaml", "data.yml"] {
            let path = InputFiles.join(folder, name)
            if InputFiles.kind(of: path) == .file { return (try YoloNames.fromYAML(path: path), name) }
        }
        let classes = InputFiles.join(folder, "classes.txt")
        if InputFiles.kind(of: classes) == .file { return (try YoloNames.fromList(path: classes), "classes.txt") }
        throw .malformed(
            SourceLocation(file: folder), problem: "no class names: neither data.yaml nor classes.txt in the folder",
            fix: "add data.yaml (names: [a, b]) or classes.txt (one name per line), or pass --names")
    }
}

/// Class-name sources of a YOLO dataset: `classes.txt` and the `names:` key of `data.yaml`.
///
/// The YAML reader is purpose-built for the forms Ultralytics and common exporters write (flow list, flow
/// mapping, block list, block mapping with integer keys, quoted or plain names, `#` comments); it is not a YAML
/// parser, and anything else is refused with the line and the accepted forms.
enum YoloNames {
    /// One name per line; trailing blank lines are ignored, a blank line between names is an error.
    static func fromList(path: String) throws(ReadError) -> [String] {
        var lines = try InputFiles.readLines(path)
        while let last = lines.last, TextFields.isBlank(last.text) { lines.removeLast() }
        guard !lines.isEmpty else { throw .empty(path: path) }
        var names: [String] = []
        for line in lines {
            let name = TextFields.trimmed(line.text)
            guard !name.isEmpty else {
                throw .malformed(
                    SourceLocation(file: path, line: line.number), problem: "blank line between class names",
                    fix: "write one class name per line, in class-index order, without gaps")
            }
            names.append(String(name))
        }
        return names
    }

    /// The names of the top-level `names:` key of a `data.yaml`, in class-index order.
    static func fromYAML(path: String) throws(ReadError) -> [String] {
        let lines = try InputFiles.readLines(path)
        let forms = "write names: [a, b], names: {0: a, 1: b}, or one '- a' or '0: a' line per class below names:"
        guard let start = lines.firstIndex(where: { $0.text.hasPrefix("names:") }) else {
            throw .malformed(
                SourceLocation(file: path), problem: "no top-level 'names:' key", fix: forms + ", or pass --names")
        }
        let location = SourceLocation(file: path, line: lines[start].number)
        let value = TextFields.trimmed(withoutComment(lines[start].text.dropFirst("names:".count)))
        var entries: [(key: Int?, name: Substring, line: Int)] = []
        if let open = value.first, open == "[" || open == "{" {
            // A flow collection, possibly continued on the following lines.
            var text = String(value)
            var next = start + 1
            while !isClosed(text), next < lines.count {
                text += " " + withoutComment(lines[next].text)
                next += 1
            }
            guard isClosed(text), let close = text.last, close == (open == "[" ? "]" : "}") else {
                throw .malformed(location, problem: "the names list is not closed", fix: forms)
            }
            for item in splitFlow(text.dropFirst().dropLast()) {
                entries.append(try entry(item, isMapping: open == "{", at: location))
            }
        } else if value.isEmpty {
            for line in lines[(start + 1)...] {
                let text = TextFields.trimmed(withoutComment(line.text))
                if text.isEmpty { continue }
                let isIndented = line.text.first == " " || line.text.first == "\t"
                if !isIndented && !text.hasPrefix("-") { break }  // The next top-level key.
                let here = SourceLocation(file: path, line: line.number)
                if text == "-" || text.hasPrefix("- ") {
                    entries.append((nil, try scalar(text.dropFirst(), at: here), line.number))
                } else {
                    let item = try entry(text, isMapping: true, at: here)
                    entries.append((item.key, item.name, line.number))
                }
            }
        } else {
            throw .malformed(location, problem: "names: is '\(value)', not a list", fix: forms)
        }
        guard !entries.isEmpty else { throw .malformed(location, problem: "names: is empty", fix: forms) }
        let keyed = entries.filter { $0.key != nil }
        if keyed.isEmpty { return entries.map { String($0.name) } }
        guard keyed.count == entries.count else {
            throw .malformed(location, problem: "names: mixes '- a' items and '0: a' keys", fix: forms)
        }
        var names = [String?](repeating: nil, count: entries.count)
        for item in entries {
            let here = SourceLocation(file: path, line: item.line)
            guard let key = item.key, key >= 0, key < names.count, names[key] == nil else {
                throw .malformed(
                    here, problem: "class key \(item.key ?? -1) is repeated or outside 0...\(names.count - 1)",
                    fix: "number the classes 0, 1, 2, ... once each")
            }
            names[key] = String(item.name)
        }
        return names.map { $0! }
    }

    /// `key: name` (when `isMapping`) or a plain name.
    private static func entry(_ text: Substring, isMapping: Bool, at location: SourceLocation) throws(ReadError)
        -> (key: Int?, name: Substring, line: Int)
    {
        guard isMapping else { return (nil, try scalar(text, at: location), location.line) }
        guard let colon = text.firstIndex(of: ":"), let key = Int(TextFields.trimmed(text[..<colon])) else {
            throw .malformed(
                location, problem: "'\(text)' is not a 'number: name' entry",
                fix: "write each class as 'index: name', for example 0: person")
        }
        return (key, try scalar(text[text.index(after: colon)...], at: location), location.line)
    }

    /// A plain, 'single-quoted' or "double-quoted" name.
    private static func scalar(_ raw: Substring, at location: SourceLocation) throws(ReadError) -> Substring {
        let text = TextFields.trimmed(raw)
        var name = text
        if text.count >= 2, let quote = text.first, quote == "'" || quote == "\"", text.last == quote {
            let inner = text.dropFirst().dropLast()
            name = Substring(
                quote == "'"
                    ? inner.replacing("''", with: "'")
                    : inner.replacing("\\\"", with: "\"").replacing("\\\\", with: "\\"))
        }
        guard !name.isEmpty else {
            throw .malformed(location, problem: "a class name is empty", fix: "give every class a name")
        }
        return name
    }

    /// The text before a `#` comment (a `#` at the start or after a space, outside quotes).
    private static func withoutComment(_ text: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "#" && (previous == " " || previous == "\t") {
                return text[..<index]
            }
            previous = character
        }
        return text
    }

    /// Whether the brackets of a flow collection are balanced (outside quotes).
    private static func isClosed(_ text: String) -> Bool {
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "[" || character == "{" {
                depth += 1
            } else if character == "]" || character == "}" {
                depth -= 1
            }
        }
        return depth == 0
    }

    /// The comma-separated items of a flow collection's inside (commas inside quotes kept; a trailing comma
    /// allowed).
    private static func splitFlow(_ text: Substring) -> [Substring] {
        var items: [Substring] = []
        var quote: Character?
        var start = text.startIndex
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "," {
                items.append(text[start..<index])
                start = text.index(after: index)
            }
        }
        items.append(text[start...])
        if let last = items.last, TextFields.trimmed(last).isEmpty { items.removeLast() }
        return items
    }
}
