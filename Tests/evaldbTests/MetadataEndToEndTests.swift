import Foundation
import Testing

/// Metadata after import: tag, untag, param, note, rename, and an import of the same content with new metadata.
@Suite struct MetadataEndToEndTests {
    static let gt = CLI.fixture("coco-val2014-fake100/gt/instances_val2014_100.json")
    static let dets = CLI.fixture("coco-val2014-fake100/dt/instances_val2014_fakebbox100_results.json")

    func store() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run(["dataset", "import", "c", Self.gt]).status == 0)
        #expect(try cli.run(["import", "r", Self.dets, "--dataset", "c", "--param", "lr=0.1"]).status == 0)
        return cli
    }

    func csv(_ cli: CLI, _ sql: String) throws -> String {
        let result = try cli.run(["sql", sql, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test func tagsParamsAndNotesChangeAndSaySo() throws {
        let cli = try store()
        defer { cli.remove() }
        #expect(try cli.run(["tag", "r", "arch=yolo", "size=s"]).stdout == "Run 'r': tagged arch=yolo, size=s.\n")
        #expect(try cli.run(["tag", "r", "arch=yolo"]).stdout == "Run 'r' already has these tags; nothing changed.\n")
        #expect(try cli.run(["tag", "r", "arch=rcnn"]).stdout == "Run 'r': tagged arch=rcnn.\n")
        #expect(
            try cli.run(["untag", "r", "size", "color"]).stdout == "Run 'r': removed tag size (not set: color).\n")
        let none = try cli.run(["untag", "r", "color"])
        #expect(none.status == 1)
        #expect(none.stderr == "Error: run 'r' has no tag 'color'; its tags: arch\n")
        #expect(try cli.run(["param", "r", "lr=0.2", "epochs=10"]).stdout == "Run 'r': set param lr=0.2, epochs=10.\n")
        #expect(try cli.run(["param", "r", "--remove", "epochs"]).stdout == "Run 'r': removed param epochs.\n")
        #expect(try cli.run(["note", "r", "first try"]).stdout == "Run 'r': note set.\n")
        #expect(try csv(cli, "SELECT key, value FROM tags WHERE run = 'r'") == "key,value\narch,rcnn\n")
        #expect(try csv(cli, "SELECT key, value FROM params WHERE run = 'r'") == "key,value\nlr,0.2\n")
        #expect(try csv(cli, "SELECT note FROM runs WHERE name = 'r'") == "note\nfirst try\n")
        #expect(try cli.run(["note", "r", ""]).stdout == "Run 'r': note cleared.\n")
        #expect(try csv(cli, "SELECT note IS NULL AS cleared FROM runs WHERE name = 'r'") == "cleared\n1\n")
        // A key given twice in one command is a usage error; an unknown run names the known ones.
        #expect(try cli.run(["tag", "r", "a=1", "a=2"]).status == 64)
        #expect(try cli.run(["tag", "nope", "a=1"]).stderr.contains("no run named 'nope'; known runs: 'r'"))
        #expect(try cli.run(["tag", "r", "a\u{200B}b=1"]).status == 1)
    }

    @Test func renameKeepsEvaluationsBaselineAndMetadata() throws {
        let cli = try store()
        defer { cli.remove() }
        #expect(try cli.run(["baseline", "set", "r"]).status == 0)
        #expect(try cli.run(["import", "other", Self.dets, "--dataset", "c", "--no-eval"]).status == 0)
        let before = try csv(cli, "SELECT metric, value FROM eval_summary WHERE run = 'r' ORDER BY position")
        #expect(try cli.run(["rename", "r", "r2"]).stdout == "Renamed run 'r' to 'r2'.\n")
        #expect(try csv(cli, "SELECT metric, value FROM eval_summary WHERE run = 'r2' ORDER BY position") == before)
        #expect(try csv(cli, "SELECT r.name AS run FROM baselines b JOIN runs r ON r.id = b.run_id") == "run\nr2\n")
        #expect(try csv(cli, "SELECT key, value FROM params WHERE run = 'r2'") == "key,value\nlr,0.1\n")
        // diff against the baseline finds it under its new name, and reuses its evaluation.
        #expect(try cli.run(["diff", "other"]).stdout.hasPrefix("r2 -> other: dataset c, protocol coco\n"))
        let taken = try cli.run(["rename", "r2", "other"])
        #expect(taken.status == 1)
        #expect(taken.stderr == "Error: a run named 'other' already exists (dataset 'c'); choose another name\n")
        #expect(try cli.run(["rename", "r2", " lead"]).stderr.contains("names cannot start or end with white space"))
        #expect(try cli.run(["rename", "missing", "x"]).status == 1)
    }

    /// Importing the same content again with other tags, params or a note updates them and says so; with the same
    /// ones it changes nothing and says that.
    @Test func reimportingTheSameContentUpdatesItsMetadata() throws {
        let cli = try store()
        defer { cli.remove() }
        let updated = try cli.run([
            "import", "r", Self.dets, "--dataset", "c", "--param", "lr=0.1", "--param", "epochs=3", "--tag", "arch=x",
            "--note", "rerun",
        ])
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(
            updated.stdout
                == "Run 'r' is already stored with the same detections; updated its param epochs=3, tag arch=x, note.\n"
        )
        #expect(
            try csv(cli, "SELECT key, value FROM params WHERE run = 'r' ORDER BY key")
                == "key,value\nepochs,3\nlr,0.1\n")
        #expect(try csv(cli, "SELECT note FROM runs WHERE name = 'r'") == "note\nrerun\n")
        let same = try cli.run(["import", "r", Self.dets, "--dataset", "c", "--tag", "arch=x"])
        #expect(
            same.stdout
                == "Run 'r' is already stored with the same detections; nothing changed (--replace to re-import).\n")
        // Nothing about the detections or their evaluation changed.
        #expect(try csv(cli, "SELECT count(*) AS n FROM evaluations") == "n\n1\n")
    }
}
