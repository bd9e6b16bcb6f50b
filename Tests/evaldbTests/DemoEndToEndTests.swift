import Foundation
import Testing

/// `evaldb demo`: the files it writes, the store it builds, what the comparison shows, and its refusals.
@Suite struct DemoEndToEndTests {
    /// The rows of `evaldb sql ... --format csv`, without the header.
    static func rows(_ cli: CLI, _ sql: String, database: String) throws -> [[String]] {
        let result = try cli.run(["sql", sql, "--format", "csv", "--db", database], withDatabase: false)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
    }

    /// Every file under `folder` (relative paths, sorted) and its bytes, the database left out.
    static func files(under folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            if path.hasPrefix("evaldb.sqlite") { continue }
            files[path] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func buildsTheStoreAndComparesTheRuns() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let elsewhere = cli.folder.appendingPathComponent("elsewhere.sqlite").path
        // Default folder ./evaldb-demo; $EVALDB_DB is not where the demo's fresh database goes.
        let result = try cli.run(["demo"], withDatabase: false, environment: ["EVALDB_DB": elsewhere])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        let steps = [
            "==> generating a VisDrone dataset and two runs in evaldb-demo",
            "$ evaldb dataset import demo-visdrone evaldb-demo/dataset --db evaldb-demo/evaldb.sqlite",
            "Imported dataset 'demo-visdrone' from evaldb-demo/dataset: format visdrone (detected), 60 images",
            "==> importing run 'baseline'", "baseline on demo-visdrone, protocol visdrone",
            "==> importing run 'candidate'", "candidate on demo-visdrone, protocol visdrone",
            "==> comparing the runs", "$ evaldb diff baseline candidate --db evaldb-demo/evaldb.sqlite",
            "baseline -> candidate: dataset demo-visdrone, protocol visdrone",
            "3 of 10 classes changed in AP, AP50", "==> writing an HTML report of the comparison",
            "$ evaldb report baseline candidate -o evaldb-demo/report-baseline-vs-candidate.html --db evaldb-demo/evaldb.sqlite\n"
                + "evaldb-demo/report-baseline-vs-candidate.html\n",
            "Explore further:",
            "  evaldb diff baseline candidate --ci --db evaldb-demo/evaldb.sqlite\n",
        ]
        var rest = Substring(result.stdout)
        for step in steps {
            let found = rest.range(of: step)
            #expect(found != nil, "missing or out of order: \(step)\n\(result.stdout)")
            if let found { rest = rest[found.upperBound...] }
        }

        let demo = cli.folder.appendingPathComponent("evaldb-demo")
        let database = demo.appendingPathComponent("evaldb.sqlite").path
        let counts = try Self.rows(
            cli,
            """
            SELECT (SELECT count(*) FROM datasets), (SELECT count(*) FROM runs), (SELECT count(*) FROM evaluations),
                   (SELECT count(*) FROM images), (SELECT count(*) FROM ignored_regions),
                   (SELECT count(*) FROM gt WHERE is_ignored = 1), (SELECT count(*) FROM gt WHERE category = 'others')
            """, database: database)
        let values = counts.first?.compactMap { Int($0) } ?? []
        #expect(values.count == 7 && values[0...3] == [1, 2, 2, 60], "\(counts)")
        #expect(
            values.count == 7 && values[4...].allSatisfy { $0 > 0 }, "ignored regions, ignore boxes, others: \(counts)")
        // The sizes come from the PNG headers the demo writes.
        let sizes = try Self.rows(
            cli, "SELECT width, height, count(*) FROM images GROUP BY 1, 2 ORDER BY 1", database: database)
        #expect(sizes == [["960", "540", "24"], ["1360", "765", "30"], ["1920", "1080", "6"]])
        let files = try Self.files(under: demo)
        for folder in ["dataset/annotations/", "dataset/images/", "runs/baseline/", "runs/candidate/"] {
            #expect(files.keys.filter { $0.hasPrefix(folder) }.count == 60, "\(folder)")
        }
        #expect(files.count == 241)
        // The report: the comparison's numbers, the gallery's images embedded (the demo's PNGs are small).
        let report = try #require(files["report-baseline-vs-candidate.html"])
        let html = String(decoding: report, as: UTF8.self)
        #expect(html.contains("<script type=\"application/json\" id=\"evaldb-data\">"))
        #expect(html.components(separatedBy: "data:image/png;base64,").count == 13)

