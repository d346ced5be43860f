import CoreMetrics
import Prometheus
import Synchronization

/// The node's metrics: one Prometheus registry, the swift-metrics factory that writes to
/// it, and the text `/metrics` serves.
///
/// Tests make their own instance and pass `factory` to swift-metrics types
/// (`Counter(label:dimensions:factory:)`), so they never touch the process-wide
/// `MetricsSystem`. Only `main` calls `bootstrapProcess()`, which installs the factory
/// globally at most once per process.
public final class LatticeMetrics: Sendable {
    /// The `Content-Type` of `exposition()`: Prometheus text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The registry every metric of this instance lives in.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory writing to `registry`.
    public let factory: LatticeMetricsFactory

    private static let bootstrapped = Mutex(false)

    /// Makes a registry and registers the unlabeled metrics among `definitions` at zero, so
    /// `/metrics` lists them (with their help) before anything happened. When `definitions`
    /// holds `processStartTime`, it is set to the wall clock now (make one instance, early).
    public init(
        definitions: [MetricDefinition] = MetricDefinition.operations,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.registry = registry
        self.factory = LatticeMetricsFactory(registry: registry, definitions: definitions)
        for definition in definitions where definition.labelNames.isEmpty {
            switch definition.kind {
            case .counter: _ = factory.makeCounter(label: definition.name, dimensions: [])
            case .gauge: _ = factory.makeMeter(label: definition.name, dimensions: [])
            case .durationHistogram: _ = factory.makeTimer(label: definition.name, dimensions: [])
            case .valueHistogram: _ = factory.makeRecorder(label: definition.name, dimensions: [], aggregate: true)
            }
        }
        if definitions.contains(MetricDefinition.processStartTime) {
            let seconds = Double(RFC3339.nowNanoseconds()) / 1e9
            factory.makeMeter(label: MetricDefinition.processStartTime.name, dimensions: []).set(seconds)
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric in the registry.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// Installs `factory` as swift-metrics' process-wide factory. Returns false, and changes
    /// nothing, when some `LatticeMetrics` already did (swift-metrics traps on a second
    /// bootstrap). Call from `main` only.
    @discardableResult
    public func bootstrapProcess() -> Bool {
        let first = Self.bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            MetricsSystem.bootstrap(factory)
        }
        return first
    }
}
