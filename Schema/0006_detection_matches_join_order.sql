-- evaldb schema, migration 6: `detection_matches` reads each evaluation's matches in stored order and looks each
-- detection up by its key. Same columns, same values.
--
-- As migration 3 defined it, SQLite's planner drove the join from `detections` (a range of the run) and, for
-- every detection, unpacked the whole JSON array of its image again to find its entry: the time grew as the
-- detections times the detections per image (500k detections on 5k images: 11 s to count them). The CROSS JOIN
-- keeps `matches` (evaluation, then its image rows, then their entries in seq order) as the outer loop and makes
-- the detection one primary-key search (run_id, image_id, seq) per entry: 0.45 s for the same count
-- (Scripts/bench-views). `images` is joined by the image row, so it is searched once per image.

DROP VIEW detection_matches;

CREATE VIEW detection_matches AS
SELECT r.name AS run, e.protocol, e.params, x.seq, i.file_name, x.category_id, x.score, x.x, x.y, x.w, x.h,
       m.tp_mask, m.ignored_mask, m.gt_50, m.iou_50, m.gt_75, m.iou_75,
       CASE WHEN m.tp_mask & 1 THEN 'TP' WHEN m.ignored_mask & 1 THEN 'ignored' ELSE 'FP' END AS outcome_first_iou,
       e.id AS evaluation_id
FROM matches m
JOIN evaluations e ON e.id = m.evaluation_id
JOIN runs r ON r.id = e.run_id
JOIN images i ON i.id = m.image_id
CROSS JOIN detections x ON x.run_id = m.run_id AND x.image_id = m.image_id AND x.seq = m.seq;
