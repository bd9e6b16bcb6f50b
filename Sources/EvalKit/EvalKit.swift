/// EvalKit: pure evaluation (boxes, IoU, matching, accumulation, protocols). No SQLite, no files, no printing.
public enum EvalKit {}
