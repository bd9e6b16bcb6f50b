import EvalFormats
import Foundation
import Testing

/// TFRecord framing: both checksums, truncation, compression, and the messages that name the file and the record.
@Suite struct TFRecordFileTests {
    /// Records of lengths 0, 1 and 5000 (the table-driven CRC's tail and its 8-byte steps).
    static let records: [[UInt8]] = [[], [0x2A], (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }]

    static func readAll(_ path: String) throws(ReadError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        try TFRecordFile.forEachRecord(path: path) { (number, data) throws(ReadError) in
            #expect(number == out.count + 1)
            out.append(Array(data))
        }
        return out
    }

    @Test func theBuildersChecksumIsCRC32C() {
        // The check value of CRC-32C (RFC 3720, B.4): the framing tests below rest on it.
        #expect(TFRecordBuilder.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(TFRecordBuilder.crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func readsEveryRecordInOrder() throws {
        try ReaderScratch.with { scratch in
            let path = try scratch.write("a.tfrecord", bytes: TFRecordBuilder.frame(Self.records))
            #expect(try Self.readAll(path) == Self.records)
            #expect(TFRecordFile.looksLikeTFRecord(path: path))
        }
    }

    /// Byte offsets of record 2 (0-based index 1) in the framed file: its header starts at 16 (record 1 is empty).
    static let secondRecord = 16

    @Test(arguments: [
        // A flipped bit in record 2's length CRC, in its data, in its data CRC.
        (secondRecord + 9, "the length's CRC32C does not match"),
        (secondRecord + 12, "the data's CRC32C does not match"),
        (secondRecord + 13, "the data's CRC32C does not match"),
        // Record 2's length itself: its CRC no longer matches.
        (secondRecord, "the length's CRC32C does not match"),
    ])
    func aCorruptRecordIsNamed(flippedByte: Int, reason: String) throws {
        try ReaderScratch.with { scratch in
            var bytes = TFRecordBuilder.frame(Self.records)
            bytes[flippedByte] ^= 0x10
            let path = try scratch.write("bad.tfrecord", bytes: bytes)
            #expect(throws: ReadError.corruptRecord(path: path, record: 2, offset: "byte 16", reason: reason)) {
                try Self.readAll(path)
            }
        }
    }

    @Test func truncationIsNamedWithTheRecord() throws {
        try ReaderScratch.with { scratch in
            let bytes = TFRecordBuilder.frame(Self.records)
            let third = Self.secondRecord + 17
            let insideData = try scratch.write("a.tfrecord", bytes: Array(bytes[..<(third + 100)]))
            let error = #expect(throws: ReadError.self) { try Self.readAll(insideData) }
            #expect(
                error
                    == .corruptRecord(
                        path: insideData, record: 3, offset: "byte \(third)",
                        reason: "the file ends inside the record (its length says 5000 bytes)"))
            #expect(
                error?.description
                    == "\(insideData): record 3 (at byte \(third)) is corrupt: the file ends inside the record (its length says 5000 bytes); the file is damaged or was not fully written: write or copy it again"
            )
            let insideHeader = try scratch.write("b.tfrecord", bytes: Array(bytes[..<(third + 5)]))
            #expect(
                throws: ReadError.corruptRecord(
                    path: insideHeader, record: 3, offset: "byte \(third)",
                    reason: "the file ends inside the record's header")
            ) { try Self.readAll(insideHeader) }
            // Without its data CRC: the last 4 bytes missing.
            let noDataCRC = try scratch.write("c.tfrecord", bytes: Array(bytes.dropLast(4)))
            #expect(throws: ReadError.self) { try Self.readAll(noDataCRC) }
        }
    }

    @Test func gzipWrittenByTensorFlowReadsAsTheUncompressedFile() throws {
        let plain = try Self.readAll(ReaderFixtures.path("tfrecord/tf/coco-gt.tfrecord"))
        let compressed = try Self.readAll(ReaderFixtures.path("tfrecord/tf/coco-gt.tfrecord.gz"))
        #expect(plain.count == 100)
        #expect(compressed == plain)
        let head = Array(
            try Data(contentsOf: URL(fileURLWithPath: ReaderFixtures.path("tfrecord/tf/coco-gt.tfrecord.gz"))).prefix(
                64))
        #expect(TFRecordFile.compression(of: head) == .gzip)
        #expect(TFRecordFile.looksLikeTFRecord(path: ReaderFixtures.path("tfrecord/tf/coco-gt.tfrecord.gz")))
    }

    @Test func aTruncatedOrCorruptGzipStreamIsRefused() throws {
        let gzip = Array(
            try Data(contentsOf: URL(fileURLWithPath: ReaderFixtures.path("tfrecord/tf/coco-gt.tfrecord.gz"))))
        try ReaderScratch.with { scratch in
            let truncated = try scratch.write("cut.tfrecord.gz", bytes: Array(gzip.prefix(gzip.count / 2)))
            let error = #expect(throws: ReadError.self) { try Self.readAll(truncated) }
            guard case .corruptRecord(let path, let record, let offset, let reason)? = error else {
                Issue.record("not a corrupt record: \(String(describing: error))")
                return
            }
            #expect(path == truncated)
            #expect(record > 1)
            #expect(offset.hasSuffix("of the decompressed data"))
            #expect(reason.contains("the compressed stream ends early: a truncated file"))

            var flipped = gzip
            flipped[gzip.count / 2] ^= 0xFF
            let corrupt = try scratch.write("bad.tfrecord.gz", bytes: flipped)
            #expect(throws: ReadError.self) { try Self.readAll(corrupt) }
        }
    }

    @Test func otherFilesAreNotTFRecords() throws {
        try ReaderScratch.with { scratch in
            let text = try scratch.write("a.txt", "1,2,3,4,1,1,0,0\n")
            let binary = try scratch.write("b.bin", bytes: [UInt8](repeating: 7, count: 40))
            #expect(!TFRecordFile.looksLikeTFRecord(path: text))
            #expect(!TFRecordFile.looksLikeTFRecord(path: binary))
            #expect(TFRecordFile.compression(of: [0x1F, 0x8B, 8, 0]) == .gzip)
            #expect(TFRecordFile.compression(of: [0x78, 0x9C]) == .zlib)
            #expect(TFRecordFile.compression(of: Array("{}".utf8)) == nil)
        }
    }
}

