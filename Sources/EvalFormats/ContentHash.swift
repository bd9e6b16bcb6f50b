/// The SHA-256 content hashes that identify what was imported.
public enum ContentHash {
    /// The hash of a file's bytes, or of a folder's files: for each regular file below it, in sorted
    /// relative-path order, the path, its length and its bytes. Hidden files are left out.
    public static func ofPath(_ path: String) throws(ReadError) -> String {
        var hasher = SHA256()
        switch InputFiles.kind(of: path) {
        case .missing:
            throw .notFound(path: path)
        case .file:
            hasher.update(try InputFiles.readBytes(path, allowEmpty: true))
        case .directory:
            try hashFolder(path, relative: "", into: &hasher)
        }
        return hasher.finalizeHex()
    }

    private static func hashFolder(_ path: String, relative: String, into hasher: inout SHA256) throws(ReadError) {
        for name in try InputFiles.list(path) {
            let full = InputFiles.join(path, name)
            let relativeName = relative.isEmpty ? name : relative + "/" + name
            if InputFiles.kind(of: full) == .directory {
                try hashFolder(full, relative: relativeName, into: &hasher)
            } else {
                let bytes = try InputFiles.readBytes(full, allowEmpty: true)
                hasher.update(relativeName + "\u{0}\(bytes.count)\u{0}")
                hasher.update(bytes)
            }
        }
    }

    /// The hash of a list of files (the shards a glob or a folder names): for each, its base name, its length and
    /// its bytes, in the order given. A single file hashes as its bytes, as `ofPath` does.
    public static func ofFiles(_ paths: [String]) throws(ReadError) -> String {
        if paths.count == 1 { return try ofPath(paths[0]) }
        var hasher = SHA256()
        for path in paths {
            let bytes = try InputFiles.readBytes(path, allowEmpty: true)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            hasher.update(name + "\u{0}\(bytes.count)\u{0}")
            hasher.update(bytes)
        }
        return hasher.finalizeHex()
    }

    /// The hash of bytes already in memory (a file read once for parsing and hashing).
    public static func ofBytes(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }

    /// The hash of a dataset's parsed content: categories, images with their sizes, boxes with every
    /// stored field, ignored regions, in order. Two files that differ only in formatting hash the same.
    public static func ofDataset(_ dataset: GroundTruthDataset) -> String {
        var hasher = SHA256()
        var text = "evaldb-dataset-v1\n\(dataset.format.rawValue)\n"
        for category in dataset.categories {
            text += "c \(category.id) \(category.name) \(category.supercategory ?? "")\n"
        }
        hasher.update(text)
        text = ""
        for image in dataset.images {
            text += "i \(image.id) \(image.fileName) \(image.width) \(image.height)\n"
        }
        hasher.update(text)
        text = ""
        for box in dataset.boxes {
            text +=
                "b \(box.annotationID.map(String.init) ?? "-") \(box.imageIndex) \(box.categoryID) \(box.x.bitPattern) \(box.y.bitPattern) \(box.width.bitPattern) \(box.height.bitPattern) \(box.area.bitPattern) \(box.isCrowd ? 1 : 0)\(box.isIgnored ? 1 : 0)\(box.isDifficult ? 1 : 0) \(box.truncation ?? -1) \(box.occlusion ?? -1)\n"
            if text.utf8.count > 1 << 16 {
                hasher.update(text)
                text = ""
            }
        }
        for region in dataset.ignoredRegions {
            text +=
                "r \(region.imageIndex) \(region.x.bitPattern) \(region.y.bitPattern) \(region.width.bitPattern) \(region.height.bitPattern)\n"
        }
        hasher.update(text)
        return hasher.finalizeHex()
    }
}
