import EvalFormats
import EvalKit
import Testing

@testable import EvalStoreSQLite

/// The order a run's detections are stored in: the detections table's clustered key (image row id, then seq).
@Suite struct ClusteredOrderTests {
    func detections(images: [Int32]) -> ResolvedDetections {
        var detections = ResolvedDetections()
        for (row, image) in images.enumerated() {
            detections.row.append(Int32(row))
            detections.boxes.append(image: image, category: 1, score: 0.5, x: 0, y: 0, width: 1, height: 1)
        }
        return detections
    }

    @Test func inputInKeyOrderIsStoredAsItComes() {
        #expect(SQLiteRuns.clusteredOrder(detections(images: [0, 0, 1, 2, 2]), imageRowIDs: [10, 11, 12]) == nil)
    }

    @Test func otherOrdersAreSortedByImageRowIDKeepingInputOrderWithinAnImage() {
        // Catalog images 0, 1, 2 have row ids 30, 10, 20: key order is image 1, then 2, then 0.
        let order = SQLiteRuns.clusteredOrder(
            detections(images: [0, 2, 1, 0, 1, 2]), imageRowIDs: [30, 10, 20])
        #expect(order == [2, 4, 1, 5, 0, 3])
    }
}