/// Decoding `tf.train.Example` from the wire format.
@Suite struct TFExampleTests {
    static let features: [(String, TFRecordBuilder.Value)] = [
        ("image/filename", .bytes(["a.jpg", ""])),
        ("image/object/bbox/xmin", .floats([0, 0.25, 1, -0.5])),
        ("image/object/class/label", .ints([1, 0, -1, Int64.max, Int64.min])),
    ]

    static let expected: [String: TFFeature] = [
        "image/filename": .bytes([Array("a.jpg".utf8), []]),
        "image/object/bbox/xmin": .floats([0, 0.25, 1, -0.5]),
        "image/object/class/label": .int64s([1, 0, -1, Int64.max, Int64.min]),
    ]

    @Test(arguments: [true, false])
    func packedAndUnpackedListsDecodeAlike(packed: Bool) throws {
        let bytes = TFRecordBuilder.example(Self.features, packed: packed)
        #expect(try TFExample(decoding: bytes[...]).features == Self.expected)
    }

    @Test func unknownFieldsAreSkippedAndALaterKeyWins() throws {
        // An unknown varint and fixed64 field in Example, an unknown field in the map entry, an empty Feature.
        let unknown =
            TFRecordBuilder.tag(7, 0) + TFRecordBuilder.varint(300) + TFRecordBuilder.tag(9, 1)
            + [UInt8](repeating: 1, count: 8)
        var bytes = unknown + TFRecordBuilder.example([("k", .ints([1])), ("k", .ints([2]))])
        let entry =
            TFRecordBuilder.delimited(1, Array("empty".utf8)) + TFRecordBuilder.tag(5, 5) + [0, 0, 0, 0]
            + TFRecordBuilder.delimited(2, [])
        bytes += TFRecordBuilder.delimited(1, TFRecordBuilder.delimited(1, entry))
        let example = try TFExample(decoding: bytes[...])
        #expect(example.features == ["k": .int64s([2])])
    }

    @Test(
        arguments: [
            ([0x0A, 0x05, 0x0A], "a field's length (5 bytes) runs past the record's end"),
            ([0x0F], "wire type 7 does not exist"),
            ([0x08, 0x80], "a number is cut short"),
            ([0x03], "field number 0 does not exist"),
        ] as [([UInt8], String)])
    func malformedBytesSayWhy(bytes: [UInt8], reason: String) {
        #expect(throws: TFExample.DecodingError(reason: reason)) { try TFExample(decoding: bytes[...]) }
    }

    @Test func aRecordThatIsNotAnExampleNamesFileAndRecord() throws {
        try ReaderScratch.with { scratch in
            let good = TFRecordBuilder.example(
                TFRecordBuilder.image(width: 10, height: 10, filename: "a.jpg", sourceID: "1"))
            let path = try scratch.write("x.tfrecord", bytes: TFRecordBuilder.frame([good, [0x0A, 0x05, 0x0A]]))
            let error = #expect(throws: ReadError.self) { try TFRecordDatasetReader.read(path: path) }
            #expect(
                error?.description
                    == "\(path): record 2 is not a tf.train.Example (a field's length (5 bytes) runs past the record's end); write each record as a serialized tf.train.Example"
            )
        }
    }
}
