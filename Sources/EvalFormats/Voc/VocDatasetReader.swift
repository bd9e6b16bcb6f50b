/// Reads a PASCAL VOC ground-truth folder of XML annotation files (`Annotations/*.xml`, or `*.xml` in the folder
/// itself).
///
/// Boxes keep the file's corner numbers: `x = xmin`, `y = ymin`, `width = xmax - xmin`,
/// `height = ymax - ymin`, so `xmin = x` and `xmax = x + width` are recoverable; the VOC protocol adds its +1 at
/// evaluation time.
public enum VocDatasetReader {
    /// Reads the dataset in the folder `path`.
    ///
    /// Images are the XML files in sorted name order; `ImageRecord.id` is the 1-based position, `fileName` the
    /// `<filename>` (or `<stem>.jpg` when absent), width and height from `<size>`. Categories are the sorted
    /// unique object names, ids 1...n. `isDifficult` from `<difficult>` (0 when absent), `truncation` from
    /// `<truncated>`. Only the direct `<object>` children of `<annotation>` are read (not their `<part>`s).
    ///
    /// Throws `.notFound` / `.notDirectory` for the path, `.notText` for a binary file, and `.malformed` at
    /// file:line for XML that is not well formed, a missing `<size>`, `<name>` or `<bndbox>` value, a value that
    /// is not a number, or `xmax < xmin` / `ymax < ymin`.
    public static func read(path: String) throws(ReadError) -> GroundTruthDataset {
        let expected = "a PASCAL VOC folder of .xml annotation files (or one holding Annotations/)"
        guard InputFiles.kind(of: path) != .file else { throw .notDirectory(path: path, expected: expected) }
        guard InputFiles.kind(of: path) == .directory else { throw .notFound(path: path) }
        let annotations = InputFiles.join(path, "Annotations")
        let folder = try InputFiles.list(path).contains("Annotations") ? annotations : path
        let names = try InputFiles.list(folder).filter { FormatDetection.hasExtension($0, "xml") }
        guard !names.isEmpty else {
            throw .malformed(
                SourceLocation(file: folder), problem: "no .xml files in the folder", fix: "give \(expected)")
        }

        var images: [ImageRecord] = []
        var objects: [(object: VocObject, imageIndex: Int)] = []
        for (index, name) in names.enumerated() {
            let file = InputFiles.join(folder, name)
            let annotation = try VocAnnotation(path: file)
            images.append(
                ImageRecord(
                    id: Int64(index + 1), fileName: annotation.fileName ?? fileStem(name) + ".jpg",
                    width: annotation.width, height: annotation.height))
            objects += annotation.objects.map { ($0, index) }
        }
        let categoryNames = Set(objects.map(\.object.name)).sorted {
            Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
        }
        let categories = categoryNames.enumerated().map { CategoryRecord(id: Int64($0.offset + 1), name: $0.element) }
        let ids = Dictionary(uniqueKeysWithValues: categories.map { ($0.name, $0.id) })
        let boxes = objects.map { object, imageIndex in
            GroundTruthBox(
                imageIndex: imageIndex, categoryID: ids[object.name]!, x: object.xmin, y: object.ymin,
                width: object.xmax - object.xmin, height: object.ymax - object.ymin,
                isDifficult: object.isDifficult, truncation: object.truncation, location: object.location)
        }
        return GroundTruthDataset(format: .voc, categories: categories, images: images, boxes: boxes)
    }
}

/// One `<object>` of a VOC annotation.
struct VocObject {
    var name: String
    var xmin, ymin, xmax, ymax: Double
    var isDifficult: Bool
    var truncation: Int?
    var location: SourceLocation
}

/// The fields evaldb reads from one VOC annotation file.
struct VocAnnotation {
    var fileName: String?
    var width: Int
    var height: Int
    var objects: [VocObject] = []

