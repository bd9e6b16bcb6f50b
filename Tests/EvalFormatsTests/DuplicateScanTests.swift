import EvalFormats
import EvalKit
import Testing

/// The duplicate scan has two paths: a small table per image when each image's rows are contiguous, one table over
/// all rows otherwise. Both must find exactly the rows a plain set of earlier rows finds, in the same order.
@Suite struct DuplicateScanTests {
    let catalog = DatasetCatalog(
        name: "toy", format: .coco,
        images: (1...6).map { .init(id: Int64($0), fileName: "\($0).jpg", width: 640, height: 480) },
        categories: [CategoryRecord(id: 1, name: "person"), CategoryRecord(id: 3, name: "car")],
        largestGroundTruthCoordinate: 600)

    /// Rows drawn from a small set of values, so that many repeat; grouped by image or interleaved.
    func randomRows(seed: UInt64, count: Int, grouped: Bool) -> [(image: Int64, category: Int64, values: [Double])] {
        var random = JSONTestSupport.SeededRandom(seed: seed)
        var rows = (0..<count).map { _ in
            (
                image: Int64.random(in: 1...6, using: &random), category: [Int64(1), 3].randomElement(using: &random)!,
                values: [
                    [0.5, 0.9].randomElement(using: &random)!, Double(Int.random(in: 0...2, using: &random)) * 10,
                    20, Double(Int.random(in: 1...2, using: &random)) * 30, 40,
                ]
            )
        }
        if grouped { rows.sort { $0.image < $1.image } }  // stable: the order within an image stays
        return rows
    }

    func batch(_ rows: [(image: Int64, category: Int64, values: [Double])]) -> DetectionBatch {
        var batch = DetectionBatch(format: .coco, boxEncoding: .xywh, files: ["dets.json"])
        for (index, row) in rows.enumerated() {
            batch.append(
                image: .id(row.image), category: .id(row.category), score: row.values[0], row.values[1],
                row.values[2], row.values[3], row.values[4], file: 0, line: Int32(index + 1))
        }
        return batch
    }

    /// The rows that repeat an earlier one, by a set of the rows seen.
    func reference(_ rows: [(image: Int64, category: Int64, values: [Double])]) -> [Int] {
        var seen = Set<[Double]>()
        var repeats: [Int] = []
        for (index, row) in rows.enumerated()
        where !seen.insert([Double(row.image), Double(row.category)] + row.values).inserted {
            repeats.append(index)
        }
        return repeats
    }

    @Test(arguments: [false, true])
    func bothPathsFindTheRowsASetFinds(grouped: Bool) throws {
        var checkedRepeats = 0
        for seed in UInt64(1)...40 {
            let rows = randomRows(seed: seed, count: Int(seed % 7) * 9 + 3, grouped: grouped)
            let expected = reference(rows)
            let result = DetectionDiagnosis.diagnose(
                batch(rows), against: catalog, options: DiagnosisOptions(dropsDuplicates: true))
            // Kept: every row but the repeats, in order.
            let kept = rows.indices.filter { !expected.contains($0) }.map { rows[$0] }
            let boxes = result.detections.boxes
            #expect(boxes.score == kept.map { $0.values[0] }, "seed \(seed)")
            #expect(boxes.x == kept.map { $0.values[1] })
            #expect(boxes.width == kept.map { $0.values[3] })
            #expect(boxes.category == kept.map(\.category))
            #expect(boxes.image.map { Int64($0) + 1 } == kept.map(\.image))
            let finding = DetectionDiagnosis.diagnose(batch(rows), against: catalog).report.finding(
                "duplicate-detections")
            #expect(finding?.count == (expected.isEmpty ? nil : expected.count), "seed \(seed)")
            // Examples name the first repeats, in row order (line = row + 1).
            if let finding {
                let lines = finding.examples.map { $0.split(separator: ":")[1] }
                #expect(lines == expected.prefix(lines.count).map { "\($0 + 1)"[...] })
            }
            checkedRepeats += expected.count
        }
        #expect(checkedRepeats > 100)
    }
}
