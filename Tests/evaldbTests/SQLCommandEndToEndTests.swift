import Foundation
import Testing

/// `evaldb sql` from an argument, a file or standard input, with leading comments; `evaldb schema` as the store is.
@Suite struct SQLCommandEndToEndTests {
    func store() throws -> CLI {
        let cli = try CLI()
        let gt = CLI.fixture("padilla-review-toyexample/gts_vocpascal_format")
        #expect(try cli.run(["dataset", "import", "voc", gt]).status == 0)
        return cli
    }

    /// Runs evaldb with `input` on standard input.
    func run(_ cli: CLI, _ arguments: [String], input: String) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments + ["--db", cli.database]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func statementsComeFromAnArgumentAFileOrStandardInputAndMayStartWithComments() throws {
        let cli = try store()
        defer { cli.remove() }
        let query = "-- how many images\n/* one per annotation file: 10 in the toy example */\nSELECT count(*) AS n FROM images;\n"
        let expected = "n\n10\n"
        let argument = try cli.run(["sql", query, "--format", "csv"])
        #expect(argument.status == 0, "\(argument.stderr)")
        #expect(argument.stdout == expected)
        let file = try cli.write("q.sql", query)
        #expect(try cli.run(["sql", "-f", file, "--format", "csv"]).stdout == expected)
        #expect(try cli.run(["sql", "--file", file, "--format", "csv"]).stdout == expected)
        #expect(try run(cli, ["sql", "-", "--format", "csv"], input: query).stdout == expected)
        #expect(try run(cli, ["sql", "-f", "-", "--format", "csv"], input: query).stdout == expected)
        // Parameters bind in a statement from a file too.
        let named = try cli.write("p.sql", "SELECT count(*) AS n FROM images WHERE width > :w")
        #expect(try cli.run(["sql", "-f", named, "-p", "w", "100000", "--format", "csv"]).stdout == "n\n0\n")
        // One source, not two, not none.
        #expect(try cli.run(["sql", "SELECT 1", "-f", file]).status == 64)
        #expect(try cli.run(["sql"]).status == 64)
        let missing = try cli.run(["sql", "-f", cli.folder.appendingPathComponent("none.sql").path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.sql"))
    }

    /// `evaldb schema` prints each table, index and view once, as the store has them (not the migration history,
    /// where superseded views appear twice); --history prints the migrations.
    @Test func schemaPrintsTheStoreAsItIs() throws {
        let cli = try store()
        defer { cli.remove() }
        let schema = try cli.run(["schema"])
        #expect(schema.status == 0, "\(schema.stderr)")
        let views = schema.stdout.split(separator: "\n").filter { $0.hasPrefix("CREATE VIEW ") }.map {
            String($0.dropFirst("CREATE VIEW ".count).prefix { $0 != " " })
        }
        let stored = try cli.run([
            "sql", "SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name", "--format", "csv",
        ])
        #expect(views == stored.stdout.split(separator: "\n").dropFirst().map(String.init))
        #expect(Set(views).count == views.count)
        #expect(views.contains("detection_matches") && views.contains("class_summary"))
        let history = try cli.run(["schema", "--history"], withDatabase: false)
        #expect(history.stdout.hasPrefix("-- 0001_initial.sql\n"))
        #expect(history.stdout.components(separatedBy: "CREATE VIEW class_summary").count > 2)
        // Without a store, the schema a new store gets, said so.
        let fresh = try cli.run(
            ["schema", "--db", cli.folder.appendingPathComponent("none.sqlite").path], withDatabase: false)
        #expect(fresh.stdout.hasPrefix("-- the schema of a new store"))
        #expect(fresh.stdout.contains("CREATE VIEW detection_matches"))
    }
}
