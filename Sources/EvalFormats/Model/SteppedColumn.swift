/// A column of `Int32` stored as runs of evenly stepped values: a file index (one run per file), a line number
/// (one run per file of one row a line, one run for a JSON list written on one line or pretty-printed with
/// objects of the same shape). Costs 12 bytes a run instead of 4 a row; a column whose runs stay short falls
/// back to one value a row, so it never takes much more than a plain array.
///
/// Reading a row is a binary search among the runs: meant for messages, not hot loops.
public struct SteppedColumn: RandomAccessCollection, Equatable, Sendable {
    /// First row of each run (increasing), its value and the step to the next row's value.
    private var runStarts: [Int] = []
    private var runValues: [Int32] = []
    private var runSteps: [Int32] = []
    /// One value a row, once the runs proved short.
    private var dense: [Int32]?
    public private(set) var count = 0

    public init() {}

    /// A column holding `values` in order.
    public init(_ values: some Sequence<Int32>) {
        for value in values { append(value) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(row: Int) -> Int32 {
        if let dense { return dense[row] }
        precondition(row >= 0 && row < count, "row out of range")
        // The last run starting at or before `row`.
        var low = 0
        var high = runStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if runStarts[middle] <= row { low = middle } else { high = middle - 1 }
        }
        return runValues[low] &+ runSteps[low] &* Int32(truncatingIfNeeded: row - runStarts[low])
    }

    /// Appends a value.
    @inline(__always)
    public mutating func append(_ value: Int32) {
        defer { count += 1 }
        if dense != nil {
            dense!.append(value)
            return
        }
        if let last = runStarts.indices.last {
            let length = count - runStarts[last]
            if length == 1 {
                runSteps[last] = value &- runValues[last]
                return
            }
            if runValues[last] &+ runSteps[last] &* Int32(truncatingIfNeeded: length) == value { return }
        }
        runStarts.append(count)
        runValues.append(value)
        runSteps.append(0)
        // Runs averaging under 8 rows cost more than a value a row.
        if runStarts.count >= 1024 && runStarts.count * 8 > count {
            dense = Array(self) + [value]
            dense!.reserveCapacity(2 * count)
            runStarts = []
            runValues = []
            runSteps = []
        }
    }

    /// Adds `delta` to every value.
    public mutating func add(_ delta: Int32) {
        if dense != nil {
            for row in dense!.indices { dense![row] &+= delta }
        } else {
            for run in runValues.indices { runValues[run] &+= delta }
        }
    }

    /// Appends the values of `other`, in order.
    public mutating func append(contentsOf other: SteppedColumn) {
        if let values = other.dense {
            for value in values { append(value) }
            return
        }
        for run in other.runStarts.indices {
            let end = run + 1 < other.runStarts.count ? other.runStarts[run + 1] : other.count
            let (value, step) = (other.runValues[run], other.runSteps[run])
            for k in 0..<(end - other.runStarts[run]) { append(value &+ step &* Int32(truncatingIfNeeded: k)) }
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    /// Whether the column holds `values`, in order.
    public static func == (lhs: Self, rhs: [Int32]) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}
