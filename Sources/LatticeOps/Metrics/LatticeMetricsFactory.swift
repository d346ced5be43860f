import CoreMetrics
import Prometheus

/// A swift-metrics factory that creates Prometheus metrics in one registry and gives each
/// declared metric its help text. (swift-prometheus's own factory registers every metric
/// with empty help, and the registry refuses a second registration with different help,
/// so help has to be supplied at the first registration, here.) Labels not declared in a
/// `MetricDefinition` get no help text; their names pass through unchanged.
public struct LatticeMetricsFactory: MetricsFactory {
    /// The registry all metrics land in.
    public let registry: PrometheusCollectorRegistry
    private let definitions: [String: MetricDefinition]
    private let defaultDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10),
    ]
    private let defaultValueBuckets: [Double] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000]

    /// Makes a factory over `registry` knowing `definitions`.
    public init(registry: PrometheusCollectorRegistry, definitions: [MetricDefinition]) {
        self.registry = registry
        self.definitions = Dictionary(definitions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: definitions[label]?.help ?? "")
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(
        label: String,
        dimensions: [(String, String)]
    ) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        var buckets = defaultValueBuckets
        if case .valueHistogram(let declared) = definitions[label]?.kind {
            buckets = declared
        }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        var buckets = defaultDurationBuckets
        if case .durationHistogram(let declared) = definitions[label]?.kind {
            buckets = declared
        }
        return registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
