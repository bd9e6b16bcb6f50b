import Foundation
import Testing

/// Bad input: one clear `Error:` line naming the file, the place and the fix; exit 1; the database unchanged.
@Suite(.serialized) struct ErrorEndToEndTests {
    let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    /// A store with the fake100 dataset and one run.
    func preparedStore() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        #expect(try cli.run(["import", "r1", dets, "--dataset", "fake100"]).status == 0)
        return cli
    }

    /// The last stderr line (the error itself; diagnosis lines may precede it).
    func errorLine(_ result: CLI.Result) -> String {
        result.stderr.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// Runs an import of `content` and checks: exit 1, the error line contains every `expected` part,
    /// and nothing changed in the store.
    func expectRefusedImport(
        _ content: Data, name: String = "bad.json", extraArguments: [String] = [], expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let path = try cli.write(name, content)
        let result = try cli.run(["import", "r2", path, "--dataset", "fake100", "--format", "coco"] + extraArguments)
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let line = errorLine(result)
        #expect(line.hasPrefix("Error: \(path)"), "\(line)", sourceLocation: sourceLocation)
        for part in expected {
            #expect(line.contains(part), "'\(line)' lacks '\(part)'", sourceLocation: sourceLocation)
        }
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        #expect(try cli.snapshot() == before, sourceLocation: sourceLocation)
    }

    /// A usage error found while the command runs names the user's text and shows the subcommand's usage.
    @Test func usageErrorsWhileRunningShowTheSubcommandsUsage() throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        let result = try cli.run(["runs", "--where", "name = ("])
        #expect(result.status == 64)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stderr)")
        // SQLite's words about the condition as typed (not about the parentheses evaldb wraps it in).
        #expect(lines.first?.hasPrefix("Error: --where: incomplete input; columns: name, dataset") == true)
        #expect(lines.dropFirst().first?.hasPrefix("Usage: evaldb runs [--dataset <dataset>]") == true)
        #expect(lines.last == "  See 'evaldb runs --help' for more information.")
        let nested = try cli.run(["dataset", "import", "d2", gt, "--scale", "normalized"])
        #expect(nested.status == 64)
        #expect(nested.stderr.contains("Usage: evaldb dataset import "), "\(nested.stderr)")
    }

    @Test func truncatedJSONNamesTheLineAndColumn() throws {
        try expectRefusedImport(
            Data("[{\"image_id\": 42, \"category_id\": 18,\n \"bbox\": [1, 2, 3".utf8),
            expected: [":2:", "unexpected end of input"])
    }

    @Test func invalidJSONNamesThePosition() throws {
        try expectRefusedImport(
            Data("[{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n {oops}]".utf8),
            expected: [":2:3", "invalid JSON"])
    }

    @Test func wrongTypesNameTheField() throws {
        try expectRefusedImport(
            Data("[{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": \"high\"}]".utf8),
            expected: [":1:", "\"score\" is a string, expected a number"])
    }

    @Test func missingFieldsAreNamed() throws {
        try expectRefusedImport(
            Data("[{\"image_id\": 42, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]".utf8), expected: ["category_id"])
    }

    @Test func emptyFile() throws {
        try expectRefusedImport(Data(), expected: ["the file is empty"])
    }

    @Test func binaryGarbage() throws {
        try expectRefusedImport(Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0xFF, 0xFE, 0x01, 0x02]), expected: ["not"])
    }

    @Test func nonUTF8Text() throws {
        var bytes = Data(
            "[{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": 0.5, \"label\": \"".utf8)
        bytes.append(contentsOf: [0xC3, 0x28])
        bytes.append(Data("\"}]".utf8))
        try expectRefusedImport(bytes, expected: ["UTF-8"])
    }

    @Test func aDirectoryWhereAFileIsExpected() throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let result = try cli.run(["import", "r2", cli.folder.path, "--dataset", "fake100", "--format", "coco"])
        #expect(result.status == 1)
        #expect(
            errorLine(result)
                == "Error: \(cli.folder.path): is a directory, expected a COCO results JSON file; give the file inside it"
        )
        #expect(try cli.snapshot() == before)
    }

    @Test func unknownDatasetAndRunNamesListTheKnownOnes() throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let noDataset = try cli.run(["import", "r2", dets, "--dataset", "nope"])
        #expect(noDataset.status == 1)
        #expect(
            errorLine(noDataset) == "Error: no dataset named 'nope'; known datasets: 'fake100' (see `evaldb datasets`)")
        let noRun = try cli.run(["show", "nope"])
        #expect(noRun.status == 1)
        #expect(errorLine(noRun) == "Error: no run named 'nope'; known runs: 'r1' (see `evaldb runs`)")
        #expect(try cli.snapshot() == before)
    }

    @Test func aRunThatDoesNotFitTheDatasetIsRefused() throws {
        // VisDrone results against a COCO dataset: no image matches.
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let result = try cli.run(["import", "r2", CLI.fixture("visdrone-synth/results-A"), "--dataset", "fake100"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("fatal: "))
        #expect(result.stderr.contains("not in dataset 'fake100'"))
        #expect(errorLine(result).hasSuffix("nothing was stored. Fix them as suggested above, then import again"))
        #expect(try cli.snapshot() == before)
    }

    /// A copy of the fake results with each box transformed.
    func transformedDetections(_ transform: (inout [String: Any]) -> Void) throws -> Data {
        var list =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dets))) as! [[String: Any]]
        for index in list.indices { transform(&list[index]) }
        return try JSONSerialization.data(withJSONObject: list)
    }

    @Test func cornerBoxesAreDiagnosedAndStopTheImport() throws {
        let data = try transformedDetections { det in
            let b = det["bbox"] as! [Double]
            det["bbox"] = [b[0], b[1], b[0] + b[2], b[1] + b[3]]
        }
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let path = try cli.write("xyxy.json", data)
        let result = try cli.run(["import", "r2", path, "--dataset", "fake100"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("fatal: "))
        #expect(
            result.stderr.contains(
                "fatal: the boxes look like [x1, y1, x2, y2]: read that way, 89% of the 734 most confident detections overlap a ground-truth box of their class at IoU >= 0.5, against 8% as given"
            ))
        #expect(result.stderr.contains("fix: import with --box-format xyxy\n"))
        #expect(errorLine(result).contains("(box-reading)"))
        #expect(try cli.snapshot() == before)
        // The suggested fix works and stores the original boxes.
        let fixed = try cli.run(["import", "r2", path, "--dataset", "fake100", "--box-format", "xyxy"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let same = try cli.run([
            "sql",
            "SELECT count(*) FROM dets a JOIN dets b ON a.seq = b.seq WHERE a.run = 'r1' AND b.run = 'r2' AND abs(a.w - b.w) < 1e-9 AND abs(a.h - b.h) < 1e-9",
            "--format", "csv",
        ])
        #expect(same.stdout.hasSuffix("\n734\n"))
    }

    @Test func normalizedCoordinatesAreDiagnosed() throws {
        let sizes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gt))) as! [String: Any]
        var width: [Int: Double] = [:]
        var height: [Int: Double] = [:]
        for image in sizes["images"] as! [[String: Any]] {
            width[image["id"] as! Int] = Double(image["width"] as! Int)
            height[image["id"] as! Int] = Double(image["height"] as! Int)
        }
        let data = try transformedDetections { det in
            let b = det["bbox"] as! [Double]
            let id = det["image_id"] as! Int
            det["bbox"] = [b[0] / width[id]!, b[1] / height[id]!, b[2] / width[id]!, b[3] / height[id]!].map {
                min($0, 1)
            }
        }
        try expectRefusedImport(data, expected: ["(box-reading)"])
    }

    @Test func zeroBasedCategoriesAreDiagnosed() throws {
        // fake100's categories are COCO ids 1...90; shift every id down by one.
        let data = try transformedDetections { det in det["category_id"] = (det["category_id"] as! Int) - 1 }
        let cli = try preparedStore()
        defer { cli.remove() }
        let path = try cli.write("shifted.json", data)
        let result = try cli.run(["check", path, "--dataset", "fake100"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("fatal: the category ids look 0-based against the dataset's 1-based ids"))
        #expect(result.stderr.contains("fix: import with --category-offset=1\n"))
    }

    @Test func nonFiniteScoresAreFatal() throws {
        try expectRefusedImport(
            Data("[{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": NaN}]".utf8),
            expected: ["(non-finite-score)"])
    }

    @Test func strictMakesWarningsFatal() throws {
        let twice = "{\"image_id\": 42, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}"
        let other = "{\"image_id\": 42, \"category_id\": 18, \"bbox\": [5, 6, 7, 8], \"score\": 0.25}"
        let content = Data("[\(twice), \(twice), \(other)]".utf8)
        try expectRefusedImport(
            content, extraArguments: ["--strict"], expected: ["duplicate-detections", "under --strict"])
        // Without --strict the same file imports, with the warning printed.
        let cli = try preparedStore()
        defer { cli.remove() }
        let path = try cli.write("twice.json", content)
        let result = try cli.run(["import", "r2", path, "--dataset", "fake100"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: 1 detection (33%) repeats an earlier detection exactly"))
    }

    @Test func sqlIsReadOnlyUnlessWriteIsGiven() throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        let before = try cli.snapshot()
        let result = try cli.run(["sql", "DELETE FROM runs"])
        #expect(result.status == 1)
        #expect(
            errorLine(result)
                == "Error: the statement writes to the database; evaldb sql is read-only unless you pass --write")
        #expect(try cli.snapshot() == before)
        let allowed = try cli.run(["sql", "UPDATE runs SET note = 'x'", "--write"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr == "1 row(s) changed.\n")
    }

    @Test func aNewerDatabaseIsRefused() throws {
        let cli = try preparedStore()
        defer { cli.remove() }
        #expect(try cli.run(["sql", "PRAGMA user_version = 99", "--write"]).status == 0)
        let result = try cli.run(["runs"])
        #expect(result.status == 1)
        #expect(errorLine(result).contains("written by a newer evaldb (schema version 99"))
    }

    @Test func usageErrorsExit64() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["import"]).status == 64)
        #expect(try cli.run(["datasets", "--format", "xml"]).status == 64)
        #expect(try cli.run(["sql", "SELECT 1", "-p", "only-name"]).status == 64)
    }

    @Test func listingsOnAMissingDatabaseSayHowToStart() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let result = try cli.run(["datasets"])
        #expect(result.status == 1)
        #expect(
            errorLine(result)
                == "Error: \(cli.database): no evaldb database here; import a dataset first (evaldb dataset import) or pass --db"
        )
        #expect(!FileManager.default.fileExists(atPath: cli.database))
    }
}
