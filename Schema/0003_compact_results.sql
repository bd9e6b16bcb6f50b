-- evaldb schema, migration 3: per-detection matches stored per image, PR curves stored per curve.
-- A 500k-detection evaluation writes 5k match rows and 800 curve rows instead of 580k rows; views with the
-- old tables' names and columns unpack them, so queries read the same.
--
-- Matches: one row per (evaluation, image) holding a JSON array with one entry per detection of the image that
-- the evaluation covers (after its class, score and image filters; those beyond maxDets have every ignored
-- bit set), in seq order: [seq, tp_mask, ignored_mask, gt_50, iou_50, gt_75, iou_75]. Unmatched trailing pairs are
-- left out; an unmatched pair before a matched one is null, null.
-- PR curves: one row per (evaluation, class, IoU threshold) with JSON arrays of the 101 precisions and
-- scores at recall points 0, 0.01, ..., 1 (numpy's linspace(0, 1, 101): k * 0.01, and 1 at the end).
--
-- Evaluations stored before this migration are removed: their results cannot be re-encoded in SQL
-- without rounding (SQLite's JSON keeps 15 significant digits). They are derived data; `evaldb eval`
-- recomputes them from the stored detections and ground truth.

DROP VIEW detection_matches;
DROP VIEW pr_curve;
DROP VIEW class_ap;
DROP VIEW class_summary;
DROP TABLE matches;
DROP TABLE pr_points;
DELETE FROM evaluations;

CREATE TABLE image_matches (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    image_id      INTEGER NOT NULL,                 -- images.id
    detections    TEXT NOT NULL,                    -- JSON array, see above
    PRIMARY KEY (evaluation_id, image_id)
) STRICT;

CREATE TABLE pr_curves (
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    category_id   INTEGER NOT NULL,
    iou           REAL NOT NULL,
    precision     TEXT NOT NULL,                    -- JSON array of 101 values: 0 where unreached, null
                                                    -- when the class has no ground truth
    score         TEXT NOT NULL,                    -- JSON array: score of the detection reaching each
                                                    -- point, null where unreached
    PRIMARY KEY (evaluation_id, category_id, iou)
) STRICT;

-- The interpolated precision-recall curve per class and IoU threshold (area all, largest maxDets):
-- 101 recall points, the precision there and the score of the detection that reaches it.
CREATE VIEW pr_points AS
SELECT c.evaluation_id, c.category_id, c.iou, p.key AS recall_index,
       CASE WHEN p.key = 100 THEN 1.0 ELSE p.key * 0.01 END AS recall,
       p.value AS precision, json_extract(c.score, '$[' || p.key || ']') AS score
FROM pr_curves c, json_each(c.precision) p;

-- Class-agnostic COCO evaluations store their one class as category_id -1, named 'all classes' here.
CREATE VIEW pr_curve AS
SELECT r.name AS run, e.protocol, e.params, p.category_id, coalesce(cat.name, 'all classes') AS category, p.iou,
       p.recall_index, p.recall, p.precision, p.score, e.id AS evaluation_id
FROM pr_points p
JOIN evaluations e ON e.id = p.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = p.category_id;

CREATE VIEW class_ap AS
SELECT r.name AS run, e.protocol, e.params, c.category_id, coalesce(cat.name, 'all classes') AS category, c.metric,
       c.iou, c.area, c.max_dets, c.value, e.id AS evaluation_id
FROM class_metrics c
JOIN evaluations e ON e.id = c.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = c.category_id;

CREATE VIEW class_summary AS
SELECT r.name AS run, e.protocol, e.params, n.category_id, coalesce(cat.name, 'all classes') AS category, n.n_gt,
       n.n_det, n.tp, n.fp, n.fn, n.iou,
       (SELECT value FROM class_metrics c WHERE c.evaluation_id = e.id AND c.category_id = n.category_id
          AND c.metric = 'AP' AND c.iou IS NULL AND c.area = 'all') AS AP,
       e.id AS evaluation_id
FROM class_counts n
JOIN evaluations e ON e.id = n.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = n.category_id;

-- One row per evaluated detection. Bit t of tp_mask (ignored_mask) is set when the detection is a true
-- positive (ignored: matched a crowd/ignore/difficult box, or outside the evaluation) at the t-th IoU
-- threshold of the evaluation's params; a detection with neither bit is a false positive there.
-- gt_50 / iou_50 (gt_75 / iou_75): the gt_boxes.id matched at IoU 0.5 (0.75) and the IoU with it, when
-- that threshold is evaluated and the detection matched.
CREATE VIEW matches AS
SELECT m.evaluation_id, e.run_id, m.image_id,
       json_extract(j.value, '$[0]') AS seq,
       json_extract(j.value, '$[1]') AS tp_mask,
       json_extract(j.value, '$[2]') AS ignored_mask,
       json_extract(j.value, '$[3]') AS gt_50,
       json_extract(j.value, '$[4]') AS iou_50,
       json_extract(j.value, '$[5]') AS gt_75,
       json_extract(j.value, '$[6]') AS iou_75
FROM image_matches m
JOIN evaluations e ON e.id = m.evaluation_id,
     json_each(m.detections) j;

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
