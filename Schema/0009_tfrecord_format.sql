-- evaldb schema, migration 9: TFRecord input (the TensorFlow Object Detection API's tf.train.Example files) as a
-- dataset and run format.
--
-- SQLite cannot widen a CHECK constraint in place, so `datasets` and `runs` are rebuilt with 'tfrecord' in their
-- format list, every row and id kept. The line below makes the runner apply this migration in its own transaction
-- with foreign-key enforcement off (the old tables are dropped while other tables refer to them: enforced, the drop
-- would cascade) and check the keys before committing. Each old table is renamed aside first: legacy_alter_table
-- keeps that rename from rewriting the views and the other tables' REFERENCES, which name the table and so read the
-- new one created under its name.
-- migration: foreign keys off

PRAGMA legacy_alter_table = ON;

ALTER TABLE datasets RENAME TO datasets_before_0009;
CREATE TABLE datasets (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    format           TEXT NOT NULL CHECK (format IN ('coco', 'visdrone', 'yolo', 'voc', 'tfrecord')),
    source           TEXT NOT NULL,                 -- the path imported, as given
    sha256           TEXT NOT NULL,                 -- content hash of the imported files
    default_protocol TEXT NOT NULL,                 -- protocol `evaldb import` evaluates with
    created_at       TEXT NOT NULL,
    evaldb_version   TEXT NOT NULL
) STRICT;
INSERT INTO datasets (id, name, format, source, sha256, default_protocol, created_at, evaldb_version)
SELECT id, name, format, source, sha256, default_protocol, created_at, evaldb_version FROM datasets_before_0009;
DROP TABLE datasets_before_0009;

ALTER TABLE runs RENAME TO runs_before_0009;
DROP INDEX runs_by_dataset;
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    format          TEXT NOT NULL CHECK (format IN ('coco', 'visdrone', 'yolo', 'voc', 'tfrecord')),
    source          TEXT NOT NULL,
    sha256          TEXT NOT NULL,                  -- content hash of the detection files
    import_options  TEXT NOT NULL DEFAULT '',       -- corrections applied at import, e.g. 'box-format=xyxy'
    detection_count INTEGER NOT NULL,
    note            TEXT,
    created_at      TEXT NOT NULL,
    evaldb_version  TEXT NOT NULL
) STRICT;
INSERT INTO runs (id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at,
                  evaldb_version)
SELECT id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at,
       evaldb_version FROM runs_before_0009;
DROP TABLE runs_before_0009;
CREATE INDEX runs_by_dataset ON runs(dataset_id);

PRAGMA legacy_alter_table = OFF;
