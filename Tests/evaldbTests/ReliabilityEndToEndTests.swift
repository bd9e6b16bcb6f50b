import Foundation
import Testing

/// Hostile and unlucky inputs through the binary: no crash, a clear message naming the file, nothing stored;
/// and the store's behaviour in read-only places and after an interrupted import.
@Suite(.serialized) struct ReliabilityEndToEndTests {
    static let vocFolder = CLI.fixture("padilla-review-toyexample/gts_vocpascal_format")

    /// The toy VOC annotations copied to `folder`, each transformed.
    func vocCopy(_ cli: CLI, _ folder: String, _ transform: (String) -> String) throws -> String {
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.vocFolder) where file.hasSuffix(".xml") {
            let text = try String(contentsOfFile: "\(Self.vocFolder)/\(file)", encoding: .utf8)
            try cli.write("\(folder)/\(file)", transform(text))
        }
        return cli.folder.appendingPathComponent(folder).path
    }

    func expectRefused(_ result: CLI.Result, naming path: String, _ message: String, _ cli: CLI, before: String)
        throws
    {
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains(path), "\(result.stderr)")
        #expect(try cli.snapshot() == before)
    }

    @Test func deeplyNestedXMLIsRefusedNotACrash() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let deep = String(repeating: "<a>", count: 60_000) + String(repeating: "</a>", count: 60_000)
        let folder = try vocCopy(cli, "voc") { $0 }
        try cli.write("voc/deep.xml", "<annotation>" + deep + "</annotation>")
        #expect(try cli.run(["datasets"]).status != 0)  // no store yet
        try cli.write(
            "seed.json", "{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"x\"}]}")
        #expect(
            try cli.run(["dataset", "import", "seed", cli.folder.appendingPathComponent("seed.json").path]).status == 0)
        let before = try cli.snapshot()
        for command in [["check", folder], ["dataset", "import", "voc", folder]] {
            try expectRefused(
                try cli.run(command), naming: "deep.xml", "elements nested more than 256 levels deep", cli,
                before: before)
        }
    }

    @Test func windowsLineEndsAreWellFormedXML() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let unix = try cli.run(["dataset", "import", "unix", Self.vocFolder])
        #expect(unix.status == 0)
        let folder = try vocCopy(cli, "crlf") { $0.replacingOccurrences(of: "\n", with: "\r\n") }
        let crlf = try cli.run(["dataset", "import", "crlf", folder])
        #expect(crlf.status == 0, "\(crlf.stderr)")
        let boxes = try cli.run([
            "sql", "SELECT dataset, count(*), sum(x + y + w + h) FROM gt GROUP BY dataset", "--format", "csv",
        ])
        let rows = boxes.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst() }
        #expect(rows.count == 2 && rows[0] == rows[1], "\(boxes.stdout)")
    }

    @Test func negativeVOCImageWidthsAreRefused() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let folder = try vocCopy(cli, "voc") {
            $0.replacingOccurrences(of: "<width>375</width>", with: "<width>-375</width>")
        }
        #expect(try cli.run(["dataset", "import", "seed", Self.vocFolder]).status == 0)
        let before = try cli.snapshot()
        try expectRefused(
            try cli.run(["dataset", "import", "voc", folder]), naming: "2007_000549", "a negative width or height",
            cli, before: before)
    }

    @Test func absurdImageSizesAreRefused() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "seed", Self.vocFolder]).status == 0)
        let before = try cli.snapshot()
        var sizes = try String(contentsOfFile: CLI.fixture("visdrone-synth/images.csv"), encoding: .utf8)
        sizes = sizes.replacingOccurrences(
            of: "9000000_35257_d_0000000,2000,1500", with: "9000000_35257_d_0000000,9223372036854775807,1500")
        let csv = try cli.write("sizes.csv", sizes)
        let result = try cli.run(["dataset", "import", "vd", CLI.fixture("visdrone-synth"), "--sizes", csv])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("larger than 2147483647 pixels on a side"), "\(result.stderr)")
        #expect(try cli.snapshot() == before)
    }

    @Test func aNulInsideAJSONStringIsRefused() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write(
            "gt.json",
            #"{"images": [{"id": 1, "file_name": "a\u0000b.jpg", "width": 10, "height": 10}], "annotations": [], "categories": [{"id": 1, "name": "x"}]}"#
        )
        let result = try cli.run(["dataset", "import", "nul", gt])
        #expect(result.status == 1)
        #expect(result.stderr.contains("gt.json:1:"), "\(result.stderr)")
        #expect(result.stderr.contains("holds a NUL character"), "\(result.stderr)")
    }

    @Test func aSymlinkLoopIsNamedAsOne() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let a = cli.folder.appendingPathComponent("a").path
        let b = cli.folder.appendingPathComponent("b").path
        try FileManager.default.createSymbolicLink(atPath: a, withDestinationPath: b)
        try FileManager.default.createSymbolicLink(atPath: b, withDestinationPath: a)
        let result = try cli.run(["dataset", "import", "loop", a])
        #expect(result.status == 1)
        #expect(result.stderr.contains("a loop of symbolic links"), "\(result.stderr)")
        let store = try cli.run(["runs", "--db", a], withDatabase: false)
        #expect(store.stderr.contains("a loop of symbolic links"), "\(store.stderr)")
    }

    @Test func aNameStartingWithADashIsAUsageErrorNotHelp() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let result = try cli.run(["import", "-dash", "x.json", "--dataset", "d"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("put it after `--`"))
        #expect(!result.stdout.contains("OVERVIEW"))
    }

    /// A run imported without its evaluation (as an import killed between its two transactions leaves it) is
    /// evaluated by the next import of the same content.
    @Test func theNextImportCompletesAMissingEvaluation() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dt = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        #expect(try cli.run(["import", "r", dt, "--dataset", "fake100", "--no-eval"]).status == 0)
        #expect(try cli.run(["sql", "SELECT count(*) FROM evaluations", "--format", "csv"]).stdout.hasSuffix("\n0\n"))
        let again = try cli.run(["import", "r", dt, "--dataset", "fake100"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing changed"))
        #expect(again.stdout.contains("Its evaluation with the dataset's protocol was missing; evaluated it now."))
        #expect(try cli.run(["sql", "SELECT count(*) FROM evaluations", "--format", "csv"]).stdout.hasSuffix("\n1\n"))
        // And a third time, nothing more happens.
        let third = try cli.run(["import", "r", dt, "--dataset", "fake100"])
        #expect(!third.stdout.contains("evaluated it now"))
    }

    /// `evaldb import ... | head -c 1` closes the output after the first byte; the import still evaluates.
    @Test func aClosedOutputDoesNotInterruptTheImport() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
        let dt = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")
        #expect(try cli.run(["dataset", "import", "fake100", gt]).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "\"$0\" import r \"$1\" --dataset fake100 --db \"$2\" | head -c 1 > /dev/null", CLI.binary.path, dt,
            cli.database,
        ]
        try process.run()
        process.waitUntilExit()
        #expect(try cli.run(["sql", "SELECT count(*) FROM evaluations", "--format", "csv"]).stdout.hasSuffix("\n1\n"))
    }

    /// A store in a folder that cannot be written is read as an immutable file, with a note; writes say why
    /// they fail. (Skipped when the tests run as root, for whom no folder is read-only.)
    /// Runs evaldb as an unprivileged user when the tests run as root (for whom nothing is read-only).
    func runUnprivileged(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        guard getuid() == 0 else { return try cli.run(arguments) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", CLI.binary.path] + arguments + ["--db", cli.database]
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A store in a folder that cannot be written is read as an immutable file, with a note; writes say why
    /// they fail.
    @Test func aStoreInAReadOnlyFolderCanBeRead() throws {
        guard getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else { return }
        let cli = try CLI()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.folder.path)
            cli.remove()
        }
        #expect(try cli.run(["dataset", "import", "voc", Self.vocFolder]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cli.database)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: cli.folder.path)
        let read = try runUnprivileged(cli, ["datasets", "--format", "csv"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("voc,voc"), "\(read.stdout)")
        #expect(read.stderr.contains("read as an immutable file"), "\(read.stderr)")
        let write = try runUnprivileged(cli, ["dataset", "import", "voc2", Self.vocFolder])
        #expect(write.status == 1)
        #expect(write.stderr.contains("cannot be written") || write.stderr.contains("cannot open"), "\(write.stderr)")
        #expect(!write.stderr.contains("SQLite error"))
    }

    @Test func anEmptyFileIsNotTurnedIntoAStoreByAReader() throws {
        let cli = try CLI()
        defer { cli.remove() }
        #expect(FileManager.default.createFile(atPath: cli.database, contents: Data()))
        let result = try cli.run(["runs"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("an empty file, not an evaldb store yet"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)).isEmpty)
    }

    /// Output that cannot be written (a full disk: /dev/full) is a failure, not a silent success.
    @Test func aFailedWriteToStandardOutputExitsOne() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let cli = try CLI()
        defer { cli.remove() }
        #expect(try cli.run(["dataset", "import", "voc", Self.vocFolder]).status == 0)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["datasets", "--db", cli.database]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("writing to standard output failed: No space left on device"), "\(stderr)")
    }
}
