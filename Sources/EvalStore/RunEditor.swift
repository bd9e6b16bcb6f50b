/// Changes what describes a run after its import: tags, params, note and name. Each call is one write
/// transaction that re-reads the run inside it, and says what it changed.
public struct RunEditor {
    public let store: any Store

    public init(_ store: any Store) { self.store = store }

    /// Sets tags (or, with `tags: false`, params) of run `name`. Returns the changes, as `key=value` for new or
    /// changed keys (keys that already hold the value are not changes).
    @discardableResult
    public func set(_ pairs: [(key: String, value: String)], tags: Bool, run name: String) throws -> [String] {
        try Self.validate(keys: pairs.map(\.key))
        return try store.write {
            let run = try store.runs.require(name: name)
            let current = Dictionary(
                try store.runs.keyValues(runID: run.id, tags: tags).map { ($0.key, $0.value) },
                uniquingKeysWith: { a, _ in a })
            let changed = pairs.filter { current[$0.key] != $0.value }
            try store.runs.setKeyValues(runID: run.id, changed, tags: tags)
            return changed.map { "\($0.key)=\($0.value)" }
        }
    }

    /// Removes tags (or params) of run `name` by key; returns the keys removed. Throws `StoreError.unknownKeys` when
    /// none of `keys` was there.
    @discardableResult
    public func remove(_ keys: [String], tags: Bool, run name: String) throws -> [String] {
        try store.write {
            let run = try store.runs.require(name: name)
            let removed = try store.runs.removeKeys(runID: run.id, keys, tags: tags)
            if removed.isEmpty {
                let known = try store.runs.keyValues(runID: run.id, tags: tags).map(\.key)
                throw StoreError.unknownKeys(keys, run: run.name, tags: tags, known: known)
            }
            return removed
        }
    }

    /// Sets (nil or empty: clears) the note of run `name`; returns whether it changed.
    @discardableResult
    public func setNote(_ note: String?, run name: String) throws -> Bool {
        let note = note?.isEmpty == true ? nil : note
        return try store.write {
            let run = try store.runs.require(name: name)
            guard run.note != note else { return false }
            try store.runs.setNote(runID: run.id, note)
            return true
        }
    }

    /// Renames run `name` to `newName`; its evaluations, baseline, tags and params follow. Throws
    /// `StoreError.runNameTaken` when `newName` is taken, `StoreError.invalidName` for an unusable name.
    public func rename(_ name: String, to newName: String) throws {
        try Importer.validate(name: newName)
        try store.write {
            let run = try store.runs.require(name: name)
            if let taken = try store.runs.find(name: newName), taken.id != run.id {
                let owner = try store.datasets.find(id: taken.datasetID)?.name ?? "?"
                throw StoreError.runNameTaken(newName, dataset: owner)
            }
            try store.runs.rename(runID: run.id, to: newName)
        }
    }

    /// Keys are names people type and SQL compares: not empty, no control or invisible characters, no edge spaces.
    static func validate(keys: [String]) throws {
        for key in keys { try Importer.validate(name: key) }
    }
}
