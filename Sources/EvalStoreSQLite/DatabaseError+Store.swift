public import EvalSQLite

extension DatabaseError {
    /// The failure in evaldb's words: it names the store and says what to do (disk full, read-only, busy, not an
    /// SQLite file, damaged), with SQLite's own words after it for reference. The one place where SQLite's failures
    /// become messages for evaldb's users.
    public var storeDescription: String {
        let store = path.map { "the store '\($0)'" } ?? "the store"
        let what: String
        switch kind {
        case .diskFull:
            what =
                "the disk holding \(store) is full: nothing of this command was stored; free some space and run it again"
        case .readOnly:
            what =
                "\(store) cannot be written (the file or its folder is read-only, or another program opened it read-only): commands that only read it still work; to change it, make it writable or work on a copy"
        case .busy:
            what =
                "\(store) is busy: another evaldb process has been writing to it for longer than this command waits (EVALDB_BUSY_TIMEOUT seconds, default 600); run it again when that one is done"
        case .notADatabase:
            what =
                "\(path.map { "'\($0)'" } ?? "the file") is not an evaldb store (not an SQLite database); choose another --db path"
        case .corrupt:
            what = "\(store) is damaged (SQLite finds it malformed): restore it from a copy, or import into a new store"
        case .cannotOpen:
            what = "cannot open \(store): check that its folder exists and that you may read (and write) it"
        case .ioError:
            what =
                "reading or writing \(store) failed at the operating system (a full or failing disk?); nothing of this command was stored"
        case .constraint:
            what =
                "\(store) refused a write that breaks its consistency rules (a bug: please report it); nothing was stored"
        case .sql:
            // Mostly SQL a user typed (`evaldb sql`, --images-where): SQLite's message is the explanation.
            return sqlErrorDescription
        case .other:
            what = "\(store) could not be used"
        }
        return "\(what) (\(detail))"
    }
}
