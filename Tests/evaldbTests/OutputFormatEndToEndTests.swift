import Foundation
import Testing

/// Exact output of `diff` and of the listings in every format, and the orders `--sort` and the listings promise,
/// on a small hand-made case whose numbers are worked out below.
@Suite(.serialized) struct OutputFormatEndToEndTests {
    /// Four 100x100 images (`1.jpg` ... `4.jpg`) and four classes: 1 zebra, 2 ant, 3 moose, 4 bee. Class c has
    /// n_gt(c) = c boxes, the k-th in image k, all [20(c-1), 10, 15, 15]. Run A finds zebra's box, both ants, the
    /// three moose and the first bee; run B no zebra, the first ant, the three moose and all four bees; every
    /// detection is exactly a box (IoU 1), scores 0.99, 0.98, ... in file order.
    ///
    /// Under voc12 (all-point AP: the recall reached times precision 1): A zebra 1, ant 1, moose 1, bee 1/4;
    /// B zebra 0 (no detection), ant 1/2, moose 1, bee 1. mAP A = 3.25 / 4 = 0.8125, B = 2.5 / 4 = 0.625, change
    /// -0.1875 (all exact in binary). TP A/B: 1/0, 2/1, 3/3, 1/4; FP 0; FN = n_gt - TP; n_det = TP.
    static let classes = [(1, "zebra", 1), (2, "ant", 2), (3, "moose", 3), (4, "bee", 4)]
    static let foundA = [1: [1], 2: [1, 2], 3: [1, 2, 3], 4: [1]]
    static let foundB = [1: [Int](), 2: [1], 3: [1, 2, 3], 4: [1, 2, 3, 4]]

    static func groundTruth() -> String {
        let images = (1...4).map { "{\"id\": \($0), \"file_name\": \"\($0).jpg\", \"width\": 100, \"height\": 100}" }
        var boxes: [String] = []
        for (id, _, count) in classes {
            for image in 1...count {
                boxes.append(
                    "{\"id\": \(boxes.count + 1), \"image_id\": \(image), \"category_id\": \(id), \"bbox\": [\(20 * (id - 1)), 10, 15, 15], \"area\": 225, \"iscrowd\": 0}"
                )
            }
        }
        let categories = classes.map { "{\"id\": \($0.0), \"name\": \"\($0.1)\"}" }
        return
            "{\"images\": [\(images.joined(separator: ", "))], \"annotations\": [\(boxes.joined(separator: ", "))], \"categories\": [\(categories.joined(separator: ", "))]}"
    }

    static func detections(_ found: [Int: [Int]]) -> String {
        var rows: [String] = []
        for (id, _, _) in classes {
            for image in found[id] ?? [] {
                rows.append(
                    "{\"image_id\": \(image), \"category_id\": \(id), \"bbox\": [\(20 * (id - 1)), 10, 15, 15], \"score\": \(Double(99 - rows.count) / 100)}"
                )
            }
        }
        return "[" + rows.joined(separator: ", ") + "]"
    }

