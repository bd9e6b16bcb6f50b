import EvalStore
import Foundation
import NIOCore
import PostgresNIO

extension StoreValue {
    /// A cell as evaldb's value types hold it, the way SQLite would give the same value: integers (bool as 0/1),
    /// reals, text (json as its text), blobs; `numeric` as an integer when it has no fractional part, else a real.
    /// Other types (dates, arrays, ...) as PostgreSQL prints them.
    init(_ cell: PostgresCell) {
        guard var bytes = cell.bytes else {
            self = .null
            return
        }
        guard cell.format == .binary else {
            self = .text(bytes.readString(length: bytes.readableBytes) ?? "")
            return
        }
        switch cell.dataType {
        case .int2: self = bytes.readInteger(as: Int16.self).map { .integer(Int64($0)) } ?? .null
        case .int4: self = bytes.readInteger(as: Int32.self).map { .integer(Int64($0)) } ?? .null
        case .int8: self = bytes.readInteger(as: Int64.self).map { .integer($0) } ?? .null
        case .oid: self = bytes.readInteger(as: UInt32.self).map { .integer(Int64($0)) } ?? .null
        case .float4:
            self = bytes.readInteger(as: UInt32.self).map { .real(Double(Float(bitPattern: $0))) } ?? .null
        case .float8: self = bytes.readInteger(as: UInt64.self).map { .real(Double(bitPattern: $0)) } ?? .null
        case .bool: self = bytes.readInteger(as: UInt8.self).map { .integer($0 == 0 ? 0 : 1) } ?? .null
        case .bytea: self = .blob(bytes.readBytes(length: bytes.readableBytes) ?? [])
        case .numeric:
            let text = PostgresData(type: .numeric, formatCode: .binary, value: bytes).numeric?.string ?? ""
            if !text.contains("."), let integer = Int64(text) {
                self = .integer(integer)
            } else if let real = Double(text) {
                self = .real(real)
            } else {
                self = .text(text)
            }
        case .jsonb:
            // Binary jsonb is a version byte, then the text.
            bytes.moveReaderIndex(forwardBy: min(1, bytes.readableBytes))
            self = .text(bytes.readString(length: bytes.readableBytes) ?? "")
        case .text, .varchar, .name, .bpchar, .json, .char, .unknown, .regproc:
            self = .text(bytes.readString(length: bytes.readableBytes) ?? "")
        default:
            self = .text(Self.text(of: cell, bytes: bytes))
        }
    }

    /// A value of a type evaldb has no value for, as text: dates and times in ISO 8601 (UTC), UUIDs, and the bytes
    /// in hex otherwise.
    private static func text(of cell: PostgresCell, bytes: ByteBuffer) -> String {
        switch cell.dataType {
        case .timestamp, .timestamptz, .date:
            if let date = try? cell.decode(Date.self) { return date.formatted(.iso8601) }
        case .uuid:
            if let uuid = try? cell.decode(UUID.self) { return uuid.uuidString.lowercased() }
        default: break
        }
        let hex = (bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) ?? []).map {
            String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
        }
        return "\\x" + hex.joined()
    }

    /// The value bound to a parameter of evaldb's own statements.
    var bind: PostgresBind {
        switch self {
        case .null: return .null
        case .integer(let value): return .integer(value)
        case .real(let value): return .real(value)
        case .text(let value): return .text(value)
        case .blob(let value): return .bytes(value)
        }
    }

}

extension PostgresCell {
    /// An integer cell (int2, int4, int8) as Int64; 0 for NULL or another type.
    var int64Value: Int64 {
        guard var bytes, format == .binary else { return 0 }
        switch dataType {
        case .int8: return bytes.readInteger(as: Int64.self) ?? 0
        case .int4: return Int64(bytes.readInteger(as: Int32.self) ?? 0)
        case .int2: return Int64(bytes.readInteger(as: Int16.self) ?? 0)
        default: return StoreValue(self).int64 ?? 0
        }
    }

    /// A float8 (or any number) cell as Double; 0 for NULL.
    var doubleValue: Double {
        guard var bytes, format == .binary else { return 0 }
        if dataType == .float8 { return bytes.readInteger(as: UInt64.self).map { Double(bitPattern: $0) } ?? 0 }
        return StoreValue(self).double ?? 0
    }
}

extension PostgresRow {
    /// The row's values, in column order.
    var values: [StoreValue] { map(StoreValue.init) }

    /// The row's column names, in order.
    var columnNames: [String] { map(\.columnName) }
}

extension PostgresQueryResult {
    /// Every row's values.
    var valueRows: [[StoreValue]] { rows.map(\.values) }

    /// The first row's first value (nil: no row).
    var firstValue: StoreValue? { rows.first.flatMap { $0.first.map(StoreValue.init) } }
}

extension Optional where Wrapped == String {
    var bind: PostgresBind { map { .text($0) } ?? .null }
}

extension Optional where Wrapped == Int64 {
    var bind: PostgresBind { map { .integer($0) } ?? .null }
}

extension Optional where Wrapped == Double {
    var bind: PostgresBind { map { .real($0) } ?? .null }
}

extension Optional where Wrapped == Int {
    var bind: PostgresBind { map { .integer(Int64($0)) } ?? .null }
}
