import EvalKit

/// What `evaldb runs` lists: runs (of one dataset, matching a condition, with given tags and params), with columns
/// for the default evaluation's metrics, for params and for tags, sorted by any of them.
public struct RunListing: Sendable {
    /// A sort key: a listed column, a metric, a param or a tag, ascending unless `descending`.
    public struct Sort: Sendable, Equatable {
        public var key: String
        public var descending: Bool

        public init(key: String, descending: Bool) {
            self.key = key
            self.descending = descending
        }
    }

    public var dataset: String?
    /// A condition over `run_summary`'s columns, in the store's SQL.
    public var condition: String?
    /// Metrics of each run's default evaluation, as columns (names from `metricNames`).
    public var metrics: [String] = []
    /// Params and tags as columns, by key.
    public var params: [String] = []
    public var tags: [String] = []
    /// Only runs with these tags and params (`key=value`).
    public var tagFilters: [(key: String, value: String)] = []
    public var paramFilters: [(key: String, value: String)] = []
    public var sort: Sort?

    public init(dataset: String? = nil, condition: String? = nil) {
        self.dataset = dataset
        self.condition = condition
    }

    /// True when the listing shows columns beyond the plain run listing (a leaderboard).
    public var isLeaderboard: Bool { !metrics.isEmpty || !params.isEmpty || !tags.isEmpty }

    /// The metrics a default evaluation can have, in the order of the `run_metrics` view: each protocol's summary
    /// metrics under its default parameters, each name once.
    public static let metricNames: [String] = {
        let defaults: [ProtocolParameters] = [
            .coco(CocoParameters()), .visdrone(VisDroneParameters()), .voc(VocParameters(metric: .allPoint)),
        ]
        var names: [String] = []
        for parameters in defaults {
            for name in parameters.summaryMetrics.map(\.summaryName) where !names.contains(name) { names.append(name) }
        }
        return names
    }()
}
