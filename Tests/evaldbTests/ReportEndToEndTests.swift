import EvalKit
import EvalStore
import EvalStoreSQLite
import Foundation
import Testing

@testable import evaldb

/// `evaldb report` through the binary: the numbers of its data block against `eval`, `diff`, the `pr_curve` view
/// and the EvalKit analyses; escaping of names; the gallery's pixels; the file written whole; the refusals.
@Suite(.serialized) struct ReportEndToEndTests {
    static let hostile = "</script><img src=x onerror=alert(1)>"

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func number(_ value: Any?) -> Double? { value as? Double ?? (value as? Int).map(Double.init) }

    /// Equal within 1e-12: Foundation's JSON parser may read a shortest round-trip number an ulp off (the report
    /// writes each number in Swift's round-trip form; `numbersReadBackExactly` checks that with Swift's parser).
    func close(_ read: Any?, _ expected: Double?) -> Bool {
        switch (number(read), expected) {
        case (nil, nil): return true
        case (let a?, let b?): return abs(a - b) <= 1e-12
        default: return false
        }
    }

    /// The page's text and its data block, parsed.
    func report(_ path: String) throws -> (html: String, data: [String: Any]) {
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let open = "<script type=\"application/json\" id=\"evaldb-data\">"
        let start = try #require(html.range(of: open))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        return (html, try json(String(html[start.upperBound..<end.lowerBound])))
    }

    /// A COCO dataset (the 100-image val2014 fixture) with its fake results as run `run`.
    func coco(run: String = "fake") throws -> CLI {
        let cli = try CLI()
        let dataset = try cli.run([
            "dataset", "import", "val", CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json"),
        ])
        #expect(dataset.status == 0, "\(dataset.stderr)")
        let imported = try cli.run(
            [
                "import", "--dataset", "val", "--db", cli.database, "--",
                run, CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json"),
            ],
            withDatabase: false)
        #expect(imported.status == 0, "\(imported.stderr)")
        return cli
    }