    /// Dataset `d` with runs A (tag arch=a, param lr=0.1, a note with a `|`) and B (a note with a tab); dataset
    /// `zoo` (the same boxes) with run C (A's detections). Creation times are set so that the listings' orders
    /// are known: datasets d 2026-01-02, zoo 2026-01-01; runs A 2026-01-03, B and C 2026-01-02.
    func store() throws -> CLI {
        let cli = try CLI()
        let gt = try cli.write("gt.json", Self.groundTruth())
        let a = try cli.write("a.json", Self.detections(Self.foundA))
        let b = try cli.write("b.json", Self.detections(Self.foundB))
        for step in [
            ["dataset", "import", "d", gt], ["dataset", "import", "zoo", gt],
            [
                "import", "A", a, "--dataset", "d", "--no-eval", "--tag", "arch=a", "--param", "lr=0.1", "--note",
                "fast|small",
            ],
            ["import", "B", b, "--dataset", "d", "--no-eval", "--note", "tab\there"],
            ["import", "C", a, "--dataset", "zoo", "--no-eval"],
            [
                "sql",
                "UPDATE datasets SET created_at = CASE name WHEN 'd' THEN '2026-01-02T00:00:00Z' ELSE '2026-01-01T00:00:00Z' END",
                "--write",
            ],
            [
                "sql",
                "UPDATE runs SET created_at = CASE name WHEN 'A' THEN '2026-01-03T00:00:00Z' ELSE '2026-01-02T00:00:00Z' END",
                "--write",
            ],
        ] {
            let result = try cli.run(step)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        return cli
    }

    func diff(_ cli: CLI, _ arguments: [String]) throws -> String {
        let result = try cli.run(["diff", "A", "B", "--protocol", "voc12"] + arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return result.stdout
    }

    @Test func diffInEveryFormat() throws {
        let cli = try store()
        defer { cli.remove() }
        // Tables: fractions with 4 decimals, right-aligned numbers, the classes that changed, largest drop first.
        #expect(
            try diff(cli, []) == """
                A -> B: dataset d, protocol voc12

                Metric  A       B       Change
                ------  ------  ------  -------
                mAP     0.8125  0.6250  -0.1875

                class  n_gt  AP A    AP B    AP change
                -----  ----  ------  ------  ---------
                zebra     1  1.0000  0.0000    -1.0000
                ant       2  1.0000  0.5000    -0.5000
                bee       4  0.2500  1.0000    +0.7500

                3 of 4 classes changed in AP; --all shows every class.

                """)
        #expect(
            try diff(cli, ["--format", "markdown"]) == """
                **A -> B: dataset d, protocol voc12**

                | Metric | A | B | Change |
                | --- | ---: | ---: | ---: |
                | mAP | 0.8125 | 0.6250 | -0.1875 |

                | class | n_gt | AP A | AP B | AP change |
                | --- | ---: | ---: | ---: | ---: |
                | zebra | 1 | 1.0000 | 0.0000 | -1.0000 |
                | ant | 2 | 1.0000 | 0.5000 | -0.5000 |
                | bee | 4 | 0.2500 | 1.0000 | +0.7500 |

                3 of 4 classes changed in AP; --all shows every class.

                """)
        // TSV: one row per (summary or class, metric), numbers at full precision, empty for no interval.
        #expect(
            try diff(cli, ["--format", "tsv"])
                == [
                    "scope\tclass_id\tclass\tn_gt\tmetric\ta\tb\tchange\tci_low\tci_high",
                    "summary\t\t\t\tmAP\t0.8125\t0.625\t-0.1875\t\t",
                    "class\t1\tzebra\t1\tAP\t1.0\t0.0\t-1.0\t\t",
                    "class\t2\tant\t2\tAP\t1.0\t0.5\t-0.5\t\t",
                    "class\t4\tbee\t4\tAP\t0.25\t1.0\t0.75\t\t",
                ].map { $0 + "\n" }.joined())
        // JSON: every class (in --sort order) with every per-class value; JSONL: the same object on one line.
        func value(_ a: Double, _ b: Double) -> String {
            "{\"a\": \(a), \"b\": \(b), \"change\": \(b - a), \"ci_low\": null, \"ci_high\": null}"
        }
        let tp = [1: (1.0, 0.0), 2: (2.0, 1.0), 3: (3.0, 3.0), 4: (1.0, 4.0)]
        let ap = [1: (1.0, 0.0), 2: (1.0, 0.5), 3: (1.0, 1.0), 4: (0.25, 1.0)]
        let rows = Self.classes.map { id, name, count in
            let (tpA, tpB) = tp[id]!
            return
                "    {\"id\": \(id), \"name\": \"\(name)\", \"n_gt\": \(count), \"AP\": \(value(ap[id]!.0, ap[id]!.1)), \"TP\": \(value(tpA, tpB)), \"FP\": \(value(0, 0)), \"FN\": \(value(Double(count) - tpA, Double(count) - tpB)), \"n_det\": \(value(tpA, tpB))}"
        }
        let json = """
            {"a": "A", "b": "B", "dataset": "d", "protocol": "voc12", "params": {"iou":[0.5]},
              "metrics": {
                "mAP": \(value(0.8125, 0.625))
              },
              "classes": [
            \(rows.joined(separator: ",\n"))
              ]}

            """
        #expect(try diff(cli, ["--format", "json"]) == json)
        let jsonl = try diff(cli, ["--format", "jsonl"])
        #expect(jsonl == json.filter { $0 != "\n" } + "\n")
        #expect(jsonl.filter { $0 == "\n" }.count == 1)
        #expect((try? JSONSerialization.jsonObject(with: Data(jsonl.utf8))) != nil)
    }

    /// `--sort` on the first metric of `--metrics`: AP changes zebra -1, ant -0.5, moose 0, bee +0.75; n_gt 1,
    /// 2, 3, 4; TP changes -1, -1, 0, +3 (ties by class id).
    @Test(arguments: [
        (["--sort", "change"], ["zebra", "ant", "moose", "bee"]),
        (["--sort", "abs"], ["zebra", "bee", "ant", "moose"]),
        (["--sort", "name"], ["ant", "bee", "moose", "zebra"]),
        (["--sort", "ngt"], ["bee", "moose", "ant", "zebra"]),
        (["--sort", "change", "--metrics", "TP,AP"], ["zebra", "ant", "moose", "bee"]),
        (["--sort", "abs", "--metrics", "TP,AP"], ["bee", "zebra", "ant", "moose"]),
    ])
    func diffSortsTheClasses(_ arguments: [String], _ order: [String]) throws {
        let cli = try store()
        defer { cli.remove() }
        let tsv = try diff(cli, ["--all", "--format", "tsv"] + arguments)
        var classes: [String] = []
        for line in tsv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if fields[0] == "class" && !classes.contains(String(fields[2])) { classes.append(String(fields[2])) }
        }
        #expect(classes == order, "\(arguments)")
        // The table and the JSON list the classes in the same order.
        let table = try diff(cli, ["--all"] + arguments).split(separator: "\n").map(String.init)
        let header = try #require(table.firstIndex { $0.hasPrefix("class ") })
        #expect(table[(header + 2)...].prefix(4).map { String($0.prefix { $0 != " " }) } == order, "\(arguments)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try diff(cli, ["--format", "json"] + arguments).utf8))
                as? [String: Any])
        let names = (object["classes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == order, "\(arguments)")
    }

    /// Listings: datasets by name, runs by creation time then name; `null` in JSON, empty in TSV, `-` in tables;
    /// TSV escapes tabs, markdown escapes `|` and puts a tab on one line as a space.
    @Test func listingsInEveryFormat() throws {
        let cli = try store()
        defer { cli.remove() }
        func list(_ command: String, _ format: String) throws -> String {
            let result = try cli.run([command, "--format", format])
            #expect(result.status == 0, "\(command) \(format): \(result.stderr)")
            return result.stdout
        }
        #expect(
            try list("datasets", "table") == """
                name  format  images  annotations  ignored_regions  categories  runs  default_protocol  created_at
                ----  ------  ------  -----------  ---------------  ----------  ----  ----------------  --------------------
                d     coco         4           10                0           4     2  coco              2026-01-02T00:00:00Z
                zoo   coco         4           10                0           4     1  coco              2026-01-01T00:00:00Z

                """)
        #expect(
            try list("datasets", "jsonl") == """
                {"name": "d", "format": "coco", "images": 4, "annotations": 10, "ignored_regions": 0, "categories": 4, "runs": 2, "default_protocol": "coco", "created_at": "2026-01-02T00:00:00Z"}
                {"name": "zoo", "format": "coco", "images": 4, "annotations": 10, "ignored_regions": 0, "categories": 4, "runs": 1, "default_protocol": "coco", "created_at": "2026-01-01T00:00:00Z"}

                """)
        #expect(
            try list("datasets", "tsv") == """
                name\tformat\timages\tannotations\tignored_regions\tcategories\truns\tdefault_protocol\tcreated_at
                d\tcoco\t4\t10\t0\t4\t2\tcoco\t2026-01-02T00:00:00Z
                zoo\tcoco\t4\t10\t0\t4\t1\tcoco\t2026-01-01T00:00:00Z

                """)
        #expect(
            try list("datasets", "markdown") == """
                | name | format | images | annotations | ignored_regions | categories | runs | default_protocol | created_at |
                | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |
                | d | coco | 4 | 10 | 0 | 4 | 2 | coco | 2026-01-02T00:00:00Z |
                | zoo | coco | 4 | 10 | 0 | 4 | 1 | coco | 2026-01-01T00:00:00Z |

                """)
        #expect(
            try list("runs", "table") == """
                name  dataset  format  detections  tags    params  note        created_at
                ----  -------  ------  ----------  ------  ------  ----------  --------------------
                B     d        coco             8  -       -       tab here    2026-01-02T00:00:00Z
                C     zoo      coco             7  -       -       -           2026-01-02T00:00:00Z
                A     d        coco             7  arch=a  lr=0.1  fast|small  2026-01-03T00:00:00Z

                """)
        #expect(
            try list("runs", "jsonl") == """
                {"name": "B", "dataset": "d", "format": "coco", "detections": 8, "tags": null, "params": null, "note": "tab\\there", "created_at": "2026-01-02T00:00:00Z"}
                {"name": "C", "dataset": "zoo", "format": "coco", "detections": 7, "tags": null, "params": null, "note": null, "created_at": "2026-01-02T00:00:00Z"}
                {"name": "A", "dataset": "d", "format": "coco", "detections": 7, "tags": "arch=a", "params": "lr=0.1", "note": "fast|small", "created_at": "2026-01-03T00:00:00Z"}

                """)
        #expect(
            try list("runs", "tsv") == """
                name\tdataset\tformat\tdetections\ttags\tparams\tnote\tcreated_at
                B\td\tcoco\t8\t\t\ttab\\there\t2026-01-02T00:00:00Z
                C\tzoo\tcoco\t7\t\t\t\t2026-01-02T00:00:00Z
                A\td\tcoco\t7\tarch=a\tlr=0.1\tfast|small\t2026-01-03T00:00:00Z

                """)
        #expect(
            try list("runs", "markdown") == """
                | name | dataset | format | detections | tags | params | note | created_at |
                | --- | --- | --- | ---: | --- | --- | --- | --- |
                | B | d | coco | 8 | - | - | tab here | 2026-01-02T00:00:00Z |
                | C | zoo | coco | 7 | - | - | - | 2026-01-02T00:00:00Z |
                | A | d | coco | 7 | arch=a | lr=0.1 | fast\\|small | 2026-01-03T00:00:00Z |

                """)
        // --dataset and --where narrow the listing and keep its order.
        #expect(
            try cli.run(["runs", "--dataset", "d", "--format", "csv"]).stdout.split(separator: "\n").map {
                String($0.prefix { $0 != "," })
            } == ["name", "B", "A"])
        #expect(
            try cli.run(["runs", "--where", "detections = 7", "--format", "csv"]).stdout.split(separator: "\n").map {
                String($0.prefix { $0 != "," })
            } == ["name", "C", "A"])
    }

    /// `evaldb sql` in CSV (RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled)
    /// and TSV (backslash, tab, line feed and carriage return escaped as `\\`, `\t`, `\n`, `\r`); null is an empty
    /// field, unlike ''. Rows 1 and 2 are equal (escaped values repeat down a column) and row 3 changes every value;
    /// non-ASCII values, precomposed and with a combining accent, follow the same rules.
    @Test func sqlFieldsInCSVAndTSV() throws {
        let cli = try CLI()
        defer { cli.remove() }
        let gt = try cli.write(
            "gt.json",
            """
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], "annotations": [],
             "categories": [{"id": 1, "name": "thing"}]}
            """)
        #expect(try cli.run(["dataset", "import", "d", gt]).status == 0)
        let row = """
            ('plain', 'a,b', 'say "hi"', 'two' || char(10) || 'lines', 'cr' || char(13) || 'x',
             'tab' || char(9) || 'back\\slash', 'é,"x"', 'e' || char(769), NULL, '', -12, 0.1, 1e999, x'0102')
            """
        let query = """
            SELECT * FROM (VALUES \(row), \(row),
                ('p', 'c,d', '"', char(10), char(13), '\\', 'ü', 'e' || char(769) || ',', 'x', ' ', 0, -0.0, -1e999, x''))
            """
        let header = (1...14).map { "column\($0)" }
        let csv = try cli.run(["sql", query, "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let csvRow =
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rx\",tab\tback\\slash,\"é,\"\"x\"\"\",e\u{301},,,-12,0.1,inf,<2 bytes>\n"
        let expectedCSV =
            header.joined(separator: ",") + "\n" + csvRow + csvRow
            + "p,\"c,d\",\"\"\"\",\"\n\",\"\r\",\\,ü,\"e\u{301},\",x, ,0,-0.0,-inf,<0 bytes>\n"
        // Compared as bytes: `==` on strings would take e + U+0301 for é.
        #expect(Array(csv.stdout.utf8) == Array(expectedCSV.utf8))
        let tsv = try cli.run(["sql", query, "--format", "tsv"])
        #expect(tsv.status == 0, "\(tsv.stderr)")
        let tsvRow =
            "plain\ta,b\tsay \"hi\"\ttwo\\nlines\tcr\\rx\ttab\\tback\\\\slash\té,\"x\"\te\u{301}\t\t\t-12\t0.1\tinf\t<2 bytes>\n"
        let expectedTSV =
            header.joined(separator: "\t") + "\n" + tsvRow + tsvRow
            + "p\tc,d\t\"\t\\n\t\\r\t\\\\\tü\te\u{301},\tx\t \t0\t-0.0\t-inf\t<0 bytes>\n"
        #expect(Array(tsv.stdout.utf8) == Array(expectedTSV.utf8))
    }
}
