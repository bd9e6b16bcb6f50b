/// The ignored-region mask of one image, queried as the toolkit's `dropObjectsInIgr.m` queries its integral
/// image (1-based MATLAB indexing kept in the arithmetic, so each clamp reads as in the source).
///
/// The toolkit paints an H x W mask and integrates it; only the integral's values at box corners are used, so
/// this keeps the mask compressed: the region edges cut the rows and columns into intervals, each cell of that
/// grid is wholly in or out of the mask, and `I(row, column)` is read from prefix sums over the grid. The
/// counts are the same integers, at a cost that grows with the number of regions instead of the image area.
struct VisDroneRegionMask {
    /// The first row / column of each interval, ascending, starting at 1; the last runs to the image edge.
    private let rowStarts: [Int]
    private let columnStarts: [Int]
    /// `rowStarts.count x columnStarts.count`: whether each grid cell is masked.
    private let isMasked: [Bool]
    /// `(rows + 1) x (columns + 1)`: masked pixels in the cells before row interval `i` and column interval `j`.
    private let cornerArea: [Int]
    /// `(rows + 1) x columns`: masked rows in column interval `j`, over the row intervals before `i`.
    private let maskedRowsAbove: [Int]
    /// `rows x (columns + 1)`: masked columns in row interval `i`, over the column intervals before `j`.
    private let maskedColumnsLeft: [Int]
    private let width: Int
    private let height: Int

    /// The mask of `regions` (x, y, w, h) on a `width` x `height` image, or nil when there is no region (the
    /// toolkit then drops nothing) or the image size is unknown (0).
    ///
    /// Each region has every coordinate clamped to `max(1, v)` and covers rows `y...min(height, y + h)` and
    /// columns `x...min(width, x + w)`, both ends included. The toolkit requires whole numbers here (MATLAB
    /// indexing); a fractional region covers the whole pixels of that span.
    init?(width: Int, height: Int, regions: [(x: Double, y: Double, width: Double, height: Double)]) {
        // Sizes beyond 2^31 are refused at import; a store written before that is read as of unknown size here
        // rather than overflowing the integer arithmetic below.
        guard !regions.isEmpty, width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            return nil
        }
        self.width = width
        self.height = height
        var spans: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)] = []
        for region in regions {
            let x = Double.maximum(1, region.x)
            let y = Double.maximum(1, region.y)
            let w = Double.maximum(1, region.width)
            let h = Double.maximum(1, region.height)
            let firstRow = y.rounded(.up)
            let lastRow = Double.minimum(Double(height), y + h).rounded(.down)
            let firstColumn = x.rounded(.up)
            let lastColumn = Double.minimum(Double(width), x + w).rounded(.down)
            guard firstRow <= lastRow, firstColumn <= lastColumn else { continue }
            spans.append((Int(firstRow)...Int(lastRow), Int(firstColumn)...Int(lastColumn)))
        }
        func starts(_ edges: [ClosedRange<Int>], limit: Int) -> [Int] {
            Array(Set([1] + edges.flatMap { [$0.lowerBound, $0.upperBound + 1] }.filter { $0 <= limit })).sorted()
        }
        let rowStarts = starts(spans.map(\.rows), limit: height)
        let columnStarts = starts(spans.map(\.columns), limit: width)
        let rowLengths = zip(rowStarts, rowStarts.dropFirst() + [height + 1]).map { $1 - $0 }
        let columnLengths = zip(columnStarts, columnStarts.dropFirst() + [width + 1]).map { $1 - $0 }
        let rows = rowStarts.count
        let columns = columnStarts.count

        var isMasked = [Bool](repeating: false, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<columns {
                // Intervals never straddle a region edge, so the cell's first pixel decides.
                isMasked[i * columns + j] = spans.contains {
                    $0.rows.contains(rowStarts[i]) && $0.columns.contains(columnStarts[j])
                }
            }
        }
        var cornerArea = [Int](repeating: 0, count: (rows + 1) * (columns + 1))
        var maskedRowsAbove = [Int](repeating: 0, count: (rows + 1) * columns)
        var maskedColumnsLeft = [Int](repeating: 0, count: rows * (columns + 1))
        for i in 0..<rows {
            for j in 0..<columns {
                let masked = isMasked[i * columns + j]
                maskedRowsAbove[(i + 1) * columns + j] = maskedRowsAbove[i * columns + j] + (masked ? rowLengths[i] : 0)
                maskedColumnsLeft[i * (columns + 1) + j + 1] =
                    maskedColumnsLeft[i * (columns + 1) + j] + (masked ? columnLengths[j] : 0)
                cornerArea[(i + 1) * (columns + 1) + j + 1] =
                    cornerArea[i * (columns + 1) + j + 1] + rowLengths[i] * maskedColumnsLeft[i * (columns + 1) + j + 1]
            }
        }
        self.rowStarts = rowStarts
        self.columnStarts = columnStarts
        self.isMasked = isMasked
        self.cornerArea = cornerArea
        self.maskedRowsAbove = maskedRowsAbove
        self.maskedColumnsLeft = maskedColumnsLeft
    }

    /// The index of the interval holding `value` (>= 1).
    private static func interval(of value: Int, in starts: [Int]) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The toolkit's integral image `I(row, column)`: masked pixels in rows `1...row`, columns `1...column`.
    func integral(row: Int, column: Int) -> Int {
        let i = Self.interval(of: row, in: rowStarts)
        let j = Self.interval(of: column, in: columnStarts)
        let columns = columnStarts.count
        let partialRows = row - rowStarts[i] + 1
        let partialColumns = column - columnStarts[j] + 1
        return cornerArea[i * (columns + 1) + j] + partialColumns * maskedRowsAbove[i * columns + j]
            + partialRows * maskedColumnsLeft[i * (columns + 1) + j]
            + (isMasked[i * columns + j] ? partialRows * partialColumns : 0)
    }

    /// Whether the toolkit drops the box `x, y, w, h` (a ground truth or a detection): its masked share is not
    /// below one half.
    ///
    /// `p = max(1, round(v))` per coordinate (half away from zero; MATLAB's `max` passes over NaN), the corner
    /// clamped into the image, the far corner `min(width, x + w)` and `max(1, min(height, y + h))`, the masked
    /// count `I(y, x) + I(y2, x2) - I(y, x2) - I(y2, x)` (the row and column of the corner itself are not
    /// counted, as in the toolkit) over `w * h`; dropped unless that is `< 0.5`.
    func drops(x: Double, y: Double, width boxWidth: Double, height boxHeight: Double) -> Bool {
        let px = Double.maximum(1, x.rounded())
        let py = Double.maximum(1, y.rounded())
        let w = Double.maximum(1, boxWidth.rounded())
        let h = Double.maximum(1, boxHeight.rounded())
        let left = Int(Double.maximum(1, Double.minimum(Double(width), px)))
        let top = Int(Double.maximum(1, Double.minimum(Double(height), py)))
        let right = Int(Double.minimum(Double(width), Double(left) + w))
        let bottom = Int(Double.maximum(1, Double.minimum(Double(height), Double(top) + h)))
        let topLeft = integral(row: top, column: left)
        let topRight = integral(row: top, column: right)
        let bottomLeft = integral(row: bottom, column: left)
        let bottomRight = integral(row: bottom, column: right)
        let masked = topLeft + bottomRight - topRight - bottomLeft
        return !(Double(masked) / (h * w) < 0.5)
    }
}