    /// The VisDrone reference dataset (real JPEG files in images/) with runs A and B.
    func visDrone() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "vd", CLI.fixture("visdrone-synth")]).status == 0)
        for run in ["A", "B"] {
            let imported = try cli.run(["import", run, CLI.fixture("visdrone-synth/results-\(run)"), "--dataset", "vd"])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        return cli
    }

    /// The run's inputs and in-memory evaluation under its dataset's default parameters, as the report computes them.
    func analyses(_ cli: CLI, run name: String) throws -> RunAnalysis {
        let store = try SQLiteStore.open(path: cli.database, mode: .readOnly)
        let run = try store.runs.require(name: name)
        let request = try EvaluationService.defaultRequest(for: try store.dataset(of: run))
        return try RunAnalysis(runName: name, request: request, store: store)
    }

    @Test func oneRunsNumbersAreEvalsAndTheAnalyses() throws {
        let cli = try coco()
        defer { cli.remove() }
        let written = try cli.run(["report", "fake"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout == "report-fake.html\n")
        let (_, data) = try report(cli.folder.appendingPathComponent("report-fake.html").path)

        // The summary and per-class AP are what `evaldb eval --format json` prints, to the last bit.
        let eval = try json(try cli.run(["eval", "fake", "--format", "json"]).stdout)
        let metrics = try #require(eval["metrics"] as? [String: Any])
        let summary = try #require(data["summary"] as? [[String: Any]])
        #expect(summary.count == 12)
        for row in summary {
            let name = try #require(row["metric"] as? String)
            let values = try #require(row["values"] as? [Any])
            #expect(values.count == 1)
            #expect(number(values[0]) == number(metrics[name]), "\(name)")
        }
        let evalClasses = try #require(eval["classes"] as? [[String: Any]])
        let classes = try #require(data["classes"] as? [[String: Any]])
        #expect(data["class_metric"] as? String == "AP")
        var compared = 0
        for row in evalClasses {
            let mine = try #require(classes.first { number($0["id"]) == number(row["id"]) })
            #expect(mine["name"] as? String == row["name"] as? String)
            #expect(number((mine["values"] as? [Any])?.first) == number(row["AP"]), "\(row["name"] ?? "")")
            #expect(number(mine["n_gt"]) == number(row["n_gt"]))
            compared += 1
        }
        #expect(compared > 10)

        // The PR curves are the stored ones, as the pr_curve view gives them.
        let view = try cli.run([
            "sql",
            "SELECT category_id, iou, recall_index, precision FROM pr_curve WHERE run = 'fake' AND iou IN (0.5, 0.75) AND precision IS NOT NULL",
            "--format", "csv",
        ])
        #expect(view.status == 0, "\(view.stderr)")
        let pr = try #require(data["pr"] as? [String: Any])
        let curves = try #require(pr["curves"] as? [[String: Any]])
        var fromView: [String: Double] = [:]
        for line in view.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            fromView["\(fields[0])/\(Double(fields[1])!)/\(fields[2])"] = Double(fields[3])
        }
        var fromReport: [String: Double] = [:]
        for curve in curves {
            let id = try #require(number(curve["category_id"]))
            let iou = try #require(number(curve["iou"]))
            for (index, value) in (curve["precision"] as? [Any] ?? []).enumerated() {
                if let value = number(value) { fromReport["\(Int(id))/\(iou)/\(index)"] = value }
            }
        }
        #expect(!fromView.isEmpty)
        #expect(Set(fromReport.keys) == Set(fromView.keys))
        let differing = fromView.filter { key, value in !close(fromReport[key], value) }
        #expect(differing.isEmpty, "\(differing.prefix(5))")
        // The mean curve over classes averages to AP50 (COCO's AP at one threshold is that mean).
        let means = try #require(pr["mean"] as? [[String: Any]])
        let mean50 = try #require(means.first { number($0["iou"]) == 0.5 }?["precision"] as? [Any])
        let average = mean50.compactMap(number).reduce(0, +) / Double(mean50.count)
        #expect(abs(average - (number(metrics["AP50"]) ?? -1)) < 1e-12)

        // F1, confusion and TIDE are the EvalKit analyses' own numbers.
        let analysis = try analyses(cli, run: "fake")
        let thresholds = try #require((data["thresholds"] as? [String: Any])?["runs"] as? [[String: Any]])
        let overall = try #require(thresholds.first?["overall"] as? [String: Any])
        #expect(number(overall["point_count"]) == Double(analysis.thresholds.overall.points.count))
        #expect((overall["points"] as? [Any])?.count ?? 0 <= ReportData.maxCurvePoints + 1)
        let best = try #require(overall["best"] as? [String: Any])
        let expectedBest = try #require(analysis.thresholds.overall.best)
        #expect(close(best["threshold"], expectedBest.threshold))
        #expect(close(best["f1"], expectedBest.f1))
        #expect(close(best["precision"], expectedBest.precision))
        #expect(close(best["recall"], expectedBest.recall))
        #expect(number(best["tp"]) == Double(expectedBest.truePositives))
        #expect(number(best["fp"]) == Double(expectedBest.falsePositives))
        #expect(number(best["fn"]) == Double(expectedBest.falseNegatives))
        let perClass = try #require(thresholds.first?["classes"] as? [[String: Any]])
        #expect(perClass.count == analysis.thresholds.classes.count)
        for (mine, expected) in zip(perClass, analysis.thresholds.classes) {
            let curve = mine["curve"] as? [String: Any]
            #expect(number(mine["category_id"]) == Double(expected.categoryID))
            #expect(close((curve?["best"] as? [String: Any])?["f1"], expected.curve.best?.f1))
        }

        let confusion = try #require(data["confusion"] as? [String: Any])
        #expect(number(confusion["iou"]) == analysis.confusion.iouThreshold)
        #expect(number(confusion["score"]) == analysis.confusion.scoreThreshold)
        let matrix = try #require((confusion["runs"] as? [[String: Any]])?.first)
        #expect((matrix["counts"] as? [[Int]]) == analysis.confusion.counts)
        #expect((matrix["category_ids"] as? [Int])?.map(Int64.init) == analysis.confusion.categoryIDs)

        let errors = try #require(data["errors"] as? [String: Any])
        #expect(number(errors["foreground_iou"]) == analysis.errors.foregroundIoU)
        let tide = try #require((errors["runs"] as? [[String: Any]])?.first)
        let counts = try #require(tide["counts"] as? [String: Any])
        let dAP = try #require(tide["dAP"] as? [String: Any])
        for type in TideError.allCases {
            #expect(number(counts[type.rawValue]) == Double(analysis.errors.overall.counts[type] ?? 0), "\(type)")
            #expect(close(dAP[type.rawValue], analysis.errors.overall.dAP[type] ?? nil), "\(type)")
        }
        #expect(close(tide["ap"], analysis.errors.overall.ap))

        // The gallery: the images losing most, without pixels (COCO has no image folder), with the note.
        let gallery = try #require(data["gallery"] as? [String: Any])
        let images = try #require(gallery["images"] as? [[String: Any]])
        #expect(images.count == 12)
        #expect(images.allSatisfy { $0["src"] is NSNull })
        #expect((gallery["images_note"] as? String)?.contains("--images DIR") == true)
        let losses = images.map { image -> Int in
            let counts = (image["counts"] as? [[String: Any]])?.first
            return Int(number(counts?["fp"]) ?? 0) + Int(number(counts?["missed"]) ?? 0)
        }
        #expect(losses == losses.sorted(by: >) && losses.last ?? 0 > 0, "\(losses)")
    }

    @Test func numbersReadBackExactly() {
        let values = [0.9090909090909092, 1e-05, 0.1 + 0.2, 2.0 / 3.0, 123456.789, Double.leastNonzeroMagnitude, 0]
        for value in values {
            #expect(Double(ReportJSON.number(value).text) == value)
        }
        #expect(ReportJSON.number(Double.nan).text == "null")
        #expect(ReportJSON.string("a</script>&\u{2028}\"").text == #""a\u003c/script\u003e\u0026\u2028\"""#)
    }

    @Test func twoRunsAreTheDiffWithIntervalsAndTheImagesItLists() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let written = try cli.run(["report", "A", "B", "--ci", "--resamples", "50", "--seed", "3", "--max-images", "5"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout == "report-A-vs-B.html\n")
        let (_, data) = try report(cli.folder.appendingPathComponent("report-A-vs-B.html").path)

        let diff = try json(
            try cli.run(["diff", "A", "B", "--ci", "--resamples", "50", "--seed", "3", "--all", "--format", "json"])
                .stdout)
        let metrics = try #require(diff["metrics"] as? [String: [String: Any]])
        let summary = try #require(data["summary"] as? [[String: Any]])
        #expect(summary.count == metrics.count)
        for row in summary {
            let name = try #require(row["metric"] as? String)
            let expected = try #require(metrics[name])
            let values = row["values"] as? [Any] ?? []
            #expect(number(values.first) == number(expected["a"]), "\(name)")
            #expect(number(values.last) == number(expected["b"]), "\(name)")
            #expect(number(row["change"]) == number(expected["change"]), "\(name)")
            #expect(number(row["ci_low"]) == number(expected["ci_low"]), "\(name)")
            #expect(number(row["ci_high"]) == number(expected["ci_high"]), "\(name)")
            #expect(number(row["ci_low"]) != nil)
        }
        let diffClasses = try #require(diff["classes"] as? [[String: Any]])
        for row in try #require(data["classes"] as? [[String: Any]]) {
            let expected = try #require(
                diffClasses.first { number($0["id"]) == number(row["id"]) }?["AP"] as? [String: Any])
            #expect(number(row["change"]) == number(expected["change"]))
            #expect(number(row["ci_low"]) == number(expected["ci_low"]))
            #expect(number(row["ci_high"]) == number(expected["ci_high"]))
        }
        let ci = try #require(data["ci"] as? [String: Any])
        #expect(number(ci["resamples"]) == 50 && ci["seed"] as? String == "3" && number(ci["level"]) == 0.95)

        // The gallery shows the images `diff --images` lists first, with the JPEG bytes as they are.
        let listed = try cli.run(["diff", "A", "B", "--images", "--limit", "5", "--format", "json"])
        let expectedNames = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        )
        .map { $0["image"] as? String }
        let images = try #require((data["gallery"] as? [String: Any])?["images"] as? [[String: Any]])
        #expect(images.map { $0["file_name"] as? String } == expectedNames)
        #expect(images.count == 5)
        for image in images {
            let name = try #require(image["file_name"] as? String)
            let source = try #require(image["src"] as? String)
            let prefix = "data:image/jpeg;base64,"
            #expect(source.hasPrefix(prefix))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("visdrone-synth/images/\(name)")))
            #expect(Data(base64Encoded: String(source.dropFirst(prefix.count))) == bytes, "\(name)")
            let detections = try #require(image["detections"] as? [[String: Any]])
            #expect(Set(detections.compactMap { number($0["run"]) }) == [0, 1])
            #expect(detections.allSatisfy { ["tp", "fp", "ignored"].contains($0["outcome"] as? String ?? "") })
        }
        let thresholds = try #require((data["thresholds"] as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(thresholds.count == 2)
    }

    @Test func namesAreTextNotMarkup() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let fixture = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("detectron2-coco-2img/gt.json")))
        var truth = try #require(try JSONSerialization.jsonObject(with: fixture) as? [String: Any])
        var categories = try #require(truth["categories"] as? [[String: Any]])
        categories[0]["name"] = Self.hostile
        truth["categories"] = categories
        let path = try cli.write("gt.json", try JSONSerialization.data(withJSONObject: truth))
        #expect(try cli.run(["dataset", "import", "d", path]).status == 0)
        let imported = try cli.run(
            [
                "import", "--dataset", "d", "--db", cli.database, "--", Self.hostile,
                CLI.fixture("detectron2-coco-2img/dt_bbox.json"),
            ],
            withDatabase: false)
        #expect(imported.status == 0, "\(imported.stderr)")
        let written = try cli.run(
            ["report", "-o", "r.html", "--db", cli.database, "--", Self.hostile], withDatabase: false)
        #expect(written.status == 0, "\(written.stderr)")
        let (html, data) = try report(cli.folder.appendingPathComponent("r.html").path)
        // Two script elements (data, code), each closed once; no markup from the names anywhere.
        #expect(html.components(separatedBy: "</script>").count == 3)
        #expect(!html.contains("<img"))
        #expect(html.contains("<title>evaldb report: &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</title>"))
        let runs = try #require(data["runs"] as? [[String: Any]])
        #expect(runs.first?["name"] as? String == Self.hostile)
        let stored = try #require(data["categories"] as? [[String: Any]])
        #expect(stored.contains { $0["name"] as? String == Self.hostile }, "\(stored)")
        // The default file name keeps only safe characters.
        #expect(Report.defaultFileName([Self.hostile]) == "report-__script__img_src_x_onerror_alert_1__.html")
        #expect(Report.defaultFileName(["a/b", ".hidden"]) == "report-a_b-vs-_hidden.html")
    }

    @Test func theFileIsWrittenWholeAndReplaced() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let target = cli.folder.appendingPathComponent("out.html")
        try Data("old".utf8).write(to: target)
        let written = try cli.run(["report", "A", "-o", target.path, "--max-images", "2"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout == target.path + "\n")
        let (html, data) = try report(target.path)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(((data["gallery"] as? [String: Any])?["images"] as? [Any])?.count == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.folder.path)
            .filter { $0.hasPrefix(".evaldb-report-") }
        #expect(leftovers.isEmpty)
        // No network: nothing is loaded from elsewhere.
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count == 2)  // the SVG namespace
        #expect(!html.contains("https://"))
    }

    @Test(arguments: [
        (["report", "nope"], 1, "Error: no run named 'nope'"),
        (
            ["report", "A", "-o", "/nonexistent-folder/r.html"], 1,
            "Error: cannot write the report /nonexistent-folder/r.html: no folder /nonexistent-folder"
        ),
        (["report", "A", "--images", "/nonexistent-images"], 1, "Error: --images /nonexistent-images: no such folder"),
        (["report", "A", "--ci"], 64, "Error: --ci compares two runs"),
        (["report", "A", "B", "C"], 64, "Error: give one run, or two runs to compare"),
    ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let result = try cli.run(arguments)
        #expect(result.status == status)
        #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: cli.folder.path).filter {
            $0.hasSuffix(".html")
        }
        #expect(files.isEmpty)
    }

    @Test func aFolderThatRefusesTheFileLeavesNothing() throws {
        // /proc takes no new files, even from root: the temporary file cannot be made, and nothing is left.
        let cli = try visDrone()
        defer { cli.remove() }
        let result = try cli.run(["report", "A", "-o", "/proc/evaldb-report.html"])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasPrefix("Error: cannot write the report /proc/evaldb-report.html: "), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("; give another path with -o FILE\n"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/proc/evaldb-report.html"))
        let folder = try cli.run(["report", "A", "-o", cli.folder.path])
        #expect(folder.status == 1)
        #expect(folder.stderr.contains("it is a folder"), "\(folder.stderr)")
    }
}
