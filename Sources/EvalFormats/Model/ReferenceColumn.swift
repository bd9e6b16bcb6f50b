/// A reference to an image or a category as a detection writes it: a numeric id or a name.
public protocol Reference: Hashable, Sendable {
    /// A numeric id.
    static func id(_ id: Int64) -> Self
    /// A name.
    static func name(_ name: String) -> Self
    /// The numeric id, or the name: exactly one is non-nil.
    var parts: (id: Int64?, name: String?) { get }
}

extension ImageKey: Reference {
    public var parts: (id: Int64?, name: String?) {
        switch self {
        case .id(let id): return (id, nil)
        case .name(let name): return (nil, name)
        }
    }
}

extension CategoryKey: Reference {
    public var parts: (id: Int64?, name: String?) {
        switch self {
        case .id(let id): return (id, nil)
        case .name(let name): return (nil, name)
        }
    }
}

/// A column of references stored compactly: a number per row (4 bytes while every id fits 32 bits, else 8) and
/// each distinct name once. An array of the enum would take 24 bytes a row (a String payload and a tag), which at
/// 5M detections is 120 MB per column.
///
public struct ReferenceColumn<Key: Reference>: RandomAccessCollection, Equatable, Sendable {
    /// The ids (or name indexes) while all fit 32 bits; empty once `wide` is in use.
    private var narrow: [Int32] = []
    /// The ids (or name indexes) once one does not fit 32 bits.
    private var wide: [Int64] = []
    private var isWide = false
    /// Per row: whether it holds a name; empty while no row does.
    private var isName: [Bool] = []
    /// The distinct names, in order of first appearance.
    public private(set) var names: [String] = []
    private var nameIndex: [String: Int64] = [:]

    public init() {}

    /// A column holding `keys` in order.
    public init(_ keys: some Sequence<Key>) {
        for key in keys { append(key) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { isWide ? wide.count : narrow.count }

    /// The reference in row `row`.
    public subscript(row: Int) -> Key {
        let value = number(at: row)
        if !isName.isEmpty && isName[row] { return .name(names[Int(value)]) }
        return .id(value)
    }

    /// The id of row `row`, or the index of its name in `names`.
    @inline(__always)
    public func number(at row: Int) -> Int64 {
        isWide ? wide[row] : Int64(narrow[row])
    }

    /// Whether row `row` holds a name.
    @inline(__always)
    public func holdsName(at row: Int) -> Bool {
        !isName.isEmpty && isName[row]
    }

    /// Whether some row holds a name.
    public var hasNames: Bool { !names.isEmpty }

    /// A value equal for two rows exactly when they hold the same reference, cheaper to compare and hash than the
    /// reference.
    @inline(__always)
    public func code(at row: Int) -> ReferenceCode {
        ReferenceCode(number: number(at: row), isName: holdsName(at: row))
    }

    /// Reserves room for `n` rows.
    public mutating func reserveCapacity(_ n: Int) {
        if isWide { wide.reserveCapacity(n) } else { narrow.reserveCapacity(n) }
    }

    /// Appends a numeric id.
    @inline(__always)
    public mutating func append(id: Int64) {
        appendNumber(id)
        if !isName.isEmpty { isName.append(false) }
    }

    /// Appends a name.
    public mutating func append(name: String) {
        let index: Int64
        if let known = nameIndex[name] {
            index = known
        } else {
            index = Int64(names.count)
            names.append(name)
            nameIndex[name] = index
        }
        append(nameIndex: index)
    }

    /// Appends a reference.
    @inline(__always)
    public mutating func append(_ key: Key) {
        let (id, name) = key.parts
        if let id { append(id: id) } else { append(name: name ?? "") }
    }

    /// Appends the rows of `other`, in order: its names take this column's indexes, the new ones in the order
    /// `other` met them, so the column equals one built by appending every row one by one.
    public mutating func append(contentsOf other: ReferenceColumn) {
        var nameIndexes: [Int64] = []
        nameIndexes.reserveCapacity(other.names.count)
        for name in other.names {
            if let known = nameIndex[name] {
                nameIndexes.append(known)
            } else {
                nameIndexes.append(Int64(names.count))
                nameIndex[name] = Int64(names.count)
                names.append(name)
            }
        }
        reserveCapacity(count + other.count)
        for row in other.indices {
            if other.holdsName(at: row) {
                append(nameIndex: nameIndexes[Int(other.number(at: row))])
            } else {
                append(id: other.number(at: row))
            }
        }
    }

    /// Appends the name at `index` in `names`.
    private mutating func append(nameIndex index: Int64) {
        if isName.isEmpty {
            isName = [Bool](repeating: false, count: count)
            isName.reserveCapacity(Swift.max(narrow.capacity, wide.capacity))
        }
        appendNumber(index)
        isName.append(true)
    }

    @inline(__always)
    private mutating func appendNumber(_ value: Int64) {
        if isWide {
            wide.append(value)
        } else if let small = Int32(exactly: value) {
            narrow.append(small)
        } else {
            wide = narrow.map(Int64.init)
            wide.reserveCapacity(narrow.capacity)
            narrow = []
            isWide = true
            wide.append(value)
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    /// Whether the column holds `keys`, in order.
    public static func == (lhs: Self, rhs: [Key]) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

/// A row's reference as its column stores it: the id, or the index of the name.
public struct ReferenceCode: Hashable, Sendable {
    public var number: Int64
    public var isName: Bool

    /// The code as 64 bits for a hash (names and ids of the same number differ in the top bit).
    @inline(__always)
    public var hashBits: UInt64 { UInt64(bitPattern: number) ^ (isName ? 0x8000_0000_0000_0000 : 0) }
}
