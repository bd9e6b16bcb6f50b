public import EvalFormats

/// What a long import or evaluation is doing, reported as it goes so that the CLI can show a progress line.
public enum WorkProgress: Sendable {
    /// Parsing the input: bytes read of the total.
    case reading(bytes: Int, total: Int)
    /// Checking the detections against the dataset.
    case diagnosing(detections: Int)
    /// Writing the detections: rows stored of the total.
    case storing(detections: Int, total: Int)
    /// Evaluating runs: how many are done, of the total, and the runs in progress.
    case evaluating(done: Int, total: Int, current: [String])
}

/// Receives `WorkProgress` reports, from any thread.
public typealias ProgressHandler = @Sendable (WorkProgress) -> Void

extension RunRepository {
    /// By default a backend stores without reporting.
    public func insert(
        _ run: RunMetadata, detections: ResolvedDetections, imageRowIDs: [Int64], progress: ProgressHandler?
    ) throws -> Int64 {
        try insert(run, detections: detections, imageRowIDs: imageRowIDs)
    }
}
