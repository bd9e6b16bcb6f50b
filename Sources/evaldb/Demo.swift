import ArgumentParser
import EvalFormats
import EvalStore
import EvalStorePostgres

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `evaldb demo [--dir DIR]`: generates a VisDrone dataset and two runs, and goes through evaldb's main job
/// with them by running the real subcommands, so the output is what the user would see typing them.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a small VisDrone dataset and two runs, then import, evaluate and compare them.",
        discussion: """
            Writes DIR/dataset (60 drone images: annotations/*.txt, and blank PNGs of the true size in images/), \
            DIR/runs/baseline and DIR/runs/candidate (one VisDrone result file per image) and the database \
            DIR/evaldb.sqlite, then runs `evaldb dataset import`, `evaldb import` for each run (which evaluates \
            it with the visdrone protocol) and `evaldb diff baseline candidate`, and writes the HTML report \
            DIR/report-baseline-vs-candidate.html (`evaldb report baseline candidate`). Nothing is downloaded, and every \
            run writes the same bytes. The candidate finds cars and pedestrians more often and with tighter boxes, \
            and bicycles less well; the other classes are detected alike.
            """
    )

    @Option(help: ArgumentHelp("The folder to write; it must be new or empty.", valueName: "dir"))
    var dir = "evaldb-demo"
    @Flag(help: "Write into a non-empty folder, replacing the files the demo writes (and its database).")
    var force = false
    @Option(
        help: ArgumentHelp(
            "The database file to create (default: DIR/evaldb.sqlite; $EVALDB_DB is not used), or a postgres:// URL "
                + "of a store without the demo's dataset and runs.", valueName: "path"))
    var db: String?

    func run() throws {
        let database = db ?? InputFiles.join(dir, "evaldb.sqlite")
        let (files, summary) = DemoData.generate()
        if PostgresLocation.isURL(database) {
            // A team store is never replaced: the demo goes in beside what it holds, under names it must not have.
            try DemoFolder.prepare(dir, for: files.map(\.path), database: nil, force: force)
            try DemoFolder.checkNamesFree(in: DatabaseOptions.open(database, .create))
        } else {
            try DemoFolder.prepare(dir, for: files.map(\.path), database: database, force: force)
        }

        Console.out("==> generating a VisDrone dataset and two runs in \(dir)\n")
        for file in files { try DemoFolder.write(file.bytes, to: InputFiles.join(dir, file.path)) }
        Console.out(Self.describe(summary))

        let dataset = InputFiles.join(dir, "dataset")
        Console.out("\n==> importing the dataset\n")
        try invoke(["dataset", "import", DemoData.datasetName, dataset], database: database)
        let runs = [
            (DemoData.runNames[0], ["--param", "epochs=50", "--tag", "arch=demo-s", "--note", "the current detector"]),
            (DemoData.runNames[1], ["--param", "epochs=80", "--tag", "arch=demo-m", "--note", "the new detector"]),
        ]
        for (run, details) in runs {
            Console.out("\n==> importing run '\(run)' (import evaluates it with the dataset's protocol, visdrone)\n")
            try invoke(
                ["import", run, InputFiles.join(dir, "runs/\(run)"), "--dataset", DemoData.datasetName] + details,
                database: database)
        }
        Console.out("\n==> comparing the runs\n")
        try invoke(["diff", "baseline", "candidate"], database: database)
        Console.out("\n==> writing an HTML report of the comparison (open it in a browser)\n")
        try invoke(["report", "baseline", "candidate", "-o", Self.reportPath(dir)], database: database)
        Console.out(Self.explore(dir: dir, database: database))
    }

    /// Prints the command line, then runs it in this process through the root command.
    private func invoke(_ arguments: [String], database: String) throws {
        let line = arguments + ["--db", database]
        Console.out("$ evaldb \(line.map(Self.shellQuoted).joined(separator: " "))\n")
        var command = try Evaldb.parseAsRoot(line)
        try command.run()
    }

    static func describe(_ summary: DemoData.Summary) -> String {
        let perClass = DemoData.classes.map { "\($0.name) \(summary.boxesPerClass[$0.id])" }
        let objects = summary.boxes + summary.ignoreBoxes
        return """
                \(summary.images) images (960x540, 1360x765, 1920x1080), \(objects) objects of the 10 classes:
                  \(perClass.joined(separator: ", "))
                  (\(summary.ignoreBoxes) of them marked ignore, score 0), \(summary.others) 'others' \
            (category 11) and \(summary.ignoredRegions) ignored regions (category 0)
                baseline: \(summary.detections[0]) detections; candidate: \(summary.detections[1]), better on car and \
            pedestrian, worse on bicycle

            """
    }

    /// Where the demo writes its report: `DIR/report-baseline-vs-candidate.html`.
    static func reportPath(_ dir: String) -> String {
        InputFiles.join(dir, Report.defaultFileName(DemoData.runNames))
    }

    static func explore(dir: String, database: String) -> String {
        let db = "--db \(shellQuoted(database))"
        let query =
            "SELECT category, run, n_gt, tp, fp, fn, round(AP, 4) AS AP FROM class_summary ORDER BY category_id, run"
        return """

            Explore further:
              evaldb runs \(db)
              evaldb eval candidate --per-class \(db)
              evaldb diff baseline candidate --ci \(db)
              evaldb report candidate -o \(shellQuoted(InputFiles.join(dir, "report-candidate.html"))) \(db)
              evaldb diff baseline candidate --images --class car --limit 5 \(db)
              evaldb diff baseline candidate --fail-if-worse 'AP[bicycle]:0.01' \(db); echo "exit $?"
              evaldb sql "\(query)" \(db)
              \(PostgresLocation.isURL(database) ? "psql" : "sqlite3") \(shellQuoted(database))

            Files: \(InputFiles.join(dir, "dataset")) (annotations/, images/), \
            \(InputFiles.join(dir, "runs/baseline")), \(InputFiles.join(dir, "runs/candidate")), \(database), \
            \(reportPath(dir))

            """
    }

    /// `text` as one shell word: as is when it is safe, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !text.isEmpty && text.allSatisfy(safe.contains) { return text }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}

