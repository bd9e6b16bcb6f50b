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

    @Test func anImporterKilledWithSIGKILLLeavesTheRunWholeOrAbsent() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let database = try PostgresTestDatabase()
        defer { database.drop() }
        let url = database.url
        #expect(try cli.run(["dataset", "import", "fake100", Self.coco, "--db", url], withDatabase: false).status == 0)
        // 200k detections on the fixture's images: an import long enough to be killed in each of its phases.
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.detections))
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var big = "["
        for index in 0..<200_000 {
            let row = rows[index % rows.count]
            let box = (row["bbox"] as? [Double]) ?? [0, 0, 1, 1]
            if index > 0 { big += "," }
            big +=
                "{\"image_id\":\(row["image_id"] ?? 0),\"category_id\":\(row["category_id"] ?? 1),"
                + "\"bbox\":[\(box[0] + Double(index % 7)),\(box[1]),\(box[2]),\(box[3])],"
                + "\"score\":\(Double(index % 1000) / 1000)}"
        }
        let path = try cli.write("big.json", big + "]")
        let delays = [0.2, 0.5, 0.8, 1.1, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0]
        var whole = 0
        var absent = 0
        for (attempt, delay) in delays.enumerated() {
            let name = "killed\(attempt)"
            let process = try Self.start(["import", name, path, "--dataset", "fake100", "--db", url])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The server notices the closed connection and rolls its transaction back; wait until it has.
            let state = try PostgresTestDatabase.psql(
                url,
                """
                SELECT count(*) || ' ' || coalesce(max(r.detection_count), -1) || ' '
                       || (SELECT count(*) FROM detections d JOIN runs r2 ON r2.id = d.run_id WHERE r2.name = '\(name)')
                FROM runs r WHERE r.name = '\(name)'
                """)
            let fields = state.split(separator: " ").map(String.init)
            if fields[0] == "0" {
                #expect(fields[2] == "0", "attempt \(attempt): detections without their run")
                absent += 1
            } else {
                #expect(fields[1] == fields[2], "attempt \(attempt): \(fields[2]) of \(fields[1]) detections stored")
                #expect(fields[1] == "200000")
                whole += 1
            }
        }
        // Nothing is left locked or half-written: another import goes through.
        #expect(
            try cli.run(["import", "after", Self.detections, "--dataset", "fake100", "--db", url], withDatabase: false)
                .status == 0)
        #expect(
            try PostgresTestDatabase.psql(
                url, "SELECT count(*) FROM detections d JOIN runs r ON r.id = d.run_id WHERE r.name = 'after'")
                == "734")
        print("kill -9: \(delays.count) importers killed, \(whole) runs whole, \(absent) absent, 0 partial")
    }
}
