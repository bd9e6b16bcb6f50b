import EvalFormats
import EvalStore

/// Where a report finds a dataset's image files, and how it embeds them.
///
/// evaldb has no image decoder, so it cannot downscale: an image file is embedded as it is (JPEG, PNG, GIF or
/// WebP bytes in a data URI) when it is at most `maxEmbeddedBytes`; a larger or missing file is drawn as a blank
/// canvas of the image's size, and the report says why.
struct ReportImages {
    /// The largest image file embedded (bytes).
    static let maxEmbeddedBytes = 1_500_000

    /// The folders that may hold the images, in the order tried; empty when none is known (COCO without --images).
    var folders: [String]
    /// Why no folder is known, for the report's notes.
    var unavailableReason: String?

    /// The folders for `dataset`: `--images DIR` when given (file names relative to it), else the dataset's
    /// layout: VisDrone and YOLO `images/` under the imported folder, VOC `JPEGImages/` next to or above the XML.
    init(dataset: StoredDataset, imagesFolder: String?) {
        if let imagesFolder {
            folders = [imagesFolder]
            return
        }
        let source = dataset.source
        switch dataset.format {
        case .visdrone, .yolo:
            folders = [InputFiles.join(source, "images")]
        case .voc:
            let parent = Self.parent(of: source)
            folders = [
                InputFiles.join(source, "JPEGImages"), InputFiles.join(parent, "JPEGImages"), source,
            ]
        case .coco:
            folders = []
            unavailableReason = "COCO annotations do not say where the images are: pass --images DIR to draw them"
        case .tfrecord:
            folders = []
            unavailableReason =
                "the TFRecord import does not keep image/encoded: pass --images DIR (holding image/filename) to draw them"
        }
        if !folders.isEmpty && !folders.contains(where: { InputFiles.kind(of: $0) == .directory }) {
            unavailableReason =
                "no image folder found (looked in \(folders.joined(separator: ", "))); pass --images DIR to draw them"
            folders = []
        }
    }

    /// What a report shows for one image: a data URI, or nil with the reason.
    struct Embedded {
        var dataURI: String?
        var note: String?
    }

    /// The image `fileName` as a data URI, or the reason it is drawn blank.
    func embed(fileName: String) -> Embedded {
        guard !folders.isEmpty else { return Embedded(dataURI: nil, note: nil) }
        guard
            let path = folders.map({ InputFiles.join($0, fileName) }).first(where: { InputFiles.kind(of: $0) == .file })
        else { return Embedded(dataURI: nil, note: "image file not found") }
        guard let size = InputFiles.size(of: path) else { return Embedded(dataURI: nil, note: "image file unreadable") }
        guard size <= Self.maxEmbeddedBytes else {
            return Embedded(
                dataURI: nil,
                note:
                    "the file is \(size / 1000) kB, above the \(Self.maxEmbeddedBytes / 1000) kB that are embedded as they are, and evaldb cannot downscale it (no image decoder): drawn on a blank canvas"
            )
        }
        guard let bytes = try? InputFiles.readBytes(path) else {
            return Embedded(dataURI: nil, note: "image file unreadable")
        }
        guard let mediaType = Self.mediaType(of: bytes) else {
            return Embedded(dataURI: nil, note: "not a JPEG, PNG, GIF or WebP file: drawn on a blank canvas")
        }
        return Embedded(dataURI: "data:\(mediaType);base64," + Base64.encode(bytes), note: nil)
    }

    /// The media type from the file's signature, or nil for a format a browser may not show.
    static func mediaType(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if bytes.count >= 12 && bytes.starts(with: Array("RIFF".utf8)) && Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return "image/webp"
        }
        return nil
    }

    /// The folder above `path` (`.` for a bare name).
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}

/// Standard base64 (RFC 4648, with padding).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [18, 12, 6, 0].map { alphabet[Int((value >> $0) & 63)] }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out += [alphabet[Int((value >> 18) & 63)], alphabet[Int((value >> 12) & 63)]]
            out += rest == 2 ? [alphabet[Int((value >> 6) & 63)]] : [UInt8(ascii: "=")]
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
