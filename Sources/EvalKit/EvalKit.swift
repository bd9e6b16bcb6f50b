/// EvalKit: pure evaluation (boxes, IoU, matching, accumulation, protocols). No SQLite, no files, no printing.
public enum EvalKit {
    /// The version of evaldb's evaluation code, recorded with every stored run and evaluation.
    public static let version = "0.1.0"
}
