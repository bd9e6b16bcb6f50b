import Foundation
import Testing

/// `evaldb diff` through the binary: values pinned to the evaluations themselves (and through them to the
/// official VisDrone toolkit), the gates' exit codes, the refusals, the bootstrap and the baseline.
@Suite(.serialized) struct DiffEndToEndTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func number(_ value: Any?) -> Double? { value as? Double ?? (value as? Int).map(Double.init) }

    /// A database with the VisDrone reference dataset and its runs A and B.
    func visDrone() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "vd", CLI.fixture("visdrone-synth")]).status == 0)
        for run in ["A", "B"] {
            let imported = try cli.run(["import", run, CLI.fixture("visdrone-synth/results-\(run)"), "--dataset", "vd"])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        return cli
    }

    /// The official toolkit's seven metrics of run `run`, in percent.
    func official(_ run: String) throws -> [String: Double] {
        let text = try String(
            contentsOfFile: CLI.fixture("visdrone-synth/expected-official-\(run).txt"), encoding: .utf8)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { values[String(parts[0])] = Double(parts[1]) }
        }
        return values
    }

    @Test func changesAreBMinusAOfTheEvaluations() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let diff = try cli.run(["diff", "A", "B", "--format", "json"])
        #expect(diff.status == 0, "\(diff.stderr)")
        let output = try json(diff.stdout)
        #expect(output["a"] as? String == "A" && output["b"] as? String == "B")
        #expect(output["protocol"] as? String == "visdrone")
        let metrics = try #require(output["metrics"] as? [String: [String: Any]])
        // Both sides are the official toolkit's numbers (percent in the reference files).
        for (run, side) in [("A", "a"), ("B", "b")] {
            let expected = try String(
                contentsOfFile: CLI.fixture("visdrone-synth/expected-official-\(run).txt"), encoding: .utf8)
            for line in expected.split(separator: "\n") {
                let parts = line.split(separator: " ")
                let value = try #require(number(metrics[String(parts[0])]?[side]))
                #expect(abs(value - Double(parts[1])! / 100) <= 1e-9, "\(run) \(parts[0])")
            }
        }
        // Changes are exactly B - A (CSV: numbers parsed exactly).
        let csv = try cli.run(["diff", "A", "B", "--format", "csv", "--all", "--metrics", "AP,AP50,AP75,AR500,TP,FP"])
        var checked = 0
        for line in csv.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 10)
            guard let a = Double(fields[5]), let b = Double(fields[6]) else { continue }
            #expect(Double(fields[7]) == b - a, "\(line)")
            #expect(fields[8].isEmpty && fields[9].isEmpty)
            checked += 1
        }
        #expect(checked == 7 + 10 * 6)
        // Per class: the values are the stored per-class numbers of each evaluation, the change B - A.
        let evalA = try json(try cli.run(["eval", "A", "--format", "json"]).stdout)
        let evalB = try json(try cli.run(["eval", "B", "--format", "json"]).stdout)
        let classesA = try #require(evalA["classes"] as? [[String: Any]])
        let classesB = try #require(evalB["classes"] as? [[String: Any]])
        let classes = try #require(output["classes"] as? [[String: Any]])
        #expect(classes.count == 10)
        for row in classes {
            let id = try #require(row["id"] as? Int)
            let rowA = try #require(classesA.first { $0["id"] as? Int == id })
            let rowB = try #require(classesB.first { $0["id"] as? Int == id })
            for (key, evalKey) in [("AP", "AP"), ("AP50", "AP50"), ("TP", "tp"), ("FP", "fp"), ("FN", "fn")] {
                let value = try #require(row[key] as? [String: Any], "\(id) \(key)")
                #expect(number(value["a"]) == number(rowA[evalKey]), "class \(id) \(key)")
                #expect(number(value["b"]) == number(rowB[evalKey]), "class \(id) \(key)")
            }
            #expect(row["n_gt"] as? Int == rowA["n_gt"] as? Int)
        }
        // The table lists the classes that changed, largest drop first: bicycle is the one that got worse.
        let table = try cli.run(["diff", "A", "B"])
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("class ") })
        #expect(lines[header + 2].hasPrefix("bicycle"))
        #expect(lines.contains { $0.hasPrefix("Metric  A") })
        // --show-sql reproduces the per-class table from the views.
        let sql = try cli.run(["diff", "A", "B", "--show-sql"])
        let fromSQL = try cli.run(["sql", sql.stdout, "--format", "json"])
        #expect(fromSQL.status == 0, "\(fromSQL.stderr)")
        let sqlRows = try #require(
            try JSONSerialization.jsonObject(with: Data(fromSQL.stdout.utf8)) as? [[String: Any]])
        #expect(sqlRows.count == 10)
        let bicycle = try #require(sqlRows.first { $0["class"] as? String == "bicycle" })
        let bicycleDiff = try #require(classes.first { $0["name"] as? String == "bicycle" }?["AP"] as? [String: Any])
        #expect(number(bicycle["AP change"]) == number(bicycleDiff["change"]))
        #expect(sqlRows.first?["class"] as? String == "bicycle")
    }

    @Test func gatesExitOneWithAReason() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "AP"]).status == 0)
        let worse = try cli.run(["diff", "B", "A", "--fail-if-worse", "AP:0.01", "--fail-if-worse", "AP50:0.5"])
        #expect(worse.status == 1)
        let reasons = worse.stderr.split(separator: "\n")
        #expect(reasons.count == 1)
        #expect(reasons.first?.hasPrefix("evaldb diff: AP 0.1377") == true, "\(worse.stderr)")
        #expect(worse.stderr.contains("more than the tolerance 0.01"))
        let perClass = try cli.run(["diff", "A", "B", "--fail-if-worse", "AP[bicycle]:0.01"])
        #expect(perClass.status == 1)
        #expect(perClass.stderr.contains("AP[bicycle]"))
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "AP[bicycle]:0.1"]).status == 0)
        // Counts: more false positives is worse.
        let counts = try cli.run(["diff", "A", "B", "--fail-if-worse", "FP[car]"])
        #expect(counts.status == 1, "\(counts.stdout)")
        let unknown = try cli.run(["diff", "A", "B", "--fail-if-worse", "mAP"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no summary metric 'mAP'"))
        // Refused before the comparison is printed.
        #expect(unknown.stdout.isEmpty, "\(unknown.stdout)")
        let unknownClass = try cli.run(["diff", "A", "B", "--fail-if-worse", "AP[unicorn]"])
        #expect(unknownClass.status == 64)
        #expect(unknownClass.stderr.contains("no class 'unicorn'"))
        #expect(unknownClass.stdout.isEmpty, "\(unknownClass.stdout)")
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "AP:x"]).status == 64)
        // With --ci the whole interval must be beyond the tolerance: AP50 fell from B to A by more than the
        // resampling explains, and the gate says so with the interval.
        let significant = try cli.run(["diff", "B", "A", "--ci", "--resamples", "200", "--fail-if-worse", "AP50"])
        #expect(significant.status == 1)
        // The values are the official toolkit's AP50 of B and of A (percent in the reference files).
        let gateLine = try #require(GateLine(significant.stderr), "\(significant.stderr)")
        #expect(gateLine.label == "AP50" && gateLine.tolerance == 0)
        let officialA = try official("A")
        let officialB = try official("B")
        // Printed to 4 decimals.
        #expect(
            abs(gateLine.a - officialB["AP50"]! / 100) <= 5e-5 && abs(gateLine.b - officialA["AP50"]! / 100) <= 5e-5)
        #expect(abs(gateLine.worse - (gateLine.a - gateLine.b)) <= 1e-4 + 1e-12)
        #expect(significant.stderr.contains("AP50 \(String(format: "%.4f", officialB["AP50"]! / 100)) -> "))
        #expect(gateLine.interval.map { $0.high < 0 } == true, "\(significant.stderr)")
    }

    /// A drop larger than the tolerance whose interval still reaches past it: the gate fails on the point estimate
    /// and passes with --ci. Bicycle's AP50 fell from A to B by 0.082, and its interval reaches above -0.01.
    @Test func aDropWithinTheNoiseFailsWithoutCIAndPassesWithIt() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let ci = ["--ci", "--resamples", "200"]
        let gate = ["--fail-if-worse", "AP50[bicycle]:0.01"]
        // The premise, from the same bootstrap the gate uses: a change below -0.01, an interval not entirely below.
        let report = try json(try cli.run(["diff", "A", "B", "--format", "json"] + ci).stdout)
        let classes = try #require(report["classes"] as? [[String: Any]])
        let bicycle = try #require(classes.first { $0["name"] as? String == "bicycle" }?["AP50"] as? [String: Any])
        let change = try #require(number(bicycle["change"]))
        let low = try #require(number(bicycle["ci_low"]))
        let high = try #require(number(bicycle["ci_high"]))
        #expect(change < -0.01 && low < -0.01 && high > -0.01, "\(bicycle)")

        let pointEstimate = try cli.run(["diff", "A", "B"] + gate)
        #expect(pointEstimate.status == 1)
        let line = try #require(GateLine(pointEstimate.stderr), "\(pointEstimate.stderr)")
        #expect(line.label == "AP50[bicycle]" && line.tolerance == 0.01 && line.interval == nil)
        // The values are those diff reports (CSV: numbers at full precision, parsed exactly).
        let csv = try cli.run(["diff", "A", "B", "--format", "csv", "--metrics", "AP50"]).stdout
        let row = try #require(
            csv.split(separator: "\n").first { $0.hasPrefix("class,3,bicycle,") && $0.contains(",AP50,") })
        let fields = row.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        // The gate line prints them to 4 decimals.
        func rounded(_ value: Double?) -> Double? { value.map { ($0 * 1e4).rounded() / 1e4 } }
        #expect(
            line.a == rounded(fields[5]) && line.b == rounded(fields[6]) && line.worse == rounded(-(fields[7] ?? .nan)),
            "\(row)")
        let interval = try cli.run(["diff", "A", "B"] + ci + gate)
        #expect(interval.status == 0, "\(interval.stderr)")
        #expect(!interval.stderr.contains("evaldb diff:"), "\(interval.stderr)")
    }

    /// Intervals exist for every summary metric and every per-class value except n_det. A gate on n_det under
    /// --ci falls back to the point estimate and says so by the wording of the point-estimate gate. B has one
    /// detection fewer than A (9 for 10); n_det is not among the counts where higher is worse, so fewer is worse.
    @Test func gatesWithoutAnIntervalUseThePointEstimate() throws {
        let cli = try oneLostDetection()
        defer { cli.remove() }
        let report = try json(try cli.run(["diff", "A", "B", "--ci", "--format", "json"]).stdout)
        let summary = try #require(report["metrics"] as? [String: [String: Any]])
        for (name, value) in summary where number(value["change"]) != nil {
            #expect(number(value["ci_low"]) != nil && number(value["ci_high"]) != nil, "\(name)")
        }
        let car = try #require((report["classes"] as? [[String: Any]])?.first)
        var withoutInterval: [String] = []
        for (name, value) in car {
            guard let value = value as? [String: Any], number(value["change"]) != nil else { continue }
            if value["ci_low"] is NSNull { withoutInterval.append(name) }
        }
        #expect(withoutInterval == ["n_det"])
        let detections = try #require(car["n_det"] as? [String: Any])
        #expect(number(detections["a"]) == 10 && number(detections["b"]) == 9 && number(detections["change"]) == -1)

        let gate = try cli.run(["diff", "A", "B", "--ci", "--fail-if-worse", "n_det[car]"])
        #expect(gate.status == 1)
        #expect(gate.stderr == "evaldb diff: n_det[car] 10 -> 9: worse by 1, more than the tolerance 0\n")
        #expect(GateLine(gate.stderr).map { $0.interval == nil && $0.worse == 1 } == true)
        #expect(try cli.run(["diff", "A", "B", "--ci", "--fail-if-worse", "n_det[car]:1"]).status == 0)
        // The same drop of one true positive has an interval, [-3, 0]: with --ci that gate passes.
        let counted = try cli.run(["diff", "A", "B", "--ci", "--fail-if-worse", "TP[car]:0.5"])
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "TP[car]:0.5"]).status == 1)
        // Without a class, TP, FP and FN are the totals over the classes: A finds all 10 boxes, B 9 (one missed).
        let missed = try cli.run(["diff", "A", "B", "--fail-if-worse", "FN"])
        #expect(missed.stderr == "evaldb diff: FN 0 -> 1: worse by 1, more than the tolerance 0\n", "\(missed.stderr)")
        let found = try cli.run(["diff", "A", "B", "--ci", "--fail-if-worse", "TP"])
        #expect(found.stderr == "evaldb diff: TP 10 -> 9: worse by 1, more than the tolerance 0\n", "\(found.stderr)")
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "FP"]).status == 0)
        #expect(try cli.run(["diff", "A", "B", "--fail-if-worse", "FN:1"]).status == 0)
    }

    @Test func refusesDifferentDatasetsAndProtocolsUnlessForced() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        // The same files under another name are the same content: comparable.
        #expect(try cli.run(["dataset", "import", "vd2", CLI.fixture("visdrone-synth")]).status == 0)
        #expect(
            try cli.run(["import", "A2", CLI.fixture("visdrone-synth/results-A"), "--dataset", "vd2", "--no-eval"])
                .status == 0)
        #expect(try cli.run(["diff", "A", "A2"]).status == 0)
        let coco = CLI.fixture("detectron2-coco-2img")
        #expect(try cli.run(["dataset", "import", "c", "\(coco)/gt.json"]).status == 0)
        #expect(try cli.run(["import", "r", "\(coco)/dt_bbox.json", "--dataset", "c"]).status == 0)
        let refused = try cli.run(["diff", "A", "r"])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "'A' was evaluated on dataset 'vd' and 'r' on 'c', whose contents differ: their numbers are not comparable; pass --force to compare anyway"
            ), "\(refused.stderr)")
        let protocols = try cli.run(["diff", "r", "A", "--force"])
        #expect(protocols.status == 1)
        #expect(protocols.stderr.contains("'r' defaults to protocol coco and 'A' to visdrone; pass --protocol"))
        #expect(try cli.run(["diff", "r", "A", "--force", "--protocol", "coco"]).status == 0)
    }

    @Test func bootstrapIntervals() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        // Identical runs: every interval is exactly [0, 0].
        let same = try json(try cli.run(["diff", "A", "A", "--ci", "--resamples", "100", "--format", "json"]).stdout)
        for (name, value) in try #require(same["metrics"] as? [String: [String: Any]])
        where !(value["ci_low"] is NSNull) {
            #expect(number(value["ci_low"]) == 0 && number(value["ci_high"]) == 0, "\(name)")
        }
        // A run that finds every car perfectly: the car interval excludes 0.
        let perfect = cli.folder.appendingPathComponent("perfect")
        try FileManager.default.createDirectory(at: perfect, withIntermediateDirectories: true)
        let annotations = CLI.fixture("visdrone-synth/annotations")
        for file in try FileManager.default.contentsOfDirectory(atPath: annotations) {
            let base = try String(contentsOfFile: CLI.fixture("visdrone-synth/results-A/\(file)"), encoding: .utf8)
            let cars = try String(contentsOfFile: "\(annotations)/\(file)", encoding: .utf8).split(separator: "\n")
                .filter { $0.split(separator: ",").count >= 6 && $0.split(separator: ",")[5] == "4" }
                .map { line -> String in
                    let f = line.split(separator: ",")
                    return "\(f[0]),\(f[1]),\(f[2]),\(f[3]),1.0,4,-1,-1"
                }
            try (cars.joined(separator: "\n") + "\n" + base).write(
                to: perfect.appendingPathComponent(file), atomically: false, encoding: .utf8)
        }
        #expect(try cli.run(["import", "P", perfect.path, "--dataset", "vd"]).status == 0)
        let better = try cli.run(["diff", "A", "P", "--ci", "--resamples", "200", "--seed", "5", "--format", "json"])
        let classes = try #require(try json(better.stdout)["classes"] as? [[String: Any]])
        let car = try #require(classes.first { $0["name"] as? String == "car" }?["AP"] as? [String: Any])
        #expect(try #require(number(car["ci_low"])) > 0)
        #expect(try #require(number(car["ci_high"])) >= number(car["change"])!)
        // The same seed gives the same output; another seed other intervals.
        let again = try cli.run(["diff", "A", "P", "--ci", "--resamples", "200", "--seed", "5", "--format", "json"])
        #expect(again.stdout == better.stdout)
        let other = try cli.run(["diff", "A", "P", "--ci", "--resamples", "200", "--seed", "6", "--format", "json"])
        #expect(other.stdout != better.stdout)
        let table = try cli.run(["diff", "A", "P", "--ci", "--resamples", "200"])
        #expect(table.stdout.contains("* marks a change whose interval excludes 0"))
    }

    /// A COCO dataset of 10 images with one car each; run A finds every car exactly, run B is A without the
    /// detection in the second image.
    func oneLostDetection() throws -> CLI {
        let cli = try CLI()
        let images = (1...10).map { "{\"id\": \($0), \"file_name\": \"\($0).jpg\", \"width\": 100, \"height\": 100}" }
        let boxes = (1...10).map {
            "{\"id\": \($0), \"image_id\": \($0), \"category_id\": 3, \"bbox\": [10, 10, 40, 40], \"area\": 1600, \"iscrowd\": 0}"
        }
        let gt =
            "{\"images\": [\(images.joined(separator: ", "))], \"annotations\": [\(boxes.joined(separator: ", "))], \"categories\": [{\"id\": 3, \"name\": \"car\"}]}"
        func detections(skipping skipped: Int?) -> String {
            let rows = (1...10).filter { $0 != skipped }.map {
                "{\"image_id\": \($0), \"category_id\": 3, \"bbox\": [10, 10, 40, 40], \"score\": \(1 - Double($0) / 100)}"
            }
            return "[" + rows.joined(separator: ", ") + "]"
        }
        let folder = cli.folder
        try gt.write(to: folder.appendingPathComponent("gt.json"), atomically: false, encoding: .utf8)
        try detections(skipping: nil).write(
            to: folder.appendingPathComponent("a.json"), atomically: false, encoding: .utf8)
        try detections(skipping: 2).write(
            to: folder.appendingPathComponent("b.json"), atomically: false, encoding: .utf8)
        #expect(try cli.run(["dataset", "import", "cars", folder.appendingPathComponent("gt.json").path]).status == 0)
        for run in ["a", "b"] {
            let path = folder.appendingPathComponent("\(run).json").path
            #expect(try cli.run(["import", run.uppercased(), path, "--dataset", "cars"]).status == 0)
        }
        return cli
    }

    /// One lost true positive: the TP change is minus the weight of its image, Binomial(10, 1/10), whose 2.5th
    /// and 97.5th percentiles are 3 and 0 (see PairedBootstrapTests for the numbers).
    @Test(arguments: [0, 1, 2, 3])
    func oneLostDetectionGivesTheBinomialInterval(seed: Int) throws {
        let cli = try oneLostDetection()
        defer { cli.remove() }
        let diff = try cli.run(["diff", "A", "B", "--ci", "--seed", "\(seed)", "--format", "json"])
        #expect(diff.status == 0, "\(diff.stderr)")
        let output = try json(diff.stdout)
        let car = try #require((output["classes"] as? [[String: Any]])?.first)
        let tp = try #require(car["TP"] as? [String: Any])
        #expect(number(tp["change"]) == -1)
        #expect(number(tp["ci_low"]) == -3 && number(tp["ci_high"]) == 0, "seed \(seed): \(tp)")
        let fn = try #require(car["FN"] as? [String: Any])
        #expect(number(fn["ci_low"]) == 0 && number(fn["ci_high"]) == 3, "seed \(seed): \(fn)")
        #expect(number(output["resamples"]) == 1000 && number(output["images"]) == 10)
        #expect(number(output["level"]) == 0.95)
    }

    @Test func everySummaryMetricHasAnIntervalAtTheChosenLevel() throws {
        let cli = try oneLostDetection()
        defer { cli.remove() }
        let wide = try json(try cli.run(["diff", "A", "B", "--ci", "--format", "json"]).stdout)
        let narrow = try json(try cli.run(["diff", "A", "B", "--ci", "--level", "0.9", "--format", "json"]).stdout)
        #expect(number(narrow["level"]) == 0.9)
        let wideMetrics = try #require(wide["metrics"] as? [String: [String: Any]])
        let narrowMetrics = try #require(narrow["metrics"] as? [String: [String: Any]])
        #expect(wideMetrics.count == 12)
        for (name, value) in wideMetrics {
            // The boxes (1600 pixels) are all medium: small and large are undefined in both runs.
            if ["APs", "APl", "ARs", "ARl"].contains(name) {
                #expect(value["a"] is NSNull && value["ci_low"] is NSNull, "\(name)")
                continue
            }
            let low = try #require(number(value["ci_low"]), "\(name)")
            let high = try #require(number(value["ci_high"]), "\(name)")
            let narrowLow = try #require(number(narrowMetrics[name]?["ci_low"]))
            let narrowHigh = try #require(number(narrowMetrics[name]?["ci_high"]))
            #expect(low <= narrowLow && narrowLow <= narrowHigh && narrowHigh <= high, "\(name)")
        }
        let table = try cli.run(["diff", "A", "B", "--ci", "--level", "0.9", "--all", "--seed", "4"])
        #expect(table.stdout.contains("90% CI"))
        #expect(
            table.stdout.contains(
                "Intervals: paired bootstrap over 10 images, 1000 resamples, seed 4, 90% (percentile); * marks a change whose interval excludes 0."
            ), "\(table.stdout)")
        #expect(!table.stdout.contains("95%"))
        for bad in ["1.5", "0", "95", "x"] {
            let refused = try cli.run(["diff", "A", "B", "--ci", "--level", bad])
            #expect(refused.status == 64, "--level \(bad)")
        }
        #expect(try cli.run(["diff", "A", "B", "--level", "0.9"]).status == 64)
    }

    @Test func baselineAndImages() throws {
        let cli = try visDrone()
        defer { cli.remove() }
        let none = try cli.run(["diff", "B"])
        #expect(none.status == 1)
        #expect(
            none.stderr.contains(
                "dataset 'vd' has no baseline to compare 'B' with: set one with `evaldb baseline set RUN`"))
        #expect(try cli.run(["baseline", "set", "A"]).stdout == "baseline of dataset 'vd' is now 'A'\n")
        #expect(try cli.run(["diff", "B"]).stdout == (try cli.run(["diff", "A", "B"]).stdout))
        #expect(try cli.run(["baseline", "show", "--format", "csv"]).stdout.hasPrefix("dataset,run,set_at\nvd,A,"))
        #expect(try cli.run(["diff", "A"]).status == 1)
        // Images: the counts per image at IoU 0.5 add up to the class counts of the evaluations.
        let images = try cli.run(["diff", "A", "B", "--images", "--limit", "1000", "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(images.stdout.utf8)) as? [[String: Any]])
        #expect(!rows.isEmpty)
        let sizes = rows.compactMap { $0["change"] as? Int }
        #expect(sizes == sizes.sorted(by: >))
        let totals = try json(try cli.run(["diff", "A", "B", "--format", "json", "--all"]).stdout)
        let classes = try #require(totals["classes"] as? [[String: Any]])
        let tpB = classes.compactMap { number(($0["TP"] as? [String: Any])?["b"]) }.reduce(0, +)
        let tpA = classes.compactMap { number(($0["TP"] as? [String: Any])?["a"]) }.reduce(0, +)
        let changed = rows.map { (($0["TP B"] as? Int) ?? 0) - (($0["TP A"] as? Int) ?? 0) }.reduce(0, +)
        #expect(Double(changed) == tpB - tpA)
        let car = try cli.run(["diff", "A", "B", "--images", "--class", "car", "--limit", "3"])
        #expect(car.stdout.contains("class car"))
        #expect(try cli.run(["diff", "A", "B", "--images", "--class", "zebra"]).status == 64)
    }
}

