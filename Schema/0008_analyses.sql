-- evaldb schema, migration 8: stored error analyses (`evaldb errors`, `confusion`, `thresholds`).
--
-- Each analysis is stored once per run, kind, protocol and parameters, like an evaluation, and reused while the
-- run and the dataset keep the content it was computed from (the hashes). `result` is the analysis as the
-- command's JSON prints it, without the run's and dataset's names (a rename changes nothing stored); the views
-- below give its values as rows.

CREATE TABLE analyses (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('errors', 'confusion', 'thresholds')),
    protocol        TEXT NOT NULL,                  -- the protocol whose outcomes it uses ('' for confusion)
    params          TEXT NOT NULL CHECK (json_valid(params)),   -- canonical JSON of the analysis' parameters
    dataset_sha256  TEXT NOT NULL,
    run_sha256      TEXT NOT NULL,
    evaldb_version  TEXT NOT NULL,
    duration_ms     REAL NOT NULL,
    created_at      TEXT NOT NULL,
    result          TEXT NOT NULL CHECK (json_valid(result)),
    UNIQUE (run_id, kind, protocol, params)
) STRICT;

-- The TIDE breakdown: one row per run, class (NULL: all classes) and error type. `error` is cls, loc, both,
-- dupe, bkg, missed (with a count) or FalsePos, FalseNeg (dAP only). dAP is the change of the protocol's AP at
-- the foreground IoU (`AP50`, as `evaldb eval` prints it) when that type of error is fixed.
CREATE VIEW tide_errors AS
SELECT r.name AS run, d.name AS dataset, a.protocol, a.params, NULL AS category_id, 'all classes' AS category,
       json_extract(a.result, '$.AP50') AS AP50, e.key AS error, json_extract(e.value, '$.count') AS count,
       json_extract(e.value, '$.dAP') AS dAP, a.id AS analysis_id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.errors') e
WHERE a.kind = 'errors'
UNION ALL
SELECT r.name, d.name, a.protocol, a.params, NULL, 'all classes', json_extract(a.result, '$.AP50'), s.key, NULL,
       json_extract(s.value, '$.dAP'), a.id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.special') s
WHERE a.kind = 'errors'
UNION ALL
SELECT r.name, d.name, a.protocol, a.params, json_extract(c.value, '$.category_id'),
       json_extract(c.value, '$.category'), json_extract(c.value, '$.AP50'), e.key,
       json_extract(e.value, '$.count'), json_extract(e.value, '$.dAP'), a.id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.classes') c
JOIN json_each(c.value, '$.errors') e
WHERE a.kind = 'errors'
UNION ALL
SELECT r.name, d.name, a.protocol, a.params, json_extract(c.value, '$.category_id'),
       json_extract(c.value, '$.category'), json_extract(c.value, '$.AP50'), s.key, NULL,
       json_extract(s.value, '$.dAP'), a.id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.classes') c
JOIN json_each(c.value, '$.special') s
WHERE a.kind = 'errors';

-- The confusion matrix, one row per (ground-truth class, predicted class) cell; 'background' (category_id NULL)
-- on the ground-truth side holds detections that matched nothing, on the predicted side ground truth that no
-- detection matched. iou and score_threshold are the analysis' parameters.
CREATE VIEW confusion AS
SELECT r.name AS run, d.name AS dataset, json_extract(a.params, '$.iou') AS iou,
       json_extract(a.params, '$.score_threshold') AS score_threshold,
       json_extract(a.result, '$.category_ids[' || g.key || ']') AS gt_category_id,
       json_extract(a.result, '$.classes[' || g.key || ']') AS gt_category,
       json_extract(a.result, '$.category_ids[' || p.key || ']') AS predicted_category_id,
       json_extract(a.result, '$.classes[' || p.key || ']') AS predicted_category,
       p.value AS count, a.id AS analysis_id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.matrix') g
JOIN json_each(g.value) p
WHERE a.kind = 'confusion';

-- Score thresholds: per run and class (NULL: all classes pooled) the threshold of best F1 at the analysis' IoU,
-- with its precision, recall, F1, TP, FP, FN (n_gt: the ground truth that counts); with a target precision,
-- the lowest threshold reaching it (target_threshold), the precision it reaches and its recall.
CREATE VIEW thresholds AS
SELECT r.name AS run, d.name AS dataset, a.protocol, json_extract(a.params, '$.iou') AS iou,
       NULL AS category_id, 'all classes' AS category, json_extract(a.result, '$.overall.n_gt') AS n_gt,
       json_extract(a.result, '$.overall.best.threshold') AS threshold,
       json_extract(a.result, '$.overall.best.precision') AS precision,
       json_extract(a.result, '$.overall.best.recall') AS recall,
       json_extract(a.result, '$.overall.best.F1') AS F1,
       json_extract(a.result, '$.overall.best.TP') AS TP,
       json_extract(a.result, '$.overall.best.FP') AS FP,
       json_extract(a.result, '$.overall.best.FN') AS FN,
       json_extract(a.params, '$.target_precision') AS target_precision,
       json_extract(a.result, '$.overall.target.threshold') AS target_threshold,
       json_extract(a.result, '$.overall.target.precision') AS target_reached,
       json_extract(a.result, '$.overall.target.recall') AS target_recall,
       a.id AS analysis_id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
WHERE a.kind = 'thresholds'
UNION ALL
SELECT r.name, d.name, a.protocol, json_extract(a.params, '$.iou'),
       json_extract(c.value, '$.category_id'), json_extract(c.value, '$.category'), json_extract(c.value, '$.n_gt'),
       json_extract(c.value, '$.best.threshold'), json_extract(c.value, '$.best.precision'),
       json_extract(c.value, '$.best.recall'), json_extract(c.value, '$.best.F1'),
       json_extract(c.value, '$.best.TP'), json_extract(c.value, '$.best.FP'), json_extract(c.value, '$.best.FN'),
       json_extract(a.params, '$.target_precision'), json_extract(c.value, '$.target.threshold'),
       json_extract(c.value, '$.target.precision'), json_extract(c.value, '$.target.recall'), a.id
FROM analyses a
JOIN runs r ON r.id = a.run_id
JOIN datasets d ON d.id = r.dataset_id
JOIN json_each(a.result, '$.classes') c
WHERE a.kind = 'thresholds';
