/// The evaldb version, recorded with every stored dataset and run.
public enum EvaldbVersion {
    /// The version string, e.g. "0.1.0".
    public static let current = "0.1.0"
}
