-- evaldb schema, migration 4: the baseline run of each dataset (`evaldb baseline set RUN`), which
-- `evaldb diff RUN` compares against.

CREATE TABLE baselines (
    dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    set_at     TEXT NOT NULL
) STRICT;
