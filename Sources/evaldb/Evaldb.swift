import ArgumentParser
import EvalStore

/// The `evaldb` command: configuration only; the work is in the subcommands.
@main
struct Evaldb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaldb",
        abstract: "Store object-detection runs next to their ground truth, diagnose bad input, and query it all.",
        discussion: """
            The database is one SQLite file: --db PATH, else $EVALDB_DB, else ./evaldb.sqlite.
            Start with `evaldb dataset import NAME PATH`, then `evaldb import RUN PATH --dataset NAME`.
            """,
        version: EvaldbVersion.current,
        subcommands: [
            DatasetGroup.self, Import.self, Eval.self, Diff.self, BaselineGroup.self, Demo.self, Check.self,
            Datasets.self,
            Runs.self, Show.self, Delete.self,
            Schema.self, SQL.self,
        ]
    )
}