    init(path: String) throws(ReadError) {
        let root = try XMLScanner.parse(path: path)
        func at(_ element: XMLNode) -> SourceLocation { SourceLocation(file: path, line: element.line) }
        guard root.name == "annotation" else {
            throw .malformed(
                at(root), problem: "the root element is <\(root.name)>, not <annotation>",
                fix: "give PASCAL VOC annotation files")
        }
        func required(_ parent: XMLNode, _ name: String, fix: String) throws(ReadError) -> XMLNode {
            guard let child = parent.child(name) else {
                throw .malformed(at(parent), problem: "<\(parent.name)> has no <\(name)>", fix: fix)
            }
            return child
        }
        func whole(_ element: XMLNode) throws(ReadError) -> Int64 {
            try TextFields.integer(TextFields.trimmed(Substring(element.text)), "<\(element.name)>", at: at(element))
        }
        let sizeFix = "add <size><width>W</width><height>H</height></size> with the image size in pixels"
        let trimmedName = root.child("filename").map { String(TextFields.trimmed(Substring($0.text))) }
        fileName = trimmedName?.isEmpty == false ? trimmedName : nil
        let size = try required(root, "size", fix: sizeFix)
        width = Int(try whole(try required(size, "width", fix: sizeFix)))
        height = Int(try whole(try required(size, "height", fix: sizeFix)))

        for element in root.children where element.name == "object" {
            let boxFix = "give each object <name> and <bndbox> with xmin, ymin, xmax, ymax"
            let name = String(TextFields.trimmed(Substring(try required(element, "name", fix: boxFix).text)))
            guard !name.isEmpty else {
                throw .malformed(at(element), problem: "an <object> has an empty <name>", fix: boxFix)
            }
            let box = try required(element, "bndbox", fix: boxFix)
            var corners: [Double] = []
            for corner in ["xmin", "ymin", "xmax", "ymax"] {
                let node = try required(box, corner, fix: boxFix)
                corners.append(
                    try TextFields.number(
                        TextFields.trimmed(Substring(node.text)), "<\(corner)>", at: at(node), finite: true))
            }
            for (low, high) in [("x", 0), ("y", 1)] where corners[high + 2] < corners[high] {
                throw .malformed(
                    at(box), problem: "\(low)max \(corners[high + 2]) is less than \(low)min \(corners[high])",
                    fix: "write the box as its top-left (xmin, ymin) and bottom-right (xmax, ymax) corners")
            }
            // Optional flags; an empty element counts as absent.
            let difficult = try element.flag("difficult").map { node throws(ReadError) in try whole(node) } ?? 0
            let truncated = try element.flag("truncated").map { node throws(ReadError) in Int(try whole(node)) }
            objects.append(
                VocObject(
                    name: name, xmin: corners[0], ymin: corners[1], xmax: corners[2], ymax: corners[3],
                    isDifficult: difficult != 0, truncation: truncated, location: at(element)))
        }
    }
}

/// An element of a small XML document: its name, the line it starts on, its text (entities decoded, CDATA
/// included) and its child elements. Attributes are skipped: VOC does not use them.
struct XMLNode {
    var name: String
    var line: Int
    var text = ""
    var children: [XMLNode] = []

    /// The first child element called `name`.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// The first child element called `name` that holds some text.
    func flag(_ name: String) -> XMLNode? {
        child(name).flatMap { TextFields.trimmed(Substring($0.text)).isEmpty ? nil : $0 }
    }
}

/// A purpose-built XML scanner for annotation files: elements, text, entities, comments, CDATA, processing
/// instructions and a DOCTYPE without internal subset. Not a validating parser; enough to read VOC reliably and
/// to point at the line where a file stops being well formed.
struct XMLScanner {
    /// Nesting beyond this is refused: an annotation is a few levels deep, and a tree thousands deep would
    /// exhaust the stack when it is released.
    static let maximumDepth = 256
    private let bytes: [UInt8]
    private let path: String
    private var index = 0
    private var line = 1

    /// Parses the file at `path` into its root element.
    static func parse(path: String) throws(ReadError) -> XMLNode {
        let bytes = try InputFiles.readBytes(path, expected: "an XML annotation file")
        _ = try InputFiles.lines(of: bytes, path: path)  // Refuses binary data and non-UTF-8 text, with the line.
        var scanner = XMLScanner(bytes: bytes, path: path)
        return try scanner.document()
    }

    private init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    private func failure(_ problem: String, line: Int? = nil) -> ReadError {
        .malformed(
            SourceLocation(file: path, line: line ?? self.line), problem: "not well-formed XML: \(problem)",
            fix: "fix or re-export the annotation file")
    }

    private func starts(with text: String) -> Bool {
        bytes[index...].starts(with: text.utf8)
    }

