#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What TFRecord readers share: finding the shards of a path, decoding each record's `Example`, and reading the
/// Object Detection API's typed features with messages that name the file and the record.
public enum TFRecordInput {
    /// The TFRecord files a path names, in sorted order: the file itself; the files of a folder that have TFRecord
    /// framing or a shard's name (`-00003-of-00010`, `.tfrecord`, `.record`, `.tfrecords`, also `.gz`), so that a
    /// damaged shard is refused rather than skipped, while a `label_map.pbtxt` or README beside the shards is left
    /// out; or the files a glob pattern (`data-?????-of-00010`, `shards/*.tfrecord`) matches.
    ///
    /// Throws `.notFound` when nothing matches, `.malformed` for a folder without TFRecord files.
    public static func files(_ path: String) throws(ReadError) -> [String] {
        switch InputFiles.kind(of: path) {
        case .file:
            return [path]
        case .directory:
            let files = try InputFiles.list(path).filter { name in
                let file = InputFiles.join(path, name)
                return InputFiles.kind(of: file) == .file
                    && (hasShardName(name) || TFRecordFile.looksLikeTFRecord(path: file))
            }.map { InputFiles.join(path, $0) }
            guard !files.isEmpty else {
                throw .malformed(
                    SourceLocation(file: path), problem: "no TFRecord file in the folder",
                    fix: "give the folder of the shards, a glob such as 'data-?????-of-?????', or one .tfrecord file")
            }
            return files
        case .missing:
            guard isPattern(path) else { throw .notFound(path: path) }
            let matches = expand(path).filter { InputFiles.kind(of: $0) == .file }
            guard !matches.isEmpty else { throw .notFound(path: path) }
            return matches
        }
    }

    /// Whether a file name is a TFRecord shard's: `NAME-00003-of-00010` or a TFRecord extension, perhaps with `.gz`.
    static func hasShardName(_ name: String) -> Bool {
        var base = Substring(name)
        if base.lowercased().hasSuffix(".gz") { base = base.dropLast(3) }
        if base.contains(/-[0-9]+-of-[0-9]+$/) { return true }
        let lowered = base.lowercased()
        return [".tfrecord", ".tfrecords", ".record", ".tfrec"].contains { lowered.hasSuffix($0) }
    }

    /// Whether `path` holds glob characters (`*`, `?`, `[`).
    public static func isPattern(_ path: String) -> Bool {
        path.contains("*") || path.contains("?") || path.contains("[")
    }

    /// The paths a glob pattern matches, sorted by byte order.
    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Calls `body` with each record of each file decoded as an `Example`, with the file's index and the record's
    /// 1-based number in its file. A record that is not an `Example` is a `.malformed` error naming both.
    static func forEachExample(
        in files: [String], _ body: (_ file: Int, _ record: Int, _ example: TFExample) throws(ReadError) -> Void
    ) throws(ReadError) {
        for (fileIndex, file) in files.enumerated() {
            try TFRecordFile.forEachRecord(path: file) { (number, data) throws(ReadError) in
                let example: TFExample
                do throws(TFExample.DecodingError) {
                    example = try TFExample(decoding: data)
                } catch {
                    throw .malformed(
                        SourceLocation(file: file),
                        problem: "record \(number) is not a tf.train.Example (\(error.reason))",
                        fix: "write each record as a serialized tf.train.Example")
                }
                try body(fileIndex, number, example)
            }
        }
    }

    /// The pixel coordinate that a 32-bit fraction of `side` was written from.
    ///
    /// TFRecords store normalized boxes as 32-bit floats, which cannot hold `x / side` exactly: the product
    /// `fraction * side` is off by up to `side * 2^-24`. The value returned is the one with the fewest decimals
    /// (0 to 6) whose fraction rounds to the same float, as a writer computing `x / side` in double precision
    /// would have stored it; else the exact product. So pixels written with up to 4 decimals (COCO's 2, VisDrone's
    /// whole pixels) read back exactly. Returns the value and its number of decimals (7 for the exact product).
    public static func pixel(_ fraction: Float, side: Double) -> (value: Double, decimals: Int) {
        let exact = Double(fraction) * side
        guard exact.isFinite, abs(exact) < 1e9 else { return (exact, 7) }
        var scale = 1.0
        for decimals in 0...6 {
            let candidate = (exact * scale).rounded() / scale
            if Float(candidate / side) == fraction { return (candidate, decimals) }
            scale *= 10
        }
        return (exact, 7)
    }

    /// A width from two corners read by `pixel`, rounded to the decimals they were written with, so that
    /// `258.15` and `299.45` give `41.3` rather than `41.299999999999955`.
    public static func extent(
        from low: (value: Double, decimals: Int), to high: (value: Double, decimals: Int)
    ) -> Double {
        let difference = high.value - low.value
        let decimals = max(low.decimals, high.decimals)
        guard decimals < 7, difference.isFinite, abs(difference) < 1e9 else { return difference }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (difference * scale).rounded() / scale
    }