/// One line of a failed gate: `evaldb diff: LABEL A -> B: worse by W, more than the tolerance T` or, with an
/// interval, `..., worse by W, 95% interval [LOW, HIGH] entirely beyond the tolerance T`.
struct GateLine: Equatable {
    var label: String
    var a: Double
    var b: Double
    var worse: Double
    var interval: (low: Double, high: Double)?
    var tolerance: Double

    static func == (x: GateLine, y: GateLine) -> Bool {
        x.label == y.label && x.a == y.a && x.b == y.b && x.worse == y.worse && x.tolerance == y.tolerance
            && x.interval?.low == y.interval?.low && x.interval?.high == y.interval?.high
    }

    /// Parses `stderr` when it is exactly one gate line.
    init?(_ stderr: String) {
        guard stderr.hasSuffix("\n"), stderr.dropLast().split(separator: "\n").count == 1,
            stderr.hasPrefix("evaldb diff: ")
        else { return nil }
        let text = stderr.dropFirst("evaldb diff: ".count).dropLast()
        let parts = text.split(separator: ": worse by ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let head = parts[0].split(separator: " ")
        guard head.count == 4, head[2] == "->", let a = Double(head[1]), let b = Double(head[3]) else { return nil }
        (label, self.a, self.b) = (String(head[0]), a, b)
        let tail = parts[1]
        if let range = tail.range(of: ", more than the tolerance ") {
            guard let worse = Double(tail[..<range.lowerBound]), let tolerance = Double(tail[range.upperBound...])
            else { return nil }
            (self.worse, self.tolerance, interval) = (worse, tolerance, nil)
        } else {
            let words = tail.split(separator: " ").map(String.init)
            // W, 95% interval [LOW, HIGH] entirely beyond the tolerance T
            guard words.count == 10, words[0].hasSuffix(","), words[2] == "interval",
                let worse = Double(words[0].dropLast()),
                let low = Double(words[3].dropFirst().dropLast()), let high = Double(words[4].dropLast()),
                let tolerance = Double(words[9])
            else { return nil }
            (self.worse, self.tolerance, interval) = (worse, tolerance, (low, high))
        }
    }
}
