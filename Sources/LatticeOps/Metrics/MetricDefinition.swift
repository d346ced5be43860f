/// One metric Lattice exports, declared up front so that `/metrics` carries a `# HELP`
/// line for it and its name follows the Prometheus conventions: a `lattice_` prefix, base
/// units in the name (`_seconds`, `_bytes`), and `_total` on counters.
public struct MetricDefinition: Hashable, Sendable {
    /// What kind of Prometheus metric this is.
    public enum Kind: Hashable, Sendable {
        /// A monotonic counter (swift-metrics `Counter`/`FloatingPointCounter`).
        case counter
        /// A value that goes up and down (swift-metrics `Gauge`, `Meter`, non-aggregating `Recorder`).
        case gauge
        /// Durations in seconds (swift-metrics `Timer`), with bucket upper bounds.
        case durationHistogram(buckets: [Duration])
        /// Plain values (swift-metrics aggregating `Recorder`), with bucket upper bounds.
        case valueHistogram(buckets: [Double])
    }

    /// The full metric name, for example `lattice_admin_requests_total`.
    public var name: String
    /// The kind.
    public var kind: Kind
    /// One sentence for the `# HELP` line.
    public var help: String
    /// The label names the metric is recorded with (empty for an unlabeled metric, which is
    /// then exported at zero from the start).
    public var labelNames: [String]

    /// Declares a metric.
    public init(name: String, kind: Kind, help: String, labelNames: [String] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labelNames = labelNames
    }

    /// The naming problems of this definition, empty when it follows the conventions.
    public var conventionViolations: [String] {
        var problems: [String] = []
        if !name.hasPrefix("lattice_") {
            problems.append("\(name): the name must start with lattice_")
        }
        if kind == .counter && !name.hasSuffix("_total") {
            problems.append("\(name): a counter's name must end with _total")
        }
        if kind != .counter && name.hasSuffix("_total") {
            problems.append("\(name): only counters end with _total")
        }
        for unit in ["_milliseconds", "_ms", "_kilobytes", "_megabytes", "_minutes", "_hours"] where name.contains(unit)
        {
            problems.append("\(name): use base units (seconds, bytes), not \(unit.dropFirst())")
        }
        if case .durationHistogram = kind, !name.hasSuffix("_seconds") {
            problems.append("\(name): a duration histogram's name must end with _seconds")
        }
        if help.isEmpty {
            problems.append("\(name): the help text is empty")
        }
        return problems
    }
}

extension MetricDefinition {
    /// Admin requests answered, by route pattern and status code.
    public static let adminRequests = MetricDefinition(
        name: "lattice_admin_requests_total",
        kind: .counter,
        help: "Admin socket requests answered, by route pattern and HTTP status code.",
        labelNames: ["route", "status"]
    )
    /// Time from a complete admin request to its response being written.
    public static let adminRequestDuration = MetricDefinition(
        name: "lattice_admin_request_duration_seconds",
        kind: .durationHistogram(buckets: [
            .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
            .milliseconds(500), .seconds(2),
        ]),
        help: "Time to answer an admin socket request, in seconds.",
        labelNames: ["route"]
    )
    /// Admin connections refused because the peer's uid is not the node's.
    public static let adminRejectedConnections = MetricDefinition(
        name: "lattice_admin_rejected_connections_total",
        kind: .counter,
        help: "Admin socket connections refused because the connecting uid is not the node's uid."
    )
    /// The Unix time at which the process started.
    public static let processStartTime = MetricDefinition(
        name: "lattice_process_start_time_seconds",
        kind: .gauge,
        help: "Start time of the process since the Unix epoch, in seconds."
    )

    /// The metrics LatticeOps itself records. The node appends its own definitions.
    public static let operations: [MetricDefinition] = [
        adminRequests, adminRequestDuration, adminRejectedConnections, processStartTime,
    ]
}