/// Why the demo writes nothing.
enum DemoError: Error, CustomStringConvertible {
    case folderNotEmpty(String)
    case notAFolder(String)
    case databaseExists(String)
    case foreignFile(String)
    case cannotWrite(path: String, reason: String)
    case namesTaken(store: String, names: [String])

    var description: String {
        switch self {
        case .folderNotEmpty(let dir):
            return "\(dir) exists and is not empty: give a new --dir, or pass --force to replace the demo's files in it"
        case .notAFolder(let dir):
            return "\(dir) exists and is not a folder: give a new --dir"
        case .databaseExists(let path):
            return
                "the database \(path) exists: the demo needs a fresh one; give a new --db, or pass --force to "
                + "replace it"
        case .foreignFile(let path):
            return
                "\(path) is not a file the demo writes, and evaldb would read it with the demo's: move it away, "
                + "or give a new --dir"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .namesTaken(let store, let names):
            return
                "\(store) already has \(names.joined(separator: ", ")): the demo imports under these names and "
                + "never replaces anything in a PostgreSQL store; delete them there (evaldb delete, evaldb dataset "
                + "delete) or give the demo an empty database"
        }
    }
}

/// The demo's folder: checked before anything is written, then written file by file.
enum DemoFolder {
    /// Throws unless `dir` is missing or empty, or `force` is given; with `force`, also throws when a folder the
    /// demo fills holds another file that the imports would read, and deletes the old database. Nothing else is
    /// touched.
    /// Without `database` (a PostgreSQL store), only the folder is checked.
    static func prepare(_ dir: String, for files: [String], database: String?, force: Bool) throws {
        switch InputFiles.kind(of: dir) {
        case .missing: break
        case .file: throw DemoError.notAFolder(dir)
        case .directory:
            guard try entries(dir).isEmpty || force else { throw DemoError.folderNotEmpty(dir) }
        }
        if let database, InputFiles.kind(of: database) != .missing && !force {
            throw DemoError.databaseExists(database)
        }
        guard force else { return }
        let written = Set(files)
        for folder in ["dataset/annotations", "dataset/images", "runs/baseline", "runs/candidate"] {
            let path = InputFiles.join(dir, folder)
            guard InputFiles.kind(of: path) == .directory else { continue }
            for name in try InputFiles.list(path) where !written.contains(folder + "/" + name) {
                throw DemoError.foreignFile(InputFiles.join(path, name))
            }
        }
        guard let database else { return }
        for suffix in ["", "-wal", "-shm", "-journal"] where InputFiles.kind(of: database + suffix) == .file {
            guard unlink(database + suffix) == 0 else {
                throw DemoError.cannotWrite(path: database + suffix, reason: String(cString: strerror(errno)))
            }
        }
    }

    /// Throws `DemoError.namesTaken` when `store` has the demo's dataset or runs.
    static func checkNamesFree(in store: any Store) throws {
        var taken: [String] = []
        if try store.datasets.find(name: DemoData.datasetName) != nil {
            taken.append("dataset '\(DemoData.datasetName)'")
        }
        for run in DemoData.runNames where try store.runs.find(name: run) != nil { taken.append("run '\(run)'") }
        if !taken.isEmpty { throw DemoError.namesTaken(store: store.location, names: taken) }
    }

    /// Writes `bytes` to `path`, creating the folders above it.
    static func write(_ bytes: [UInt8], to path: String) throws {
        if let slash = path.lastIndex(of: "/") { try makeFolders(String(path[..<slash])) }
        guard let file = fopen(path, "wb") else {
            throw DemoError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        guard written == bytes.count && closed == 0 else {
            throw DemoError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// `mkdir -p`.
    static func makeFolders(_ path: String) throws {
        guard !path.isEmpty, InputFiles.kind(of: path) != .directory else { return }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeFolders(String(path[..<slash])) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw DemoError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// The names in a folder, hidden ones included.
    static func entries(_ path: String) throws -> [String] {
        guard let folder = opendir(path) else {
            throw DemoError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
