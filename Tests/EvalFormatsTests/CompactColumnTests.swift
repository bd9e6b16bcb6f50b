import Testing

@testable import EvalFormats

/// The compact columns a detection batch keeps its references and locations in.
@Suite struct CompactColumnTests {
    @Test func referencesReadBackAsWrittenAcrossWideningAndNames() {
        let keys: [ImageKey] = [
            .id(7), .id(-3), .name("a.jpg"), .id(7), .id(Int64(Int32.max) + 1), .name("b.jpg"), .name("a.jpg"),
            .id(Int64.min), .id(0),
        ]
        let column = ReferenceColumn(keys)
        #expect(column == keys)
        #expect(Array(column) == keys)
        #expect(column.names == ["a.jpg", "b.jpg"])
        #expect(column.hasNames)
    }

    @Test func codesAreEqualExactlyForEqualReferences() {
        // An id equal to a name's index must not share its code.
        let keys: [CategoryKey] = [.id(0), .name("car"), .id(0), .name("car"), .id(1), .name("bus")]
        let column = ReferenceColumn(keys)
        for i in keys.indices {
            for j in keys.indices {
                #expect((column.code(at: i) == column.code(at: j)) == (keys[i] == keys[j]), "rows \(i), \(j)")
            }
        }
    }

    @Test func idsOnlyKeepNoNameFlags() {
        var column = ReferenceColumn<ImageKey>()
        for id in 0..<1000 { column.append(id: Int64(id / 10)) }
        #expect(!column.hasNames)
        #expect(column[999] == .id(99))
        #expect(column.code(at: 10) == column.code(at: 19))
        #expect(column.code(at: 9) != column.code(at: 10))
    }

    @Test(arguments: [
        [Int32](repeating: 1, count: 50),
        Array(stride(from: 2, through: 200, by: 11)),
        [1, 3, 1, 1, 2, 3, 4, 10, 10, 10, 0, -5],
        (0..<5000).map { Int32(($0 * 7919) % 1013) },
        [],
    ])
    func steppedColumnReadsBackAsWritten(values: [Int32]) {
        let column = SteppedColumn(values)
        #expect(column.count == values.count)
        #expect(column == values)
        for (row, value) in values.enumerated() { #expect(column[row] == value) }
    }

    @Test func rowNumbersStayACountUntilARowIsLeftOut() {
        var rows = RowNumbers()
        for row: Int32 in [0, 1, 2] { rows.append(row) }
        #expect(rows == [0, 1, 2])
        rows.append(5)
        rows.append(6)
        #expect(rows == [0, 1, 2, 5, 6])
        #expect(rows[3] == 5 && rows.count == 5)
        var skipsFirst = RowNumbers()
        skipsFirst.append(1)
        #expect(skipsFirst == [1])
    }
}
