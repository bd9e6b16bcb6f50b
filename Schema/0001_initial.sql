-- evaldb schema, migration 1: datasets, their ground truth, runs and their raw detections.
-- Base tables may change between versions; the views at the end are the stable SQL interface.
-- Coordinates are pixels, boxes are x, y (top-left), w, h. Timestamps are ISO 8601 UTC text.

CREATE TABLE datasets (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    format           TEXT NOT NULL CHECK (format IN ('coco', 'visdrone', 'yolo', 'voc')),
    source           TEXT NOT NULL,                 -- the path imported, as given
    sha256           TEXT NOT NULL,                 -- content hash of the imported files
    default_protocol TEXT NOT NULL,                 -- protocol `evaldb import` evaluates with
    created_at       TEXT NOT NULL,
    evaldb_version   TEXT NOT NULL
) STRICT;

CREATE TABLE categories (
    dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,                 -- the dataset's own id (COCO ids may be sparse)
    name          TEXT NOT NULL,
    supercategory TEXT,
    PRIMARY KEY (dataset_id, category_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE images (
    id          INTEGER PRIMARY KEY,                -- evaldb's own id, referenced by other tables
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    external_id INTEGER NOT NULL,                   -- COCO image id; folder formats: 1-based sorted position
    file_name   TEXT NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    UNIQUE (dataset_id, external_id)
) STRICT;
CREATE INDEX images_by_file_name ON images(dataset_id, file_name);

CREATE TABLE gt_boxes (
    id            INTEGER PRIMARY KEY,
    dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    image_id      INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,
    annotation_id INTEGER,                          -- the id in the source file (COCO), else NULL
    x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
    area          REAL NOT NULL,                    -- COCO `area` field (mask area for real COCO); else w*h
    is_crowd      INTEGER NOT NULL DEFAULT 0 CHECK (is_crowd IN (0, 1)),
    is_ignored    INTEGER NOT NULL DEFAULT 0 CHECK (is_ignored IN (0, 1)),   -- VisDrone score 0
    is_difficult  INTEGER NOT NULL DEFAULT 0 CHECK (is_difficult IN (0, 1)), -- VOC difficult
    truncation    INTEGER,
    occlusion     INTEGER,
    FOREIGN KEY (dataset_id, category_id) REFERENCES categories(dataset_id, category_id)
) STRICT;
CREATE INDEX gt_boxes_by_image ON gt_boxes(image_id);
CREATE INDEX gt_boxes_by_dataset_category ON gt_boxes(dataset_id, category_id);

CREATE TABLE ignored_regions (
    id       INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL
) STRICT;
CREATE INDEX ignored_regions_by_image ON ignored_regions(image_id);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    format          TEXT NOT NULL CHECK (format IN ('coco', 'visdrone', 'yolo', 'voc')),
    source          TEXT NOT NULL,
    sha256          TEXT NOT NULL,                  -- content hash of the detection files
    import_options  TEXT NOT NULL DEFAULT '',       -- corrections applied at import, e.g. 'box-format=xyxy'
    detection_count INTEGER NOT NULL,
    note            TEXT,
    created_at      TEXT NOT NULL,
    evaldb_version  TEXT NOT NULL
) STRICT;
CREATE INDEX runs_by_dataset ON runs(dataset_id);

CREATE TABLE run_params (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_tags_by_key_value ON run_tags(key, value);

-- One row per detection. `seq` is the row's position in the imported files (files in sorted name
-- order, rows in file order): VisDrone's maxDets take the first N rows of an image's file.
-- category_id is checked against the dataset's categories at import. Clustered by run, then image:
-- one B-tree serves "a run's detections" (evaluation) and "a run's detections on an image".
CREATE TABLE detections (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    image_id    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL,
    score       REAL NOT NULL,
    x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
    PRIMARY KEY (run_id, image_id, seq)
) STRICT, WITHOUT ROWID;

-- A packed copy of a run's detections in seq order, written at import, for fast evaluation: little-endian
-- columns image_id (int64), category_id (int64), score, x, y, w, h (float64), `count` rows each.
-- `detections` is the source of truth: any UPDATE or DELETE there drops the copy (triggers below), and
-- a copy whose count differs from the table's is ignored; evaluation then reads the table.
CREATE TABLE run_columns (
    run_id  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    count   INTEGER NOT NULL,
    data    BLOB NOT NULL
) STRICT;
CREATE TRIGGER detections_updated AFTER UPDATE ON detections
BEGIN
    DELETE FROM run_columns WHERE run_id IN (OLD.run_id, NEW.run_id);
END;
CREATE TRIGGER detections_deleted AFTER DELETE ON detections
BEGIN
    DELETE FROM run_columns WHERE run_id = OLD.run_id;
END;

-- Stable views: the public SQL interface (documented in Schema/README.md).

CREATE VIEW dataset_summary AS
SELECT d.name, d.format, d.default_protocol,
       (SELECT count(*) FROM images i WHERE i.dataset_id = d.id) AS images,
       (SELECT count(*) FROM gt_boxes g WHERE g.dataset_id = d.id) AS annotations,
       (SELECT count(*) FROM ignored_regions r JOIN images i ON i.id = r.image_id
         WHERE i.dataset_id = d.id) AS ignored_regions,
       (SELECT count(*) FROM categories c WHERE c.dataset_id = d.id) AS categories,
       (SELECT count(*) FROM runs r WHERE r.dataset_id = d.id) AS runs,
       d.source, d.sha256, d.created_at
FROM datasets d;

CREATE VIEW run_summary AS
SELECT r.name, d.name AS dataset, r.format, r.detection_count AS detections,
       (SELECT count(DISTINCT image_id) FROM detections x WHERE x.run_id = r.id) AS images_with_detections,
       (SELECT group_concat(key || '=' || value, ' ') FROM run_tags t WHERE t.run_id = r.id) AS tags,
       (SELECT group_concat(key || '=' || value, ' ') FROM run_params p WHERE p.run_id = r.id) AS params,
       r.note, r.import_options, r.source, r.sha256, r.created_at, r.evaldb_version
FROM runs r JOIN datasets d ON d.id = r.dataset_id;

CREATE VIEW gt AS
SELECT d.name AS dataset, i.external_id AS image_id, i.file_name, g.annotation_id,
       g.category_id, c.name AS category, g.x, g.y, g.w, g.h, g.area,
       g.is_crowd, g.is_ignored, g.is_difficult, g.truncation, g.occlusion
FROM gt_boxes g
JOIN images i ON i.id = g.image_id
JOIN datasets d ON d.id = g.dataset_id
JOIN categories c ON c.dataset_id = g.dataset_id AND c.category_id = g.category_id;

CREATE VIEW dets AS
SELECT r.name AS run, d.name AS dataset, x.seq, i.external_id AS image_id, i.file_name,
       x.category_id, c.name AS category, x.score, x.x, x.y, x.w, x.h
FROM detections x
JOIN runs r ON r.id = x.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN images i ON i.id = x.image_id
LEFT JOIN categories c ON c.dataset_id = r.dataset_id AND c.category_id = x.category_id;

CREATE VIEW tags AS
SELECT r.name AS run, t.key, t.value FROM run_tags t JOIN runs r ON r.id = t.run_id;

CREATE VIEW params AS
SELECT r.name AS run, p.key, p.value FROM run_params p JOIN runs r ON r.id = p.run_id;
