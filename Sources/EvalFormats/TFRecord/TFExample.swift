/// One feature of a `tf.train.Example`: the `oneof kind` of `tf.train.Feature`.
public enum TFFeature: Sendable, Equatable {
    /// `bytes_list` (strings: file names, class texts, encoded images).
    case bytes([[UInt8]])
    /// `float_list` (32-bit floats: normalized boxes, scores).
    case floats([Float])
    /// `int64_list` (sizes, labels, flags).
    case int64s([Int64])

    /// How many values the feature holds.
    public var count: Int {
        switch self {
        case .bytes(let values): values.count
        case .floats(let values): values.count
        case .int64s(let values): values.count
        }
    }

    /// The kind's name in the protobuf schema, for messages.
    public var kindName: String {
        switch self {
        case .bytes: "bytes_list"
        case .floats: "float_list"
        case .int64s: "int64_list"
        }
    }
}

/// A decoded `tf.train.Example`: its `features.feature` map.
///
/// The schema is tiny (`Example { Features features = 1; }`, `Features { map<string, Feature> feature = 1; }`,
/// `Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }`,
/// each list a `repeated` field 1), so it is read from the protobuf wire format here rather than through a
/// generated library: packed and unpacked repeated fields are both accepted, unknown fields are skipped, and a later
/// map entry for the same key replaces an earlier one, as protobuf parsers do.
public struct TFExample: Sendable, Equatable {
    public var features: [String: TFFeature]

    public init(features: [String: TFFeature] = [:]) { self.features = features }

    /// Decodes the serialized `Example` in `data`. Throws `TFExample.DecodingError` saying what is malformed.
    public init(decoding data: ArraySlice<UInt8>) throws(DecodingError) {
        features = [:]
        var example = WireReader(data)
        while let (field, wire) = try example.nextTag() {
            guard field == 1, wire == .lengthDelimited else {
                try example.skip(wire)
                continue
            }
            var featureMap = WireReader(try example.lengthDelimited())
            while let (entryField, entryWire) = try featureMap.nextTag() {
                guard entryField == 1, entryWire == .lengthDelimited else {
                    try featureMap.skip(entryWire)
                    continue
                }
                var entry = WireReader(try featureMap.lengthDelimited())
                var key = ""
                var value: TFFeature?
                while let (part, partWire) = try entry.nextTag() {
                    switch (part, partWire) {
                    case (1, .lengthDelimited):
                        guard let text = String(validating: try entry.lengthDelimited(), as: UTF8.self) else {
                            throw DecodingError(reason: "a feature name is not UTF-8")
                        }
                        key = text
                    case (2, .lengthDelimited):
                        value = try Self.feature(try entry.lengthDelimited())
                    default:
                        try entry.skip(partWire)
                    }
                }
                // A map entry without a value holds the default message: a Feature with no kind.
                features[key] = value ?? features[key]
            }
        }
    }

    /// Decodes a `tf.train.Feature`; nil when no kind is set.
    private static func feature(_ data: ArraySlice<UInt8>) throws(DecodingError) -> TFFeature? {
        var reader = WireReader(data)
        var result: TFFeature?
        while let (field, wire) = try reader.nextTag() {
            guard (1...3).contains(field), wire == .lengthDelimited else {
                try reader.skip(wire)
                continue
            }
            var list = WireReader(try reader.lengthDelimited())
            switch field {
            case 1:
                var values: [[UInt8]] = []
                while let (item, itemWire) = try list.nextTag() {
                    if item == 1 && itemWire == .lengthDelimited {
                        values.append(Array(try list.lengthDelimited()))
                    } else {
                        try list.skip(itemWire)
                    }
                }
                result = .bytes(values)
            case 2:
                var values: [Float] = []
                while let (item, itemWire) = try list.nextTag() {
                    switch (item, itemWire) {
                    case (1, .lengthDelimited):
                        var packed = WireReader(try list.lengthDelimited())
                        guard packed.remaining % 4 == 0 else {
                            throw DecodingError(reason: "a packed float_list has a length that is not a multiple of 4")
                        }
                        while packed.remaining > 0 { values.append(Float(bitPattern: try packed.fixed32())) }
                    case (1, .fixed32):
                        values.append(Float(bitPattern: try list.fixed32()))
                    default:
                        try list.skip(itemWire)
                    }
                }
                result = .floats(values)
            default:
                var values: [Int64] = []
                while let (item, itemWire) = try list.nextTag() {
                    switch (item, itemWire) {
                    case (1, .lengthDelimited):
                        var packed = WireReader(try list.lengthDelimited())
                        while packed.remaining > 0 { values.append(Int64(bitPattern: try packed.varint())) }
                    case (1, .varint):
                        values.append(Int64(bitPattern: try list.varint()))
                    default:
                        try list.skip(itemWire)
                    }
                }
                result = .int64s(values)
            }
        }
        return result
    }

    /// Why a record is not a serialized `tf.train.Example`.
    public struct DecodingError: Error, Sendable, Equatable {
        /// What is malformed, for the message that names the file and the record.
        public var reason: String

        public init(reason: String) { self.reason = reason }
    }
}

/// The protobuf wire types.
enum WireType: UInt64 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Reads protobuf wire-format fields from a byte slice.
struct WireReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.endIndex - index }

    /// The next field number and wire type; nil at the end.
    mutating func nextTag() throws(TFExample.DecodingError) -> (field: UInt64, wire: WireType)? {
        guard index < bytes.endIndex else { return nil }
        let tag = try varint()
        guard let wire = WireType(rawValue: tag & 7) else {
            throw TFExample.DecodingError(reason: "wire type \(tag & 7) does not exist")
        }
        guard tag >> 3 > 0 else { throw TFExample.DecodingError(reason: "field number 0 does not exist") }
        return (tag >> 3, wire)
    }

    /// A base-128 varint (at most 10 bytes).
    mutating func varint() throws(TFExample.DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex else { throw TFExample.DecodingError(reason: "a number is cut short") }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw TFExample.DecodingError(reason: "a number is longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A little-endian 32-bit value.
    mutating func fixed32() throws(TFExample.DecodingError) -> UInt32 {
        guard remaining >= 4 else { throw TFExample.DecodingError(reason: "a 32-bit value is cut short") }
        var value: UInt32 = 0
        for offset in 0..<4 { value |= UInt32(bytes[index + offset]) << (8 * UInt32(offset)) }
        index += 4
        return value
    }

    /// The payload of a length-delimited field.
    mutating func lengthDelimited() throws(TFExample.DecodingError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(remaining) else {
            throw TFExample.DecodingError(reason: "a field's length (\(length) bytes) runs past the record's end")
        }
        let start = index
        index += Int(length)
        return bytes[start..<index]
    }

    /// Skips a field's value of wire type `wire` (groups included, nested up to 64 deep: hostile input must not
    /// exhaust the stack).
    mutating func skip(_ wire: WireType, depth: Int = 0) throws(TFExample.DecodingError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64:
            guard remaining >= 8 else { throw TFExample.DecodingError(reason: "a 64-bit value is cut short") }
            index += 8
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed32: _ = try fixed32()
        case .startGroup:
            guard depth < 64 else { throw TFExample.DecodingError(reason: "groups are nested more than 64 deep") }
            while true {
                guard let (_, inner) = try nextTag() else {
                    throw TFExample.DecodingError(reason: "a group is not closed")
                }
                if inner == .endGroup { return }
                try skip(inner, depth: depth + 1)
            }
        case .endGroup:
            throw TFExample.DecodingError(reason: "a group ends that was not opened")
        }
    }
}
