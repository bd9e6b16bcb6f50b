-- evaldb schema, migration 2: evaluations of runs under a protocol, and everything they computed.
-- Metric values are fractions in [0, 1]; NULL means undefined (pycocotools' -1: no ground truth).

CREATE TABLE evaluations (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    protocol        TEXT NOT NULL CHECK (protocol IN ('coco', 'voc07', 'voc12', 'visdrone')),
    params          TEXT NOT NULL,                  -- canonical JSON of the protocol's parameters
    dataset_sha256  TEXT NOT NULL,                  -- the dataset's and the run's hashes when evaluated
    run_sha256      TEXT NOT NULL,
    evaldb_version  TEXT NOT NULL,
    duration_ms     REAL NOT NULL,                  -- computing time, reading and storing excluded
    created_at      TEXT NOT NULL,
    UNIQUE (run_id, protocol, params)
) STRICT;

-- Summary metrics (coco: AP, AP50, ..., ARl in pycocotools' stats order; voc: mAP; visdrone: AP ... AR500).
CREATE TABLE evaluation_metrics (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,                 -- display order
    metric        TEXT NOT NULL,
    value         REAL,
    PRIMARY KEY (evaluation_id, metric)
) STRICT, WITHOUT ROWID;

-- Per-class metrics: AP per IoU threshold (iou NULL = the mean over the thresholds) and area range,
-- AR per maxDets.
CREATE TABLE class_metrics (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,
    metric        TEXT NOT NULL CHECK (metric IN ('AP', 'AR')),
    iou           REAL,
    area          TEXT NOT NULL DEFAULT 'all',
    max_dets      INTEGER,
    value         REAL
) STRICT;
CREATE INDEX class_metrics_by_class ON class_metrics(evaluation_id, category_id);

-- Per-class counts at the summary operating point (IoU `iou`, all areas, all evaluated detections).
CREATE TABLE class_counts (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,
    iou           REAL NOT NULL,
    n_gt          INTEGER NOT NULL,                 -- ground truth that counts (crowd/ignore/difficult excluded)
    n_det         INTEGER NOT NULL,                 -- detections evaluated
    tp            INTEGER NOT NULL,
    fp            INTEGER NOT NULL,
    fn            INTEGER NOT NULL,
    PRIMARY KEY (evaluation_id, category_id)
) STRICT, WITHOUT ROWID;

-- The interpolated precision-recall curve per class and IoU threshold (area all, largest maxDets):
-- 101 recall points, the precision there and the score of the detection that reaches it.
CREATE TABLE pr_points (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,
    iou           REAL NOT NULL,
    recall_index  INTEGER NOT NULL,
    recall        REAL NOT NULL,
    precision     REAL,
    score         REAL,
    PRIMARY KEY (evaluation_id, category_id, iou, recall_index)
) STRICT, WITHOUT ROWID;

-- One row per evaluated detection. Bit t of tp_mask (ignored_mask) is set when the detection is a true
-- positive (ignored: matched a crowd/ignore/difficult box, or outside the evaluation) at the t-th IoU
-- threshold of the evaluation's params; a detection with neither bit is a false positive there.
-- The matched ground-truth box and its IoU are kept at 0.5 and 0.75 when those thresholds are evaluated.
CREATE TABLE matches (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    run_id        INTEGER NOT NULL,                 -- with image_id and seq: the detection's key
    image_id      INTEGER NOT NULL,
    seq           INTEGER NOT NULL,                 -- detections.seq
    tp_mask       INTEGER NOT NULL,
    ignored_mask  INTEGER NOT NULL,
    gt_50         INTEGER,                          -- gt_boxes.id matched at IoU 0.5
    iou_50        REAL,
    gt_75         INTEGER,
    iou_75        REAL,
    PRIMARY KEY (evaluation_id, seq)
) STRICT, WITHOUT ROWID;

-- Stable views for evaluations.

CREATE VIEW eval_summary AS
SELECT r.name AS run, d.name AS dataset, e.protocol, e.params, m.metric, m.value, m.position,
       e.id AS evaluation_id, e.created_at
FROM evaluation_metrics m
JOIN evaluations e ON e.id = m.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN datasets d ON d.id = r.dataset_id;

CREATE VIEW class_ap AS
SELECT r.name AS run, e.protocol, e.params, c.category_id, cat.name AS category, c.metric, c.iou, c.area,
       c.max_dets, c.value, e.id AS evaluation_id
FROM class_metrics c
JOIN evaluations e ON e.id = c.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = c.category_id;

CREATE VIEW class_summary AS
SELECT r.name AS run, e.protocol, e.params, n.category_id, cat.name AS category, n.n_gt, n.n_det, n.tp, n.fp,
       n.fn, n.iou,
       (SELECT value FROM class_metrics c WHERE c.evaluation_id = e.id AND c.category_id = n.category_id
          AND c.metric = 'AP' AND c.iou IS NULL AND c.area = 'all') AS AP,
       e.id AS evaluation_id
FROM class_counts n
JOIN evaluations e ON e.id = n.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = n.category_id;

CREATE VIEW pr_curve AS
SELECT r.name AS run, e.protocol, e.params, p.category_id, cat.name AS category, p.iou, p.recall_index,
       p.recall, p.precision, p.score, e.id AS evaluation_id
FROM pr_points p
JOIN evaluations e ON e.id = p.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = p.category_id;

CREATE VIEW detection_matches AS
SELECT r.name AS run, e.protocol, e.params, x.seq, i.file_name, x.category_id, x.score, x.x, x.y, x.w, x.h,
       m.tp_mask, m.ignored_mask, m.gt_50, m.iou_50, m.gt_75, m.iou_75,
       CASE WHEN m.tp_mask & 1 THEN 'TP' WHEN m.ignored_mask & 1 THEN 'ignored' ELSE 'FP' END AS outcome_first_iou,
       e.id AS evaluation_id
FROM matches m
JOIN evaluations e ON e.id = m.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN detections x ON x.run_id = m.run_id AND x.image_id = m.image_id AND x.seq = m.seq
JOIN images i ON i.id = x.image_id;
