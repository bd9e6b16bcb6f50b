import Foundation
import Testing

/// Machine output: `--format jsonl` is one JSON object per line and `--format json` one document, for every
/// command whose `--format` chooses the output; CSV keeps full precision.
@Suite struct MachineOutputEndToEndTests {
    static let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    /// A store with fake100, two runs (one with a param and a tag) and a baseline.
    func store() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "a", Self.dets, "--dataset", "c"]).status == 0)
        #expect(
            try cli.run(["import", "b", Self.dets, "--dataset", "c", "--param", "lr=0.1", "--tag", "arch=x"]).status
                == 0)
        #expect(try cli.run(["baseline", "set", "a"]).status == 0)
        return cli
    }

    /// Every command (and subcommand) whose --format names output formats, with arguments that give it output.
    static let commands: [String: [String]] = [
        "datasets": ["datasets"],
        "runs": ["runs"],
        "show": ["show", "b"],
        "eval": ["eval", "a", "b", "--per-class"],
        "diff": ["diff", "a", "b", "--ci", "--resamples", "20"],
        "baseline show": ["baseline", "show"],
        "sql": ["sql", "SELECT name, 1.5 AS x FROM runs"],
        "check": ["check", dets, "--dataset", "c", "--explain"],
        "confusion": ["confusion", "a"],
        "errors": ["errors", "a", "--per-class"],
        "thresholds": ["thresholds", "a", "--target-precision", "0.8"],
    ]

    /// The commands whose --format help lists jsonl, found from `evaldb --help` and each command's help: a new
    /// command with output formats fails this test until it is in `commands`.
    @Test func everyCommandWithOutputFormatsIsCovered() throws {
        let cli = try CLI()
        defer { cli.remove() }
        func subcommands(_ path: [String]) throws -> [String] {
            let help = try cli.run(path + ["--help"], withDatabase: false).stdout
            guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
            let section = help[start.upperBound...].components(separatedBy: "\n\n")[0]
            return section.split(separator: "\n").compactMap { line in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first else {
                    return nil
                }
                return String(word)
            }
        }
        var withOutput: Set<String> = []
        for name in try subcommands([]) {
            let nested = try subcommands([name])
            for path in nested.isEmpty ? [[name]] : nested.map({ [name, $0] }) {
                let help = try cli.run(path + ["--help"], withDatabase: false).stdout
                if help.contains("--format <format>") && help.contains("jsonl") {
                    withOutput.insert(path.joined(separator: " "))
                }
            }
        }
        #expect(withOutput == Set(Self.commands.keys))
    }

    @Test(arguments: commands.keys.sorted())
    func jsonlIsOneObjectPerLineAndJSONOneDocument(_ name: String) throws {
        let cli = try store()
        defer { cli.remove() }
        let arguments = try #require(Self.commands[name])
        let jsonl = try cli.run(arguments + ["--format", "jsonl"])
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let lines = jsonl.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "output ends with a line break")
        #expect(lines.count > 1, "\(name): no output")
        for line in lines.dropLast() {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
            #expect(object is [String: Any], "\(name): not one JSON object: \(line.prefix(200))")
        }
        let json = try cli.run(arguments + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(
            (try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil,
            "\(name): not one JSON document: \(json.stdout.prefix(200))")
    }

    /// CSV and TSV keep every digit: the per-class values in CSV and TSV are the JSON's, written the same way
    /// (shortest text that reads back as the same double).
    @Test func csvKeepsFullPrecision() throws {
        let cli = try store()
        defer { cli.remove() }
        let json = try cli.run(["eval", "a", "--format", "json"]).stdout
        let person = try #require(json.split(separator: "\n").first { $0.contains("\"name\": \"person\"") })
        for format in ["csv", "tsv"] {
            let table = try cli.run(["eval", "a", "--per-class", "--format", format]).stdout
            let separator: Character = format == "csv" ? "," : "\t"
            let rows = table.split(separator: "\n").map {
                $0.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
            }
            let header = try #require(rows.first)
            let row = try #require(rows.first { $0.count > 2 && $0[2] == "person" })
            for key in ["AP", "AP50", "AP_small", "AR100"] {
                let value = row[try #require(header.firstIndex(of: key))]
                #expect(person.contains("\"\(key)\": \(value),"), "\(format) \(key) \(value): \(person)")
                // More than the 3 decimals of the table: pycocotools gives person's AP as 0.5326060142444453
                // (Fixtures/coco-val2014-fake100/expected-pycocotools-options.json, run A).
                if key == "AP" { #expect(value.hasPrefix("0.532606014244445"), "\(format) \(value)") }
            }
        }
    }
}
