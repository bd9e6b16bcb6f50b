-- evaldb schema, migration 7: the default evaluation of each run, numeric params, and run_metrics.
--
-- A run may have several evaluations (other protocols, thresholds, filters). Its default evaluation is the one
-- under its dataset's default protocol with that protocol's default parameters: the one `evaldb import`
-- computes and `evaldb runs --metrics` reads. evaluations.is_default marks it, and every view that has an
-- evaluation shows the mark, so that joins and pivots can keep one evaluation per run.

ALTER TABLE evaluations ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));

-- The canonical parameters of each protocol's defaults, as evaldb writes them.
UPDATE evaluations SET is_default = 1
WHERE protocol = (SELECT d.default_protocol FROM runs r JOIN datasets d ON d.id = r.dataset_id
                  WHERE r.id = evaluations.run_id)
  AND params = CASE protocol
      WHEN 'coco' THEN '{"area_ranges":[["all",0.0,10000000000.0],["small",0.0,1024.0],["medium",1024.0,9216.0],["large",9216.0,10000000000.0]],"iou":[0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.8999999999999999,0.95],"max_dets":[1,10,100]}'
      WHEN 'voc07' THEN '{"iou":[0.5]}'
      WHEN 'voc12' THEN '{"iou":[0.5]}'
      WHEN 'visdrone' THEN '{"iou":[0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95],"max_dets":[1,10,100,500]}'
  END;

-- At most one default evaluation per run.
CREATE UNIQUE INDEX evaluations_default ON evaluations (run_id) WHERE is_default = 1;

-- A param's value as a number when it is written as one (JSON number syntax: 10, 0.001, 1e-3), else NULL: params
-- sort and compare as numbers through it.
ALTER TABLE run_params ADD COLUMN number REAL
    GENERATED ALWAYS AS (CASE WHEN json_valid(value) AND json_type(value) IN ('integer', 'real')
                              THEN CAST(value AS REAL) END) VIRTUAL;

DROP VIEW params;
CREATE VIEW params AS
SELECT r.name AS run, p.key, p.value, p.number FROM run_params p JOIN runs r ON r.id = p.run_id;

DROP VIEW eval_summary;
CREATE VIEW eval_summary AS
SELECT r.name AS run, d.name AS dataset, e.protocol, e.params, e.is_default, m.metric, m.value, m.position,
       e.id AS evaluation_id, e.created_at
FROM evaluation_metrics m
JOIN evaluations e ON e.id = m.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN datasets d ON d.id = r.dataset_id;

DROP VIEW class_ap;
CREATE VIEW class_ap AS
SELECT r.name AS run, e.protocol, e.params, e.is_default, c.category_id, coalesce(cat.name, 'all classes') AS category,
       c.metric, c.iou, c.area, c.max_dets, c.value, e.id AS evaluation_id
FROM class_metrics c
JOIN evaluations e ON e.id = c.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = c.category_id;

DROP VIEW class_summary;
CREATE VIEW class_summary AS
SELECT r.name AS run, e.protocol, e.params, e.is_default, n.category_id, coalesce(cat.name, 'all classes') AS category,
       n.n_gt, n.n_det, n.tp, n.fp, n.fn, n.iou,
       (SELECT value FROM class_metrics c WHERE c.evaluation_id = e.id AND c.category_id = n.category_id
          AND c.metric = 'AP' AND c.iou IS NULL AND c.area = 'all') AS AP,
       e.id AS evaluation_id
FROM class_counts n
JOIN evaluations e ON e.id = n.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = n.category_id;

DROP VIEW pr_curve;
CREATE VIEW pr_curve AS
SELECT r.name AS run, e.protocol, e.params, e.is_default, p.category_id, coalesce(cat.name, 'all classes') AS category,
       p.iou, p.recall_index, p.recall, p.precision, p.score, e.id AS evaluation_id
FROM pr_points p
JOIN evaluations e ON e.id = p.evaluation_id
JOIN runs r ON r.id = e.run_id
LEFT JOIN categories cat ON cat.dataset_id = r.dataset_id AND cat.category_id = p.category_id;

-- One row per run: its default evaluation's summary metrics as columns (NULL where its protocol has no such
-- metric, and every metric NULL while the run has no default evaluation).
CREATE VIEW run_metrics AS
SELECT r.name AS run, d.name AS dataset, d.default_protocol AS protocol, e.id AS evaluation_id,
       max(CASE WHEN m.metric = 'AP' THEN m.value END) AS AP,
       max(CASE WHEN m.metric = 'AP50' THEN m.value END) AS AP50,
       max(CASE WHEN m.metric = 'AP75' THEN m.value END) AS AP75,
       max(CASE WHEN m.metric = 'APs' THEN m.value END) AS APs,
       max(CASE WHEN m.metric = 'APm' THEN m.value END) AS APm,
       max(CASE WHEN m.metric = 'APl' THEN m.value END) AS APl,
       max(CASE WHEN m.metric = 'AR1' THEN m.value END) AS AR1,
       max(CASE WHEN m.metric = 'AR10' THEN m.value END) AS AR10,
       max(CASE WHEN m.metric = 'AR100' THEN m.value END) AS AR100,
       max(CASE WHEN m.metric = 'AR500' THEN m.value END) AS AR500,
       max(CASE WHEN m.metric = 'ARs' THEN m.value END) AS ARs,
       max(CASE WHEN m.metric = 'ARm' THEN m.value END) AS ARm,
       max(CASE WHEN m.metric = 'ARl' THEN m.value END) AS ARl,
       max(CASE WHEN m.metric = 'mAP' THEN m.value END) AS mAP
FROM runs r
JOIN datasets d ON d.id = r.dataset_id
LEFT JOIN evaluations e ON e.run_id = r.id AND e.is_default = 1
LEFT JOIN evaluation_metrics m ON m.evaluation_id = e.id
GROUP BY r.id;

DROP VIEW detection_matches;
DROP VIEW matches;

CREATE VIEW matches AS
SELECT m.evaluation_id, e.run_id, m.image_id,
       json_extract(j.value, '$[0]') AS seq,
       json_extract(j.value, '$[1]') AS tp_mask,
       json_extract(j.value, '$[2]') AS ignored_mask,
       json_extract(j.value, '$[3]') AS gt_50,
       json_extract(j.value, '$[4]') AS iou_50,
       json_extract(j.value, '$[5]') AS gt_75,
       json_extract(j.value, '$[6]') AS iou_75,
       e.is_default
FROM image_matches m
JOIN evaluations e ON e.id = m.evaluation_id,
     json_each(m.detections) j;

-- As migration 6 ordered it: the matches in stored order, each detection looked up by its key.
CREATE VIEW detection_matches AS
SELECT r.name AS run, e.protocol, e.params, e.is_default, x.seq, i.file_name, x.category_id, x.score, x.x, x.y,
       x.w, x.h, m.tp_mask, m.ignored_mask, m.gt_50, m.iou_50, m.gt_75, m.iou_75,
       CASE WHEN m.tp_mask & 1 THEN 'TP' WHEN m.ignored_mask & 1 THEN 'ignored' ELSE 'FP' END AS outcome_first_iou,
       e.id AS evaluation_id
FROM matches m
JOIN evaluations e ON e.id = m.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN images i ON i.id = m.image_id
CROSS JOIN detections x ON x.run_id = m.run_id AND x.image_id = m.image_id AND x.seq = m.seq;
