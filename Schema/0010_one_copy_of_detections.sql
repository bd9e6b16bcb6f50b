-- evaldb schema, migration 10: one copy of a run's detections.
--
-- `run_columns` held a packed copy of every run's detections (56 bytes per detection beside the table's 67), so
-- that evaluation read a run as one BLOB. Evaluation now reads `detections` in its clustered order, which costs
-- a fraction of a second per million detections, and the store holds each detection once: at 5M detections the
-- file shrinks by about 280 MB and the import writes that much less. The views are unchanged.

DROP TRIGGER IF EXISTS detections_updated;
DROP TRIGGER IF EXISTS detections_deleted;
DROP TABLE run_columns;
