-- evaldb schema, migration 5: the category map a run was imported with (`--category-map FILE` or
-- `--category-map auto`): which dataset category each of the model's categories became.

CREATE TABLE run_category_maps (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    model_key   TEXT NOT NULL,                      -- the model's category as written: an id or a name
    category_id INTEGER NOT NULL,                   -- the dataset category it was mapped to
    PRIMARY KEY (run_id, model_key)
) STRICT, WITHOUT ROWID;
