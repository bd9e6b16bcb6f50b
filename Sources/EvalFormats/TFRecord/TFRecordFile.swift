#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
internal import CZlib

/// Reads the records of TFRecord files: each record is a little-endian `uint64` length, the masked CRC-32C of
/// those 8 bytes, the data, and the masked CRC-32C of the data. Files may be GZIP- or ZLIB-compressed as a whole
/// (`TFRecordOptions(compression_type="GZIP")`).
///
/// Both checksums of every record are verified: a corrupt or truncated file is refused with the record's number
/// rather than read in part, so an import never stores what a broken shard happened to hold.
public enum TFRecordFile {
    /// How a TFRecord file is compressed.
    public enum Compression: String, Sendable {
        case none
        case gzip
        case zlib
    }

    /// The compression of `bytes` when they are a TFRecord file (framing checked on the first record's header, or
    /// a GZIP / ZLIB header), nil when they are not.
    public static func compression(of bytes: [UInt8]) -> Compression? {
        if hasRecordHeader(bytes) { return Compression.none }
        if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B { return .gzip }
        if bytes.count >= 2 && bytes[0] & 0x0F == 8 && (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) % 31 == 0 {
            return .zlib
        }
        return nil
    }

    /// Whether the file at `path` looks like a TFRecord file: an uncompressed first record header whose length CRC
    /// matches, or a compressed stream whose start decompresses to one. Reads only the start of the file.
    public static func looksLikeTFRecord(path: String) -> Bool {
        guard let handle = fopen(path, "rb") else { return false }
        defer { fclose(handle) }
        var head = [UInt8](repeating: 0, count: 4096)
        let count = head.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, handle) }
        head.removeSubrange(count...)
        switch compression(of: head) {
        case .none?: return true
        case nil: return false
        case .gzip?, .zlib?:
            let start = inflate(head, limit: 12)
            return hasRecordHeader(start.bytes)
        }
    }

    /// Whether `bytes` start with a record header whose length CRC matches.
    static func hasRecordHeader(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 12 else { return false }
        return CRC32C.masked(CRC32C.checksum(Array(bytes[0..<8]))) == littleEndian32(bytes, at: 8)
    }

    /// Calls `body` with each record's number (1-based) and data, in file order, after checking its framing.
    ///
    /// Throws `.corruptRecord` naming the file and the record when a length or data CRC does not match or the
    /// file ends inside a record; `.notFound`, `.unreadable`, `.empty` for the file itself; and whatever `body`
    /// throws.
    public static func forEachRecord(
        path: String, _ body: (_ number: Int, _ data: ArraySlice<UInt8>) throws(ReadError) -> Void
    ) throws(ReadError) {
        let raw = try InputFiles.readBytes(path, expected: "a TFRecord file")
        var bytes = raw
        var endsEarly: String?
        let compression = compression(of: raw)
        if compression == .gzip || compression == .zlib {
            let inflated = inflate(raw, limit: Int.max)
            bytes = inflated.bytes
            endsEarly = inflated.failure
        }
        let place = compression == .gzip || compression == .zlib ? " of the decompressed data" : ""
        var offset = 0
        var number = 1
        let count = bytes.count
        while offset < count {
            func corrupt(_ reason: String) -> ReadError {
                .corruptRecord(
                    path: path, record: number, offset: "byte \(offset)\(place)",
                    reason: endsEarly.map { "\(reason) (\($0))" } ?? reason)
            }
            guard count - offset >= 12 else { throw corrupt("the file ends inside the record's header") }
            let lengthCRC = bytes[offset..<offset + 8].withUnsafeBufferPointer { CRC32C.checksum($0) }
            guard CRC32C.masked(lengthCRC) == littleEndian32(bytes, at: offset + 8) else {
                throw corrupt("the length's CRC32C does not match")
            }
            var length: UInt64 = 0
            for index in 0..<8 { length |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            let start = offset + 12
            guard length <= UInt64(count - start), count - start - Int(length) >= 4 else {
                throw corrupt("the file ends inside the record (its length says \(length) bytes)")
            }
            let end = start + Int(length)
            let dataCRC = bytes[start..<end].withUnsafeBufferPointer { CRC32C.checksum($0) }
            guard CRC32C.masked(dataCRC) == littleEndian32(bytes, at: end) else {
                throw corrupt("the data's CRC32C does not match")
            }
            try body(number, bytes[start..<end])
            offset = end + 4
            number += 1
        }
        if let endsEarly {
            throw .corruptRecord(
                path: path, record: number, offset: "byte \(offset)\(place)", reason: "no record: \(endsEarly)")
        }
    }

    /// The little-endian `UInt32` at `offset`.
    static func littleEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    /// Decompresses a GZIP or ZLIB stream (several concatenated GZIP members too), up to about `limit` bytes.
    /// Returns what was decompressed and, when the stream is cut short or corrupt, why.
    static func inflate(_ input: [UInt8], limit: Int) -> (bytes: [UInt8], failure: String?) {
        var output: [UInt8] = []
        var stream = z_stream()
        // 15 + 32: the largest window, with the GZIP or ZLIB header detected.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return ([], "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var failure: String?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while output.count < limit {
                let status = buffer.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                if status == Z_STREAM_END {
                    // Another GZIP member may follow (files written in appends).
                    if stream.avail_in == 0 { return }
                    if inflateReset(&stream) != Z_OK { failure = "zlib could not continue"; return }
                    continue
                }
                if status == Z_OK { continue }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    failure = "the compressed stream ends early: a truncated file"
                } else {
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    failure = "the compressed data is corrupt: \(message)"
                }
                return
            }
        }
        return (output, failure)
    }
}