    /// A 32-bit float as the shortest decimal that reads back to it (`0.236`, not `0.23600000143051147`): scores and
    /// areas written from decimals keep their value.
    public static func shortestDecimal(_ value: Float) -> Double {
        Double(value.description) ?? Double(value)
    }
}

/// The features of one record, read with messages naming its file and number.
struct TFRecordFeatures {
    let example: TFExample
    let file: String
    let record: Int

    var location: SourceLocation { SourceLocation(file: file) }

    func failure(_ problem: String, fix: String) -> ReadError {
        .malformed(location, problem: "record \(record): \(problem)", fix: fix)
    }

    func has(_ key: String) -> Bool { example.features[key] != nil }

    /// The floats of `key`; nil when absent. Throws when the key holds another kind.
    func floats(_ key: String) throws(ReadError) -> [Float]? {
        switch example.features[key] {
        case nil: return nil
        case .floats(let values)?: return values
        case let other?:
            throw failure("\(key) is a \(other.kindName), not a float_list", fix: "write \(key) as a float_list")
        }
    }

    /// The integers of `key` (an `int64_list`; a `float_list` of whole numbers is accepted too); nil when absent.
    func integers(_ key: String) throws(ReadError) -> [Int64]? {
        switch example.features[key] {
        case nil: return nil
        case .int64s(let values)?: return values
        case .floats(let values)?:
            var integers: [Int64] = []
            integers.reserveCapacity(values.count)
            for value in values {
                guard value.isFinite, value == value.rounded(), abs(value) < 9e15 else {
                    throw failure("\(key) holds \(value), not a whole number", fix: "write \(key) as an int64_list")
                }
                integers.append(Int64(value))
            }
            return integers
        case let other?:
            throw failure("\(key) is a \(other.kindName), not an int64_list", fix: "write \(key) as an int64_list")
        }
    }

    /// The strings of `key` (UTF-8 `bytes_list`); nil when absent.
    func strings(_ key: String) throws(ReadError) -> [String]? {
        switch example.features[key] {
        case nil: return nil
        case .bytes(let values)?:
            var strings: [String] = []
            for value in values {
                guard let text = String(validating: value, as: UTF8.self) else {
                    throw failure("\(key) holds bytes that are not UTF-8 text", fix: "write \(key) as UTF-8 text")
                }
                strings.append(text)
            }
            return strings
        case let other?:
            throw failure("\(key) is a \(other.kindName), not a bytes_list", fix: "write \(key) as a bytes_list")
        }
    }

    /// The first string of `key`, nil when absent or empty.
    func string(_ key: String) throws(ReadError) -> String? {
        guard let first = try strings(key)?.first, !first.isEmpty else { return nil }
        return first
    }

    /// A per-object list that must have `count` values when present (an empty list counts as absent).
    func perObject<T>(_ values: [T]?, _ key: String, count: Int) throws(ReadError) -> [T]? {
        guard let values, !values.isEmpty || count == 0 else { return nil }
        guard values.count == count else {
            throw failure(
                "\(key) has \(values.count) values for \(count) boxes",
                fix: "write one value per box in every image/object (or image/detection) list")
        }
        return values
    }

    /// The image size, when both keys are present and positive.
    func imageSize() throws(ReadError) -> (width: Int, height: Int)? {
        guard let height = try integers("image/height")?.first, let width = try integers("image/width")?.first else {
            return nil
        }
        guard width > 0, height > 0, width <= Int64(Int32.max), height <= Int64(Int32.max) else {
            throw failure(
                "the image size \(width)x\(height) is not a positive size",
                fix: "write the image's pixel size in image/width and image/height")
        }
        return (Int(width), Int(height))
    }

    /// The four normalized corner lists under `prefix` (`image/object/bbox/` or `image/detection/bbox/`), as ymin,
    /// xmin, ymax, xmax of equal lengths; empty lists when all four are absent.
    func corners(_ prefix: String) throws(ReadError) -> (ymin: [Float], xmin: [Float], ymax: [Float], xmax: [Float]) {
        let names = ["ymin", "xmin", "ymax", "xmax"]
        var lists: [[Float]?] = []
        for name in names { lists.append(try floats(prefix + name)) }
        if lists.allSatisfy({ $0 == nil }) { return ([], [], [], []) }
        guard let ymin = lists[0], let xmin = lists[1], let ymax = lists[2], let xmax = lists[3] else {
            let missing = zip(names, lists).filter { $0.1 == nil }.map { prefix + $0.0 }
            throw failure(
                "\(missing.joined(separator: ", ")) missing beside the other box corners",
                fix: "write all four of \(prefix){ymin,xmin,ymax,xmax}")
        }
        guard Set([ymin.count, xmin.count, ymax.count, xmax.count]).count == 1 else {
            throw failure(
                "the four \(prefix)* lists have \(ymin.count), \(xmin.count), \(ymax.count) and \(xmax.count) values",
                fix: "write one value per box in each of \(prefix){ymin,xmin,ymax,xmax}")
        }
        return (ymin, xmin, ymax, xmax)
    }
}
