import EvalSQLite
/// Finds stored names the way people read them: a name typed in another Unicode normalization (NFD `e` + accent
/// against NFC `é`) is the same name. SQLite compares bytes; Swift's `==` compares canonically equivalent strings
/// as equal, so an exact match is tried first and a canonical one after it.
enum NameLookup {
    /// The stored spelling of `name` in `table` (`datasets` or `runs`): `name` itself when stored so or absent.
    static func storedName(_ name: String, table: String, database: Database) throws -> String {
        let exact = try database.fetchValue("SELECT count(*) FROM \(table) WHERE name = ?", [.text(name)]).int ?? 0
        if exact > 0 { return name }
        // Only names of the same length in characters can be equivalent; the scan is over names, not rows of data.
        for row in try database.fetchAll("SELECT name FROM \(table)") {
            if let stored = row[0].string, stored == name { return stored }
        }
        return name
    }
}
