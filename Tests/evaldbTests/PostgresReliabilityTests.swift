import Foundation
import Testing

/// What PostgreSQL must hold under concurrency and crashes (issue 16): an evaluation racing a replace of its run
/// never stores numbers under the wrong content, and an importer killed with SIGKILL leaves all or nothing.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, "set EVALDB_TEST_POSTGRES to a server URL"), .serialized)
struct PostgresReliabilityTests {
    static let coco = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let detections = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    /// Starts the evaldb binary with `arguments`, its output discarded.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "EVALDB_DB")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The fixture's detections with every other one dropped: other content for the same run name.
    static func halfOfTheDetections(_ cli: CLI) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: detections))
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        let half = rows.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        return try cli.write("half.json", try JSONSerialization.data(withJSONObject: half))
    }

    @Test func evaluationsRacingReplacesOfTheirRunBelongToTheContentTheyName() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let half = try Self.halfOfTheDetections(cli)
        let url = database.url
        #expect(try cli.run(["dataset", "import", "fake100", Self.coco, "--db", url], withDatabase: false).status == 0)
        #expect(
            try cli.run(["import", "r", Self.detections, "--dataset", "fake100", "--db", url], withDatabase: false)
                .status == 0)
        let iterations = 40
        var evaluated = 0
        var evaluationsRefused = 0
        var replaced = 0
        for iteration in 0..<iterations {
            // Two evaluations under parameters of their own (forced) against one replace by the other content.
            let file = iteration % 2 == 0 ? half : Self.detections
            let processes = [
                try Self.start(["eval", "r", "--iou", "0.5", "--force", "--db", url]),
                try Self.start(["import", "r", file, "--dataset", "fake100", "--replace", "--db", url]),
                try Self.start(["eval", "r", "--protocol", "voc12", "--force", "--db", url]),
            ]
            for process in processes { process.waitUntilExit() }
            #expect(processes[1].terminationStatus == 0, "iteration \(iteration): the import failed")
            if processes[1].terminationStatus == 0 { replaced += 1 }
            for process in [processes[0], processes[2]] {
                // An evaluation whose run was replaced under it three times says so and stores nothing (exit 1).
                #expect([0, 1].contains(process.terminationStatus))
                if process.terminationStatus == 0 { evaluated += 1 } else { evaluationsRefused += 1 }
            }
            let wrong = try PostgresTestDatabase.psql(
                url,
                "SELECT count(*) FROM evaluations e JOIN runs r ON r.id = e.run_id WHERE e.run_sha256 <> r.sha256")
            #expect(wrong == "0", "iteration \(iteration): \(wrong) evaluation(s) of other content")
            // Each stored evaluation matched the detections of the run it names: one match row per detection.
            let mismatched = try PostgresTestDatabase.psql(
                url,
                """
                SELECT count(*) FROM evaluations e JOIN runs r ON r.id = e.run_id
                WHERE (SELECT coalesce(sum(json_array_length(m.detections)), 0) FROM image_matches m
                       WHERE m.evaluation_id = e.id) > r.detection_count
                """)
            #expect(mismatched == "0", "iteration \(iteration)")
        }
        let stored = try PostgresTestDatabase.psql(url, "SELECT count(*) FROM evaluations")
        print(
            "race: \(iterations) iterations, \(replaced) replaces, \(evaluated) evaluations stored or reused, "
                + "\(evaluationsRefused) refused (run changed), \(stored) evaluations stored at the end, 0 of other content"
        )
    }

    /// The state of run `name`: whether it is there, its detection count, the detections stored under it, its
    /// evaluations, and the match entries and summary metrics of its default evaluation (0 when it has none).
    static func runState(_ url: String, _ name: String) throws -> [Int] {
        let fields = try PostgresTestDatabase.psql(
            url,
            """
            SELECT count(*) || ' ' || coalesce(max(r.detection_count), -1) || ' '
                   || (SELECT count(*) FROM detections d JOIN runs r2 ON r2.id = d.run_id WHERE r2.name = '\(name)')
                   || ' ' || (SELECT count(*) FROM evaluations e JOIN runs r2 ON r2.id = e.run_id
                              WHERE r2.name = '\(name)')
                   || ' ' || (SELECT coalesce(sum(json_array_length(m.detections)), 0) FROM image_matches m
                              JOIN evaluations e ON e.id = m.evaluation_id JOIN runs r2 ON r2.id = e.run_id
                              WHERE r2.name = '\(name)' AND e.is_default = 1)
                   || ' ' || (SELECT count(*) FROM evaluation_metrics x JOIN evaluations e ON e.id = x.evaluation_id
                              JOIN runs r2 ON r2.id = e.run_id WHERE r2.name = '\(name)' AND e.is_default = 1)
            FROM runs r WHERE r.name = '\(name)'
            """
        ).split(separator: " ").map { Int($0) ?? -2 }
        return fields
    }

    /// Whether run `name` is visible to others, that is committed.
    static func isCommitted(_ url: String, _ name: String) throws -> Bool {
        try PostgresTestDatabase.psql(url, "SELECT count(*) FROM runs WHERE name = '\(name)'") == "1"
    }

    /// Starts an import of `path` as run `name` and kills it with SIGKILL at `moment`; returns whether it was still
    /// running when killed (false: it had finished).
    static func importKilled(_ name: String, _ path: String, url: String, at moment: KillMoment) throws -> Bool {
        let start = ContinuousClock.now
        let process = try Self.start(["import", name, path, "--dataset", "fake100", "--db", url])
        switch moment {
        case .after(let delay):
            Thread.sleep(forTimeInterval: delay)
        case .afterCommit(let extra):
            // Poll until the run is visible to another connection: its transaction has committed.
            while process.isRunning, try !Self.isCommitted(url, name),
                ContinuousClock.now - start < .seconds(120)
            {
                Thread.sleep(forTimeInterval: 0.02)
            }
            Thread.sleep(forTimeInterval: extra)
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return wasRunning && process.terminationReason == .uncaughtSignal
    }

    /// When a test kills an importer: after a delay from its start, or a delay after its run committed.
    enum KillMoment {
        case after(Double)
        case afterCommit(Double)
    }

    @Test func anImporterKilledWithSIGKILLLeavesTheRunWholeOrAbsent() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let url = database.url
        #expect(try cli.run(["dataset", "import", "fake100", Self.coco, "--db", url], withDatabase: false).status == 0)
        // 60k detections on the fixture's images: an import with a read, a store and an evaluation phase long enough
        // to be killed in each (a debug build stores it in about 2 s, then evaluates it for about 2 s).
        let count = 60_000
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.detections))
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var big = "["
        for index in 0..<count {
            let row = rows[index % rows.count]
            let box = (row["bbox"] as? [Double]) ?? [0, 0, 1, 1]
            if index > 0 { big += "," }
            big +=
                "{\"image_id\":\(row["image_id"] ?? 0),\"category_id\":\(row["category_id"] ?? 1),"
                + "\"bbox\":[\(box[0] + Double(index % 7)),\(box[1]),\(box[2]),\(box[3])],"
                + "\"score\":\(Double(index % 1000) / 1000)}"
        }
        let path = try cli.write("big.json", big + "]")
        // Calibration: when this machine commits the run, and when the import ends.
        let start = ContinuousClock.now
        let calibration = try Self.start(["import", "calibration", path, "--dataset", "fake100", "--db", url])
        var commit = Duration.zero
        while calibration.isRunning {
            if commit == .zero, try Self.isCommitted(url, "calibration") { commit = ContinuousClock.now - start }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let total = ContinuousClock.now - start
        try #require(calibration.terminationStatus == 0, "the calibration import failed")
        if commit == .zero { commit = total }
        let commitSeconds = Double(commit.components.seconds) + Double(commit.components.attoseconds) / 1e18
        let afterSeconds = max(
            0,
            Double((total - commit).components.seconds)
                + Double((total - commit).components.attoseconds) / 1e18)
        // Kills spread over the import: before the commit (reading, storing), at the commit, and during the
        // evaluation that follows it.
        let moments: [KillMoment] =
            [0.1, 0.35, 0.6, 0.85].map { .after($0 * commitSeconds) }
            + [.afterCommit(0), .afterCommit(0.3 * afterSeconds), .afterCommit(0.7 * afterSeconds)]
        var whole = 0
        var absent = 0
        var killedAfterCommit = 0
        for (attempt, moment) in moments.enumerated() {
            let name = "killed\(attempt)"
            let killed = try Self.importKilled(name, path, url: url, at: moment)
            // The server notices the closed connection and rolls its open transaction back.
            let state = try Self.runState(url, name)
            if state[0] == 0 {
                #expect(state[2] == 0, "attempt \(attempt): detections without their run")
                if case .afterCommit = moment { Issue.record("attempt \(attempt): a committed run disappeared") }
                absent += 1
            } else {
                #expect(state[1] == count && state[2] == count, "attempt \(attempt): \(state[2]) of \(state[1]) stored")
                // Its default evaluation is whole or absent: every detection matched once, every summary metric.
                #expect(state[3] <= 1, "attempt \(attempt)")
                if state[3] == 1 { #expect(state[4] == count && state[5] == 12, "attempt \(attempt): \(state)") }
                whole += 1
                if killed { killedAfterCommit += 1 }
            }
        }
        // Both branches covered: a kill that rolled the import back, and a kill after its commit.
        #expect(absent >= 1, "no kill landed before the commit")
        #expect(killedAfterCommit >= 1, "no kill landed after the commit")
        // Nothing is left locked or half-written: another import goes through.
        #expect(
            try cli.run(["import", "after", Self.detections, "--dataset", "fake100", "--db", url], withDatabase: false)
                .status == 0)
        #expect(
            try PostgresTestDatabase.psql(
                url, "SELECT count(*) FROM detections d JOIN runs r ON r.id = d.run_id WHERE r.name = 'after'")
                == "734")
        print(
            "kill -9: \(moments.count) importers of \(count) detections killed (commit at \(commit), import \(total)): "
                + "\(absent) absent, \(whole) whole (\(killedAfterCommit) killed after the commit), 0 partial")
    }
}
