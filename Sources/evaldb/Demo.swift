import ArgumentParser
import EvalKit
import EvalStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `evaldb demo`: a generated VisDrone-style dataset and two runs, imported, evaluated and compared.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a small VisDrone-style dataset and two runs, then import, evaluate and compare them.",
        discussion: """
            Everything is generated (no download) and deterministic: 60 drone images with the 10 VisDrone \
            classes, ignored regions and ignore boxes; run 'baseline' and run 'candidate', which finds cars and \
            pedestrians better and bicycles worse. The database is DIR/evaldb.sqlite unless --db is given.
            """
    )

    @Option(help: ArgumentHelp("Where to write the files and the database.", valueName: "dir"))
    var dir = "evaldb-demo"
    @Flag(help: "Replace the demo's files in a non-empty DIR.") var force = false
    @Option(
        name: .long,
        help: ArgumentHelp("The database file (default: DIR/evaldb.sqlite).", valueName: "path"))
    var db: String?

    func run() throws {
        if DemoFiles.isNonEmptyDirectory(dir) && !force {
            throw DemoError.notEmpty(dir)
        }
        let database = db ?? "\(dir)/evaldb.sqlite"
        if force {
            for suffix in ["", "-wal", "-shm"] { unlink(database + suffix) }
        }
        Console.out("==> generating a VisDrone-style dataset and two runs in \(dir)/\n")
        let summary = try DemoData.write(to: dir)
        Console.out(
            "    \(summary.images) images, \(summary.boxes) ground-truth boxes; baseline \(summary.baseline) detections, candidate \(summary.candidate)\n"
        )
        func step(_ arguments: [String]) throws {
            Console.out("\n$ evaldb \(arguments.joined(separator: " "))\n")
            var command = try Evaldb.parseAsRoot(arguments + ["--db", database])
            try command.run()
        }
        Console.out("\n==> importing\n")
        try step(["dataset", "import", "demo-visdrone", "\(dir)/dataset", "--sizes", "\(dir)/dataset/images.csv"])
        try step([
            "import", "baseline", "\(dir)/runs/baseline", "--dataset", "demo-visdrone", "--tag", "model=baseline",
        ])
        try step([
            "import", "candidate", "\(dir)/runs/candidate", "--dataset", "demo-visdrone", "--tag", "model=candidate",
        ])
        Console.out("\n==> comparing\n")
        try step(["diff", "baseline", "candidate", "--ci", "--resamples", "300"])
        Console.out(
            """

            Explore further:
              evaldb runs --db \(database)
              evaldb eval candidate --per-class --db \(database)
              evaldb diff baseline candidate --metrics AP,AP50,TP,FP,FN --all --db \(database)
              evaldb diff baseline candidate --images --class car --limit 5 --db \(database)
              evaldb diff baseline candidate --ci --fail-if-worse 'AP50[bicycle]:0.01' --db \(database); echo "exit $?"
              evaldb sql "SELECT run, category, AP, tp, fp, fn FROM class_summary ORDER BY category, run" --db \(database)
              sqlite3 \(database) .tables

            Files: \(dir)/dataset (annotations/*.txt, images.csv), \(dir)/runs/baseline, \(dir)/runs/candidate, \(database)

            """)
    }
}

enum DemoError: Error, CustomStringConvertible {
    case notEmpty(String)
    case cannotWrite(String)

    var description: String {
        switch self {
        case .notEmpty(let dir): return "\(dir) exists and is not empty: choose another --dir, or pass --force"
        case .cannotWrite(let path): return "cannot write \(path): \(String(cString: strerror(errno)))"
        }
    }
}

/// Minimal file writing for the demo (no Foundation).
enum DemoFiles {
    static func isNonEmptyDirectory(_ path: String) -> Bool {
        guard let handle = opendir(path) else { return access(path, F_OK) == 0 }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { return true }
        }
        return false
    }

    static func makeDirectories(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += component + "/"
            if mkdir(partial, 0o755) != 0 && errno != EEXIST { throw DemoError.cannotWrite(partial) }
        }
    }

    static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw DemoError.cannotWrite(path) }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw DemoError.cannotWrite(path) }
    }
}

/// The demo's data: drawn from fixed seeds, so every run writes the same bytes.
enum DemoData {
    struct Summary {
        var images = 0
        var boxes = 0
        var baseline = 0
        var candidate = 0
    }

    /// Class (VisDrone id), relative frequency, typical width and height in pixels.
    static let classes: [(id: Int, weight: Int, width: ClosedRange<Double>, height: ClosedRange<Double>)] = [
        (1, 25, 6...16, 14...34), (2, 10, 6...14, 10...22), (3, 5, 10...24, 10...22), (4, 35, 22...60, 16...40),
        (5, 8, 26...64, 20...44), (6, 4, 36...90, 26...60), (7, 3, 16...34, 14...28), (8, 2, 18...36, 16...30),
        (9, 2, 50...120, 30...64), (10, 12, 10...26, 10...24),
    ]

