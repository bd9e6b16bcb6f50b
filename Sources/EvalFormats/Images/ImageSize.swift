#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the pixel size of a JPEG or PNG image from its header, without decoding it.
///
/// Only the bytes up to the size are read (the PNG `IHDR` chunk; for JPEG the marker segments up to the first
/// frame header, skipping the others), so a folder of large images is sized quickly.
public enum ImageHeader {
    /// The width and height of the JPEG or PNG image at `path`.
    ///
    /// JPEG: the first start-of-frame marker (`SOF0`...`SOF15`, except `C4` DHT, `C8` JPG and `CC` DAC).
    /// Throws `.notFound`, `.isDirectory`, `.unreadable`, `.empty`, or `.malformed` naming the path when the
    /// file is neither format, is cut short, or gives a size of 0.
    public static func size(ofFile path: String) throws(ReadError) -> (width: Int, height: Int) {
        switch InputFiles.kind(of: path) {
        case .missing: throw .notFound(path: path)
        case .directory: throw .isDirectory(path: path, expected: "an image file")
        case .file: break
        }
        guard let handle = fopen(path, "rb") else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(handle) }
        var reader = HeaderReader(handle: handle, path: path)
        let start = reader.read(2)
        if start.isEmpty { throw .empty(path: path) }
        if start == [0xFF, 0xD8] { return try reader.jpegSize() }
        if start == [0x89, 0x50] { return try reader.pngSize() }
        let shown = start.map { hex($0) }.joined(separator: " ")
        throw reader.failure("not a JPEG or PNG image (it starts with bytes \(shown))")
    }

    /// `byte` as two hex digits.
    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

/// Sequential reads from the start of an image file, for `ImageHeader`.
private struct HeaderReader {
    let handle: UnsafeMutablePointer<FILE>
    let path: String
    /// Bytes consumed so far, for messages.
    var offset = 0

    init(handle: UnsafeMutablePointer<FILE>, path: String) {
        self.handle = handle
        self.path = path
    }

