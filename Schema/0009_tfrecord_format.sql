-- evaldb schema, migration 9: TFRecord input (the TensorFlow Object Detection API's tf.train.Example files) as a
-- dataset and run format.
--
-- SQLite cannot widen a CHECK constraint in place, so `datasets` and `runs` are rebuilt with 'tfrecord' in their
-- format list, every row and id kept. The migration runner turns foreign-key enforcement off for the migration (the
-- old tables are dropped while other tables refer to them) and checks the keys before committing; the views name
-- the tables, so they read the new ones (legacy_alter_table keeps the rename from re-parsing them meanwhile).

PRAGMA legacy_alter_table = ON;

CREATE TABLE datasets_new (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    format           TEXT NOT NULL CHECK (format IN ('coco', 'visdrone', 'yolo', 'voc', 'tfrecord')),
    source           TEXT NOT NULL,                 -- the path imported, as given
    sha256           TEXT NOT NULL,                 -- content hash of the imported files
    default_protocol TEXT NOT NULL,                 -- protocol `evaldb import` evaluates with
    created_at       TEXT NOT NULL,
    evaldb_version   TEXT NOT NULL
) STRICT;
INSERT INTO datasets_new (id, name, format, source, sha256, default_protocol, created_at, evaldb_version)
SELECT id, name, format, source, sha256, default_protocol, created_at, evaldb_version FROM datasets;
DROP TABLE datasets;
ALTER TABLE datasets_new RENAME TO datasets;

CREATE TABLE runs_new (
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
INSERT INTO runs_new (id, name, dataset_id, format, source, sha256, import_options, detection_count, note,
                      created_at, evaldb_version)
SELECT id, name, dataset_id, format, source, sha256, import_options, detection_count, note, created_at,
       evaldb_version FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_by_dataset ON runs(dataset_id);

PRAGMA legacy_alter_table = OFF;
