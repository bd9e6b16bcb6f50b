/// Writes protobuf wire format and TFRecord framing for the tests, independently of the readers: a bitwise CRC-32C,
/// packed or unpacked lists, and fields the readers must skip.
enum TFRecordBuilder {
    /// A feature's values.
    enum Value {
        case bytes([String])
        case floats([Float])
        case ints([Int64])
    }

    /// CRC-32C computed bit by bit (the reader uses tables).
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// TFRecord framing of the records.
    static func frame(_ records: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            let length = littleEndian(UInt64(record.count))
            out += length + littleEndian(masked(crc32c(length))) + record + littleEndian(masked(crc32c(record)))
        }
        return out
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return out + [UInt8(value)]
    }

    static func tag(_ field: UInt64, _ wire: UInt64) -> [UInt8] { varint(field << 3 | wire) }

    static func delimited(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] {
        tag(field, 2) + varint(UInt64(payload.count)) + payload
    }

    /// A serialized `Feature`.
    static func feature(_ value: Value, packed: Bool) -> [UInt8] {
        switch value {
        case .bytes(let strings):
            return delimited(1, strings.flatMap { delimited(1, Array($0.utf8)) })
        case .floats(let floats):
            let list =
                packed
                ? delimited(1, floats.flatMap { littleEndian($0.bitPattern) })
                : floats.flatMap { tag(1, 5) + littleEndian($0.bitPattern) }
            return delimited(2, list)
        case .ints(let ints):
            let list =
                packed
                ? delimited(1, ints.flatMap { varint(UInt64(bitPattern: $0)) })
                : ints.flatMap { tag(1, 0) + varint(UInt64(bitPattern: $0)) }
            return delimited(3, list)
        }
    }

    /// A serialized `Example` with the features in the order given (a key may repeat: the last one wins).
    static func example(_ features: [(String, Value)], packed: Bool = true) -> [UInt8] {
        let entries = features.flatMap { key, value in
            delimited(1, delimited(1, Array(key.utf8)) + delimited(2, feature(value, packed: packed)))
        }
        return delimited(1, entries)
    }

    /// The Object Detection API's image keys.
    static func image(width: Int64, height: Int64, filename: String?, sourceID: String?) -> [(String, Value)] {
        var features: [(String, Value)] = [("image/height", .ints([height])), ("image/width", .ints([width]))]
        if let filename { features.append(("image/filename", .bytes([filename]))) }
        if let sourceID { features.append(("image/source_id", .bytes([sourceID]))) }
        return features
    }

    /// Corner lists under `prefix` for pixel boxes `[x, y, w, h]` on a `width` x `height` image, computed as a
    /// writer computes them (in double precision, stored as floats).
    static func boxes(_ prefix: String, _ boxes: [[Double]], width: Double, height: Double) -> [(String, Value)] {
        [
            (prefix + "xmin", .floats(boxes.map { Float($0[0] / width) })),
            (prefix + "ymin", .floats(boxes.map { Float($0[1] / height) })),
            (prefix + "xmax", .floats(boxes.map { Float(($0[0] + $0[2]) / width) })),
            (prefix + "ymax", .floats(boxes.map { Float(($0[1] + $0[3]) / height) })),
        ]
    }
}