    /// Moves past the next `terminator`, counting lines; throws when the file ends first.
    private mutating func skip(past terminator: String, what: String) throws(ReadError) -> Range<Int> {
        let start = index
        let opening = line
        let pattern = Array(terminator.utf8)
        while index < bytes.count {
            if bytes[index] == pattern[0] && bytes[index...].starts(with: pattern) {
                let body = start..<index
                index += pattern.count
                return body
            }
            if bytes[index] == 0x0A { line += 1 }
            index += 1
        }
        throw failure("\(what) opened on line \(opening) is never closed", line: opening)
    }

    /// Moves past the `>` that ends the tag starting at `index`, skipping quoted attribute values.
    private mutating func tagBody() throws(ReadError) -> Range<Int> {
        let start = index
        let opening = line
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A { line += 1 }
            index += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return start..<(index - 1)
            }
        }
        throw failure("a tag opened on line \(opening) is never closed", line: opening)
    }

    private mutating func document() throws(ReadError) -> XMLNode {
        var stack: [XMLNode] = []
        var root: XMLNode?
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                let body = try text()
                if stack.isEmpty {
                    // Characters, not bytes: "\r\n" (Windows line ends) is one Character.
                    guard body.allSatisfy(\.isWhitespace) else { throw failure("text outside the root element") }
                } else {
                    stack[stack.count - 1].text += body
                }
                continue
            }
            if starts(with: "<?") {
                _ = try skip(past: "?>", what: "a processing instruction")
            } else if starts(with: "<!--") {
                _ = try skip(past: "-->", what: "a comment")
            } else if starts(with: "<![CDATA[") {
                index += 9
                let body = try skip(past: "]]>", what: "a CDATA section")
                guard !stack.isEmpty else { throw failure("CDATA outside the root element") }
                stack[stack.count - 1].text += String(decoding: bytes[body], as: UTF8.self)
            } else if starts(with: "<!") {
                _ = try skip(past: ">", what: "a declaration")
            } else {
                let opening = line
                let tag = try tagBody()
                var content = String(decoding: bytes[tag.dropFirst()], as: UTF8.self)
                if content.hasPrefix("/") {
                    let name = String(TextFields.trimmed(Substring(content.dropFirst())))
                    guard let open = stack.popLast() else { throw failure("</\(name)> closes nothing", line: opening) }
                    guard open.name == name else {
                        throw failure("</\(name)> closes <\(open.name)> opened on line \(open.line)", line: opening)
                    }
                    try attach(open, to: &stack, root: &root)
                    continue
                }
                let isEmpty = content.hasSuffix("/")
                if isEmpty { content.removeLast() }
                let name = String(content.prefix { !$0.isWhitespace })
                guard !name.isEmpty else { throw failure("a tag without a name", line: opening) }
                let element = XMLNode(name: name, line: opening)
                if isEmpty {
                    try attach(element, to: &stack, root: &root)
                } else {
                    guard stack.count < Self.maximumDepth else {
                        throw failure("elements nested more than \(Self.maximumDepth) levels deep", line: opening)
                    }
                    stack.append(element)
                }
            }
        }
        if let open = stack.last { throw failure("<\(open.name)> opened on line \(open.line) is never closed") }
        guard let root else { throw failure("no root element") }
        return root
    }

    private func attach(_ element: XMLNode, to stack: inout [XMLNode], root: inout XMLNode?) throws(ReadError) {
        if stack.isEmpty {
            guard root == nil else { throw failure("a second root element <\(element.name)>", line: element.line) }
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    /// The text up to the next `<`, entities decoded.
    private mutating func text() throws(ReadError) -> String {
        let start = index
        while index < bytes.count && bytes[index] != UInt8(ascii: "<") {
            if bytes[index] == 0x0A { line += 1 }
            index += 1
        }
        let raw = String(decoding: bytes[start..<index], as: UTF8.self)
        guard raw.contains("&") else { return raw }
        var result = ""
        var rest = Substring(raw)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { throw failure("an unterminated '&'") }
            let entity = rest[rest.index(after: amp)..<semicolon]
            result += try decode(entity)
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }

    private func decode(_ entity: Substring) throws(ReadError) -> String {
        switch entity {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let isHex = entity.hasPrefix("#x") || entity.hasPrefix("#X")
            if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst(isHex ? 2 : 1), radix: isHex ? 16 : 10),
                let scalar = Unicode.Scalar(code)
            {
                return String(Character(scalar))
            }
            throw failure("unknown entity '&\(entity);'")
        }
    }
}
