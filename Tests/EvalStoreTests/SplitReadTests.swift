import EvalFormats
import EvalKit
import EvalSQLite
import EvalStore
import Foundation
import Testing

@testable import EvalStoreSQLite

/// Large runs are read for evaluation in two halves by image, by two connections side by side. The halves must
/// give exactly what one connection reads, and fall back to it whenever the fast path's assumptions fail.
@Suite struct SplitReadTests {
    /// fake100's store, with run `r`.
    func store(_ scratch: ReliabilityTests.Scratch) throws -> SQLiteStore {
        try ReliabilityTests.store(scratch.path("s.sqlite"))
    }

    func read(_ db: SQLiteStore, splitThreshold: Int) throws -> EvaluationInputs {
        let run = try db.runs.require(name: "r")
        return try EvaluationInputLoader(db.database, splitThreshold: splitThreshold).inputs(
            datasetID: run.datasetID, runID: run.id)
    }

    func expectSame(_ a: EvaluationInputs, _ b: EvaluationInputs) {
        #expect(a.detections.count == b.detections.count)
        #expect(a.detections.image == b.detections.image)
        #expect(a.detections.category == b.detections.category)
        #expect(a.detections.score == b.detections.score)
        #expect(a.detections.x == b.detections.x)
        #expect(a.detections.y == b.detections.y)
        #expect(a.detections.width == b.detections.width)
        #expect(a.detections.height == b.detections.height)
        #expect(a.seq == b.seq)
        #expect(a.imageRowIDs == b.imageRowIDs)
        #expect(a.boxRowIDs == b.boxRowIDs)
    }

    @Test func twoHalvesReadWhatOneConnectionReads() throws {
        let scratch = try ReliabilityTests.Scratch()
        let db = try store(scratch)
        let whole = try read(db, splitThreshold: .max)
        let halves = try read(db, splitThreshold: 1)
        #expect(whole.detections.count > 500)
        // Both halves hold rows: the split is by image, in the middle of the dataset's images.
        let middle = whole.imageRowIDs.count / 2
        #expect(whole.detections.image.contains { $0 < middle } && whole.detections.image.contains { $0 >= middle })
        expectSame(whole, halves)
        // And the evaluation is the same either way.
        let a = CocoEvaluator.evaluate(whole.groundTruth, whole.detections)
        let b = CocoEvaluator.evaluate(halves.groundTruth, halves.detections)
        #expect(a.stats == b.stats)
    }

    /// Rows whose seq are not 0..<count (a store edited by hand): read in seq order by one connection.
    @Test func rowsNotNumberedFromZeroFallBackToOneConnection() throws {
        let scratch = try ReliabilityTests.Scratch()
        let db = try store(scratch)
        try db.database.execute("UPDATE detections SET seq = seq + 1000000 WHERE seq % 7 = 3")
        let whole = try read(db, splitThreshold: .max)
        let halves = try read(db, splitThreshold: 1)
        #expect(whole.seq.contains { $0 >= 1_000_000 })
        expectSame(whole, halves)
    }

    /// Two rows of one run with the same seq under different images (possible: the key is image, then seq):
    /// each half alone looks fine, together they leave a slot empty.
    @Test func aSeqRepeatedAcrossTheHalvesFallsBackToOneConnection() throws {
        let scratch = try ReliabilityTests.Scratch()
        let db = try store(scratch)
        let ids = try db.database.fetchAll("SELECT DISTINCT image_id FROM detections ORDER BY image_id").compactMap {
            $0[0].int64
        }
        // Give the first row of the last image the seq of the first row of the first image.
        try db.database.execute(
            """
            UPDATE detections SET seq = (SELECT min(seq) FROM detections WHERE image_id = ?)
            WHERE image_id = ? AND seq = (SELECT min(seq) FROM detections WHERE image_id = ?)
            """, [.integer(ids.first!), .integer(ids.last!), .integer(ids.last!)])
        let whole = try read(db, splitThreshold: .max)
        let halves = try read(db, splitThreshold: 1)
        expectSame(whole, halves)
    }
}