    /// Per class: probability of a detection and box jitter (fraction of the size), baseline and candidate.
    static func quality(_ category: Int, candidate: Bool) -> (found: Double, jitter: Double) {
        switch (category, candidate) {
        case (4, true), (1, true): return (0.9, 0.06)
        case (3, true): return (0.45, 0.22)
        default: return (0.72, 0.14)
        }
    }

    /// A score in [0, 1) with four decimals ("0.1234").
    static func fixed4(_ value: Double) -> String {
        let digits = String(min(9_999, Int((value * 10_000).rounded())))
        return "0." + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func write(to dir: String) throws -> Summary {
        try DemoFiles.makeDirectories("\(dir)/dataset/annotations")
        try DemoFiles.makeDirectories("\(dir)/runs/baseline")
        try DemoFiles.makeDirectories("\(dir)/runs/candidate")
        var summary = Summary()
        var sizes = "image,width,height\n"
        let totalWeight = classes.reduce(0) { $0 + $1.weight }
        for index in 0..<60 {
            var random = SplitMix64(seed: 0xD0_0000 + UInt64(index))
            func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
            func within(_ range: ClosedRange<Double>) -> Double {
                range.lowerBound + uniform() * (range.upperBound - range.lowerBound)
            }
            let name = "demo_\(String(repeating: "0", count: 4 - String(index).count))\(index)"
            let (width, height) = index % 3 == 0 ? (1360.0, 765.0) : (960.0, 540.0)
            sizes += "\(name),\(Int(width)),\(Int(height))\n"
            var annotations = ""
            var baseline = ""
            var candidate = ""
            // Ignored regions (category 0) in about a third of the images.
            if random.next(below: 3) == 0 {
                let (w, h) = (within(80...200), within(60...140))
                annotations +=
                    "\(Int(within(0...(width - w)))),\(Int(within(0...(height - h)))),\(Int(w)),\(Int(h)),0,0,0,0\n"
            }
            let objects = 12 + Int(random.next(below: 30))
            for _ in 0..<objects {
                var pick = Int(random.next(below: UInt64(totalWeight)))
                var kind = classes[0]
                for item in classes {
                    if pick < item.weight {
                        kind = item
                        break
                    }
                    pick -= item.weight
                }
                let (w, h) = (within(kind.width), within(kind.height))
                let (x, y) = (within(0...(width - w - 1)), within(0...(height - h - 1)))
                let ignore = random.next(below: 20) == 0
                let others = random.next(below: 30) == 0
                let category = others ? 11 : kind.id
                annotations +=
                    "\(Int(x)),\(Int(y)),\(Int(w)),\(Int(h)),\(ignore ? 0 : 1),\(category),\(random.next(below: 2)),\(random.next(below: 3))\n"
                summary.boxes += 1
                guard !others else { continue }
                // One draw per object shared by both runs: classes whose quality is the same stay the same.
                let found = uniform()
                let confusion = random.next(below: 25) == 0 ? Int(random.next(below: 10)) + 1 : kind.id
                let noise = (uniform() - 0.5, uniform() - 0.5, uniform() - 0.5, uniform() - 0.5)
                let confidence = 0.35 + 0.6 * uniform()
                for isCandidate in [false, true] {
                    let q = quality(kind.id, candidate: isCandidate)
                    guard found < q.found else { continue }
                    let j = q.jitter * 2
                    let line =
                        "\(Int(x + noise.0 * j * w)),\(Int(y + noise.1 * j * h)),\(Int(w * (1 + noise.2 * j))),\(Int(h * (1 + noise.3 * j))),\(DemoData.fixed4(confidence * (1 - q.jitter))),\(confusion),-1,-1\n"
                    if isCandidate {
                        candidate += line
                        summary.candidate += 1
                    } else {
                        baseline += line
                        summary.baseline += 1
                    }
                }
            }
            // Background false positives, the same in both runs.
            for _ in 0..<(4 + Int(random.next(below: 10))) {
                let kind = classes[Int(random.next(below: UInt64(classes.count)))]
                let (w, h) = (within(kind.width), within(kind.height))
                let line =
                    "\(Int(within(0...(width - w - 1)))),\(Int(within(0...(height - h - 1)))),\(Int(w)),\(Int(h)),\(DemoData.fixed4(0.05 + 0.5 * uniform())),\(kind.id),-1,-1\n"
                baseline += line
                candidate += line
                summary.baseline += 1
                summary.candidate += 1
            }
            try DemoFiles.write(annotations, to: "\(dir)/dataset/annotations/\(name).txt")
            try DemoFiles.write(baseline, to: "\(dir)/runs/baseline/\(name).txt")
            try DemoFiles.write(candidate, to: "\(dir)/runs/candidate/\(name).txt")
            summary.images += 1
        }
        try DemoFiles.write(sizes, to: "\(dir)/dataset/images.csv")
        return summary
    }
}