        // Per class AP: the candidate is far better on car and pedestrian, worse on bicycle, the same elsewhere.
        let classes = try Self.rows(
            cli, "SELECT category, run, AP FROM class_summary ORDER BY category_id, run", database: database)
        var ap: [String: (baseline: Double, candidate: Double)] = [:]
        for pair in stride(from: 0, to: classes.count - 1, by: 2) {
            let (a, b) = (classes[pair], classes[pair + 1])
            guard a.count == 3, b.count == 3, a[1] == "baseline", b[1] == "candidate", let x = Double(a[2]),
                let y = Double(b[2])
            else { continue }
            ap[a[0]] = (x, y)
        }
        #expect(ap.count == 10, "\(classes)")
        for name in ["car", "pedestrian"] {
            let value = try #require(ap[name])
            #expect(value.candidate > value.baseline + 0.1, "\(name): \(value)")
        }
        let bicycle = try #require(ap["bicycle"])
        #expect(bicycle.candidate < bicycle.baseline - 0.01, "\(bicycle)")
        for name in ["people", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor"] {
            let value = try #require(ap[name])
            #expect(value.candidate == value.baseline && value.baseline > 0, "\(name): \(value)")
        }
    }

    @Test func twoDemosWriteTheSameBytesAndNumbers() throws {
        let cli = try CLI()
        defer { cli.remove() }
        var outputs: [String] = []
        let folders = ["first-demo", "second-demo"]
        for name in folders {
            let result = try cli.run(["demo", "--dir", name], withDatabase: false)
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(result.stdout.replacingOccurrences(of: name, with: "DIR"))
        }
        let one = try Self.files(under: cli.folder.appendingPathComponent(folders[0]))
        let two = try Self.files(under: cli.folder.appendingPathComponent(folders[1]))
        #expect(one.count == 241)
        #expect(one.keys.sorted() == two.keys.sorted())
        for (path, bytes) in one { #expect(bytes == two[path], "\(path)") }
        #expect(outputs[0] == outputs[1])
        for command in [["eval", "baseline", "candidate"], ["diff", "baseline", "candidate", "--all"]] {
            let results = try folders.map {
                try cli.run(command + ["--format", "json", "--db", "\($0)/evaldb.sqlite"], withDatabase: false)
            }
            #expect(results.allSatisfy { $0.status == 0 })
            #expect(!results[0].stdout.isEmpty && results[0].stdout == results[1].stdout, "\(command)")
        }
    }

    @Test func aFolderInUseIsRefusedUnlessForced() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let notes = try cli.write("taken/notes.txt", "mine\n")
        let refused = try cli.run(["demo", "--dir", "taken"], withDatabase: false)
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "Error: taken exists and is not empty: give a new --dir, or pass --force to replace the demo's "
                + "files in it\n"
        )
        #expect(refused.stdout.isEmpty)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cli.folder.appendingPathComponent("taken").path) == [
                "notes.txt"
            ])

        // --force writes next to other files, into a fresh database, however often it runs.
        for _ in 0..<2 {
            let forced = try cli.run(["demo", "--dir", "taken", "--force"], withDatabase: false)
            #expect(forced.status == 0, "\(forced.stderr)")
        }
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "mine\n")
        let runs = try Self.rows(cli, "SELECT count(*) FROM runs", database: "taken/evaldb.sqlite")
        #expect(runs == [["2"]])

        // ... but not when a folder it fills holds a file the import would read with its own.
        try cli.write("taken/dataset/annotations/extra.txt", "1,1,10,10,1,4,0,0\n")
        let stray = try cli.run(["demo", "--dir", "taken", "--force"], withDatabase: false)
        #expect(stray.status == 1)
        #expect(stray.stderr.hasPrefix("Error: taken/dataset/annotations/extra.txt is not a file the demo writes"))

        // An existing --db is not reused either.
        let existing = try cli.run(["demo", "--dir", "new", "--db", "taken/evaldb.sqlite"], withDatabase: false)
        #expect(existing.status == 1)
        #expect(existing.stderr.contains("the database taken/evaldb.sqlite exists"))
        #expect(!FileManager.default.fileExists(atPath: cli.folder.appendingPathComponent("new").path))
    }
}
