import EvalFormats
import EvalKit
import EvalSQLite
import EvalStoreSQLite
import Foundation
import Testing

@testable import EvalStore

/// What other processes may do between a command's read and its write, replayed deterministically through the
/// services' test hooks (a second connection to the same file acts where another process could), and how files
/// the store must not touch are left.
@Suite struct ReliabilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let groundTruth = fixtures.appendingPathComponent("coco-val2014-fake100/gt/instances_val2014_100.json").path
    static let detections = fixtures.appendingPathComponent(
        "coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json"
    ).path

    /// A scratch folder, removed by `cleanUp`.
    final class Scratch {
        let folder: URL
        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("evaldb-rel-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    /// The first `keep` of fake100's detections, as a results file (other content than the whole).
    static func partialDetections(_ scratch: Scratch, keep: Int) throws -> String {
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: detections))) as! [Any]
        let path = scratch.path("part\(keep).json")
        try JSONSerialization.data(withJSONObject: Array(rows.prefix(keep))).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A store at `path` with dataset `fake100` and run `r` (fake100's detections).
    static func store(_ path: String) throws -> SQLiteStore {
        let db = try SQLiteStore.open(path: path, mode: .create)
        _ = try Importer(db).importDataset(
            name: "fake100", path: groundTruth, format: nil, options: .init(), replace: false, strict: false)
        _ = try importRun(db, "r", detections)
        return db
    }

    @discardableResult
    static func importRun(_ db: any Store, _ name: String, _ path: String, replace: Bool = false) throws
        -> RunImportResult
    {
        try Importer(db).importRun(
            name: name, path: path, datasetName: "fake100", format: nil, options: DiagnosisOptions(), params: [],
            tags: [], note: nil, replace: replace, strict: false)
    }

    static let coco = EvaluationRequest(evaluationProtocol: .coco)

    @Test func anEvaluationOfARunReplacedMeanwhileIsRedoneForTheNewContent() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        let partial = try Self.partialDetections(scratch, keep: 300)
        var service = EvaluationService(db)
        var replaced = false
        service.beforeStoring = {
            guard !replaced else { return }
            replaced = true
            let other = try SQLiteStore.open(path: path, mode: .write)
            try Self.importRun(other, "r", partial, replace: true)
        }
        let outcome = try service.evaluate(runName: "r", request: Self.coco)
        let current = try db.runs.require(name: "r")
        #expect(replaced)
        #expect(outcome.run.id == current.id && outcome.run.sha256 == current.sha256)
        #expect(outcome.evaluation.runSHA256 == current.sha256)
        // The stored numbers are the new content's: evaluated again from scratch, they agree.
        let fresh = try EvaluationService(db).evaluate(runName: "r", request: Self.coco, force: true)
        let stored = try db.evaluations.summary(
            evaluationID: outcome.evaluation.id, parameters: outcome.parameters)
        let again = try db.evaluations.summary(evaluationID: fresh.evaluation.id, parameters: fresh.parameters)
        #expect(stored.map(\.value) == again.map(\.value))
        #expect(try db.database.fetchValue("SELECT count(*) FROM evaluations").int == 1)
    }

    @Test func anEvaluationOfARunDeletedMeanwhileStoresNothingAndSaysSo() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        var service = EvaluationService(db)
        service.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            let run = try other.runs.require(name: "r")
            try other.write { try other.runs.delete(id: run.id) }
        }
        #expect(throws: StoreError.runChanged(name: "r")) { try service.evaluate(runName: "r", request: Self.coco) }
        #expect(try db.database.fetchValue("SELECT count(*) FROM evaluations").int == 0)
        #expect(try db.database.fetchValue("PRAGMA foreign_key_check").isNull)
    }

    @Test func twoEvaluationsOfOneRunStoreOne() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        var service = EvaluationService(db)
        service.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            _ = try EvaluationService(other).evaluate(runName: "r", request: Self.coco)
        }
        let outcome = try service.evaluate(runName: "r", request: Self.coco)
        #expect(outcome.wasReused)
        #expect(try db.database.fetchValue("SELECT count(*) FROM evaluations").int == 1)
    }

    @Test func anImportRacingAnIdenticalOneIsUnchanged() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        var importer = Importer(db)
        importer.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            try Self.importRun(other, "twin", Self.detections)
        }
        let result = try importer.importRun(
            name: "twin", path: Self.detections, datasetName: "fake100", format: nil, options: DiagnosisOptions(),
            params: [], tags: [], note: nil, replace: false, strict: false)
        #expect(result.outcome == .unchanged)
        #expect(try db.database.fetchValue("SELECT count(*) FROM runs WHERE name = 'twin'").int == 1)
    }

    @Test func twoReplacesAtOnceBothSucceedAndTheLastWins() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        let first = try Self.partialDetections(scratch, keep: 200)
        let second = try Self.partialDetections(scratch, keep: 400)
        var importer = Importer(db)
        importer.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            try Self.importRun(other, "r", first, replace: true)
        }
        let result = try importer.importRun(
            name: "r", path: second, datasetName: "fake100", format: nil, options: DiagnosisOptions(), params: [],
            tags: [], note: nil, replace: true, strict: false)
        #expect(result.outcome == .replaced)
        #expect(try db.runs.require(name: "r").detectionCount == 400)
        #expect(try db.database.fetchValue("SELECT count(*) FROM detections").int == 400)
    }

    /// A new name is stored with the store's per-row reference checks off: a run of that name imported meanwhile
    /// and replaced by this import must still lose all its rows (the delete cascades), with every reference valid.
    @Test func aReplaceOfARunImportedMeanwhileUnderANewNameCascades() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        let first = try Self.partialDetections(scratch, keep: 300)
        let second = try Self.partialDetections(scratch, keep: 120)
        var importer = Importer(db)
        importer.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            try Self.importRun(other, "late", first)
            _ = try EvaluationService(other).evaluate(runName: "late", request: Self.coco)
        }
        let result = try importer.importRun(
            name: "late", path: second, datasetName: "fake100", format: nil, options: DiagnosisOptions(), params: [],
            tags: [], note: nil, replace: true, strict: false)
        #expect(result.outcome == .replaced)
        let run = try db.runs.require(name: "late")
        #expect(run.detectionCount == 120)
        #expect(
            try db.database.fetchValue("SELECT count(*) FROM detections WHERE run_id = ?", [.integer(run.id)]).int
                == 120)
        // Nothing of the replaced run is left, and the references hold.
        #expect(
            try db.database.fetchValue("SELECT count(*) FROM detections WHERE run_id NOT IN (SELECT id FROM runs)").int
                == 0)
        #expect(
            try db.database.fetchValue("SELECT count(*) FROM evaluations WHERE run_id NOT IN (SELECT id FROM runs)").int
                == 0)
        #expect(try db.database.fetchAll("PRAGMA foreign_key_check").isEmpty)
        #expect(try db.database.fetchValue("PRAGMA foreign_keys").int == 1)
    }

    /// Rows resolved against a dataset that another process replaced meanwhile are not stored against its successor.
    @Test func anImportWhoseDatasetWasReplacedMeanwhileStoresNothing() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let db = try Self.store(path)
        // The same images with one box fewer: other content, likely under the same row ids.
        var dataset =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.groundTruth)))
            as! [String: Any]
        dataset["annotations"] = (dataset["annotations"] as! [Any]).dropLast().map { $0 }
        let changed = scratch.path("changed.json")
        try JSONSerialization.data(withJSONObject: dataset).write(to: URL(fileURLWithPath: changed))
        var importer = Importer(db)
        importer.beforeStoring = {
            let other = try SQLiteStore.open(path: path, mode: .write)
            try other.write {
                for name in try other.runs.names() { try other.runs.delete(id: try other.runs.require(name: name).id) }
                try other.datasets.delete(id: try other.datasets.require(name: "fake100").id)
            }
            _ = try Importer(other).importDataset(
                name: "fake100", path: changed, format: nil, options: .init(), replace: false, strict: false)
        }
        #expect(throws: StoreError.datasetChanged(name: "fake100")) {
            try importer.importRun(
                name: "fresh", path: Self.detections, datasetName: "fake100", format: nil, options: DiagnosisOptions(),
                params: [], tags: [], note: nil, replace: false, strict: false)
        }
        #expect(try db.database.fetchValue("SELECT count(*) FROM runs").int == 0)
        #expect(try db.database.fetchValue("SELECT count(*) FROM detections").int == 0)
        #expect(try db.database.fetchValue("PRAGMA foreign_keys").int == 1)
        // Imported again, it is stored against the dataset as it now is, with every reference valid.
        try Self.importRun(db, "fresh", Self.detections)
        #expect(try db.database.fetchAll("PRAGMA foreign_key_check").isEmpty)
    }

    @Test func aReplacedBaselineStaysTheBaseline() throws {
        let scratch = try Scratch()
        let db = try Self.store(scratch.path("s.sqlite"))
        try db.write { try db.baselines.set(try db.runs.require(name: "r")) }
        try Self.importRun(db, "r", try Self.partialDetections(scratch, keep: 100), replace: true)
        let datasetID = try db.runs.require(name: "r").datasetID
        #expect(try db.baselines.baseline(datasetID: datasetID) == "r")
    }

    @Test func writersWaitForEachOtherUpToTheBusyTimeout() throws {
        let scratch = try Scratch()
        let path = scratch.path("s.sqlite")
        let holder = try Self.store(path)
        try holder.database.execute("BEGIN IMMEDIATE")
        // A short timeout gives up with a message naming the store and the setting.
        let impatient = try Database(path: path, busyTimeout: .milliseconds(200))
        do {
            try impatient.execute("BEGIN IMMEDIATE")
            Issue.record("the write lock was taken twice")
        } catch {
            #expect(error.isBusy)
            #expect(error.storeDescription.contains("the store '\(path)' is busy"))
            #expect(error.storeDescription.contains("EVALDB_BUSY_TIMEOUT"))
        }
        // A patient writer waits until the other commits.
        let box = Handle(holder.database)
        let release = Thread {
            Thread.sleep(forTimeInterval: 0.5)
            try? box.database.execute("COMMIT")
        }
        release.start()
        let patient = try Database(path: path, busyTimeout: .seconds(30))
        try patient.execute("BEGIN IMMEDIATE")
        try patient.execute("COMMIT")
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func filesThatAreRefusedAreLeftAsTheyWere() throws {
        let scratch = try Scratch()
        // A store of a newer evaldb.
        let newer = scratch.path("newer.sqlite")
        do {
            let db = try Database(path: newer)
            try db.execute("PRAGMA journal_mode = DELETE")
            try db.execute(
                "CREATE TABLE t (x); PRAGMA application_id = \(SchemaMigrator.applicationID); PRAGMA user_version = 999"
            )
        }
        // Another application's SQLite file.
        let other = scratch.path("other.sqlite")
        do {
            let db = try Database(path: other)
            try db.execute("PRAGMA journal_mode = DELETE")
            try db.execute("CREATE TABLE notes (text)")
        }
        for (path, expected) in [
            (newer, StoreError.newerSchema(path: newer, found: 999, supported: SchemaMigrator.currentVersion)),
            (other, StoreError.notAnEvaldbDatabase(path: other)),
        ] {
            let before = try Self.bytes(path)
            for mode in [StoreConnection.Mode.create, .write, .readOnly] {
                #expect(throws: expected) { _ = try StoreConnection.open(path: path, mode: mode) }
            }
            #expect(try Self.bytes(path) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
        // An empty file is no store for a reader or a writer, and stays empty; an importer may make it one.
        let empty = scratch.path("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        for mode in [StoreConnection.Mode.write, .readOnly] {
            #expect(throws: StoreError.emptyStore(path: empty)) {
                _ = try StoreConnection.open(path: empty, mode: mode)
            }
        }
        #expect(try Self.bytes(empty).isEmpty)
        _ = try StoreConnection.open(path: empty, mode: .create)
        #expect(try !Self.bytes(empty).isEmpty)
    }

    @Test func sqliteFailuresNameTheStoreAndTheFix() {
        let cases: [(Int32, String)] = [
            (13, "the disk holding the store '/s.sqlite' is full: nothing of this command was stored"),
            (8, "the store '/s.sqlite' cannot be written"),
            (5, "the store '/s.sqlite' is busy"),
            (26, "'/s.sqlite' is not an evaldb store (not an SQLite database)"),
            (11, "the store '/s.sqlite' is damaged"),
            (14, "cannot open the store '/s.sqlite'"),
        ]
        for (code, expected) in cases {
            let text = DatabaseError(code: code, message: "sqlite says", path: "/s.sqlite").storeDescription
            #expect(text.hasPrefix(expected), "\(code): \(text)")
            #expect(text.hasSuffix("(SQLite \(code): sqlite says)"))
        }
    }

    @Test func namesInAnotherNormalizationAreTheSameRun() throws {
        let scratch = try Scratch()
        let db = try Self.store(scratch.path("s.sqlite"))
        try Self.importRun(db, "caf\u{E9}", Self.detections)  // NFC
        let decomposed = "cafe\u{301}"  // NFD
        #expect(try db.runs.find(name: decomposed)?.name == "caf\u{E9}")
        #expect(try Self.importRun(db, decomposed, Self.detections).outcome == .unchanged)
        #expect(try db.database.fetchValue("SELECT count(*) FROM runs").int == 2)
    }

    @Test(arguments: ["a\u{200B}b", "a\u{202E}b", "\u{FEFF}a", " a", "a\n", "a\u{2028}b"])
    func invisibleOrAmbiguousNamesAreRefused(_ name: String) throws {
        let scratch = try Scratch()
        let db = try Self.store(scratch.path("s.sqlite"))
        #expect(throws: StoreError.self) { try Self.importRun(db, name, Self.detections) }
        #expect(try db.database.fetchValue("SELECT count(*) FROM runs").int == 1)
    }

    @Test func theDocumentedApplicationIDIsTheOneWritten() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schema/README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        #expect(text.contains("PRAGMA application_id = \(SchemaMigrator.applicationID)"))
    }
}

/// A connection handed to one other thread, used by it alone.
final class Handle: @unchecked Sendable {
    let database: Database
    init(_ database: Database) { self.database = database }
}

extension SQLValue {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