    /// Up to `count` bytes (fewer at the end of the file).
    mutating func read(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, handle) }
        offset += n
        return Array(bytes[0..<n])
    }

    /// Exactly `count` bytes, or a "cut short" error naming `what` was being read.
    mutating func require(_ count: Int, _ what: String) throws(ReadError) -> [UInt8] {
        let bytes = read(count)
        guard bytes.count == count else { throw failure("the file ends inside the \(what)") }
        return bytes
    }

    mutating func skip(_ count: Int, _ what: String) throws(ReadError) {
        guard fseek(handle, count, SEEK_CUR) == 0 else { throw failure("cannot skip the \(what)") }
        offset += count
    }

    func failure(_ problem: String) -> ReadError {
        .malformed(
            SourceLocation(file: path), problem: problem,
            fix: "give a valid .jpg or .png image, or pass --sizes images.csv with each image's width and height")
    }

    /// Walks the marker segments after `FF D8` to the first frame header.
    mutating func jpegSize() throws(ReadError) -> (width: Int, height: Int) {
        while true {
            let lead = try require(1, "JPEG marker list before a frame header")[0]
            guard lead == 0xFF else {
                throw failure(
                    "corrupt JPEG: byte \(ImageHeader.hex(lead)) at offset \(offset - 1) where a marker was expected")
            }
            var marker: UInt8 = 0xFF
            while marker == 0xFF { marker = try require(1, "JPEG marker list before a frame header")[0] }
            switch marker {
            case 0x01, 0xD0...0xD8:
                continue  // Markers without a length.
            case 0xD9, 0xDA:
                throw failure("corrupt JPEG: \(marker == 0xDA ? "scan data" : "end of image") before any frame header")
            default:
                break
            }
            let lengthBytes = try require(2, "JPEG segment length")
            let length = Int(lengthBytes[0]) << 8 | Int(lengthBytes[1])
            guard length >= 2 else { throw failure("corrupt JPEG: segment length \(length) at offset \(offset - 2)") }
            let isFrameHeader = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            guard isFrameHeader else {
                try skip(length - 2, "JPEG segment")
                continue
            }
            guard length >= 7 else { throw failure("corrupt JPEG: frame header of length \(length)") }
            let frame = try require(5, "JPEG frame header")
            let height = Int(frame[1]) << 8 | Int(frame[2])
            let width = Int(frame[3]) << 8 | Int(frame[4])
            guard width > 0 && height > 0 else {
                throw failure(
                    "the JPEG frame header gives a size of \(width)x\(height) (a height set later is not supported)")
            }
            return (width, height)
        }
    }

    /// Reads the rest of the PNG signature and the `IHDR` chunk.
    mutating func pngSize() throws(ReadError) -> (width: Int, height: Int) {
        let rest = try require(22, "PNG header")
        guard Array(rest[0..<6]) == [0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw failure("not a PNG image (bad signature)")
        }
        guard Array(rest[10..<14]) == Array("IHDR".utf8) else {
            throw failure("corrupt PNG: the first chunk is not IHDR")
        }
        func word(_ at: Int) -> Int {
            rest[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        let width = word(14)
        let height = word(18)
        guard width > 0 && height > 0 else { throw failure("the PNG header gives a size of \(width)x\(height)") }
        return (width, height)
    }
}

/// Reads a CSV table of image sizes, for datasets whose images are not at hand.
public enum ImageSizeTable {
    /// The sizes in a CSV file `image,width,height` (header line required, columns in any order, extra columns
    /// ignored), keyed by file stem: `image` may be a file name (`a.jpg`) or a stem (`a`).
    ///
    /// Throws `.malformed` at file:line for a missing header, a wrong field count, a size that is not a positive
    /// whole number, an empty image name, or the same stem listed twice.
    public static func read(path: String) throws(ReadError) -> [String: (width: Int, height: Int)] {
        let lines = try InputFiles.readLines(path).filter { !TextFields.isBlank($0.text) }
        guard let header = lines.first else { throw .empty(path: path) }
        let headerLocation = SourceLocation(file: path, line: header.number)
        let columns = TextFields.commaSeparated(header.text).map { unquoted($0).lowercased() }
        guard let imageColumn = columns.firstIndex(of: "image"), let widthColumn = columns.firstIndex(of: "width"),
            let heightColumn = columns.firstIndex(of: "height")
        else {
            throw .malformed(
                headerLocation, problem: "the header is '\(header.text)', not image,width,height",
                fix: "start the file with the line image,width,height")
        }
        var sizes: [String: (width: Int, height: Int)] = [:]
        var firstLine: [String: Int] = [:]
        for line in lines.dropFirst() {
            let location = SourceLocation(file: path, line: line.number)
            let fields = TextFields.commaSeparated(line.text)
            guard fields.count == columns.count else {
                throw .malformed(
                    location, problem: "expected \(columns.count) comma-separated fields, found \(fields.count)",
                    fix: "write one image,width,height row per line")
            }
            let image = unquoted(fields[imageColumn])
            guard !image.isEmpty else {
                throw .malformed(location, problem: "the image name is empty", fix: "name the image file or its stem")
            }
            let width = try dimension(fields[widthColumn], "width", at: location)
            let height = try dimension(fields[heightColumn], "height", at: location)
            let stem = fileStem(image)
            if let first = firstLine[stem] {
                throw .malformed(
                    location, problem: "image '\(stem)' is listed twice (first on line \(first))",
                    fix: "keep one row per image")
            }
            firstLine[stem] = line.number
            sizes[stem] = (width, height)
        }
        return sizes
    }

    private static func dimension(_ field: Substring, _ name: String, at location: SourceLocation) throws(ReadError)
        -> Int
    {
        guard let value = Int(unquoted(field)), value > 0 else {
            throw .malformed(
                location, problem: "\(name) is '\(field)', not a positive whole number",
                fix: "write the size in pixels")
        }
        return value
    }

    private static func unquoted(_ field: Substring) -> String {
        if field.count >= 2 && field.first == "\"" && field.last == "\"" {
            return String(field.dropFirst().dropLast())
        }
        return String(field)
    }
}

/// The images of a folder dataset and their sizes: files found in `images/` (keyed by path without extension,
/// relative to `images/`), sizes from a table or, failing that, from the image headers.
struct ImageCatalog {
    /// The `images/` folder (it may not exist when sizes are given).
    var folder: String
    /// Relative key (`a`, or `train/a` in split layouts) to relative file path (`a.jpg`, `train/a.jpg`).
    var files: [String: String]
    /// Sizes keyed by file stem, as given by the user.
    var sizes: [String: (width: Int, height: Int)]?

    /// Image files (`.jpg`, `.jpeg`, `.png`, any case) directly in `folder`, and with `subfolders` one level
    /// below it too. When two files share a key the first in sorted order is kept. A missing folder is empty.
    static func scan(_ folder: String, subfolders: Bool) throws(ReadError) -> [String: String] {
        guard InputFiles.kind(of: folder) == .directory else { return [:] }
        var files: [String: String] = [:]
        for name in try InputFiles.list(folder) {
            let path = InputFiles.join(folder, name)
            if isImage(name) {
                if files[fileStem(name)] == nil { files[fileStem(name)] = name }
            } else if subfolders && InputFiles.kind(of: path) == .directory {
                for inner in try InputFiles.list(path) where isImage(inner) {
                    let key = name + "/" + fileStem(inner)
                    if files[key] == nil { files[key] = name + "/" + inner }
                }
            }
        }
        return files
    }

    static func isImage(_ name: String) -> Bool {
        ["jpg", "jpeg", "png"].contains { FormatDetection.hasExtension(name, $0) }
    }

    /// The record of the image with relative key `key`, whose annotations are in `annotationFile`.
    /// Throws when there is neither an image file nor a size for it.
    func image(id: Int64, key: String, annotationFile: String) throws(ReadError) -> ImageRecord {
        let stem = fileStem(key)
        let file = files[key]
        let fileName = file ?? key + ".jpg"
        if let size = sizes?[stem] {
            return ImageRecord(id: id, fileName: fileName, width: size.width, height: size.height)
        }
        guard let file else {
            let sizesHint = sizes == nil ? "pass --sizes images.csv" : "add it to the --sizes table"
            throw .malformed(
                SourceLocation(file: annotationFile),
                problem: "no image '\(stem)' (.jpg, .jpeg or .png) in \(folder) and no size for it",
                fix:
                    "put the image in \(folder), or \(sizesHint) with its width and height (columns image,width,height)"
            )
        }
        let size = try ImageHeader.size(ofFile: InputFiles.join(folder, file))
        return ImageRecord(id: id, fileName: fileName, width: size.width, height: size.height)
    }
}
