import Foundation
import LatticeTestSupport
import Metrics
import Testing

@testable import LatticeOps

@Suite("Metrics")
struct LatticeMetricsTests {
    @Test("every declared Lattice metric follows the naming conventions")
    func test_definitions_followConventions() {
        #expect(MetricDefinition.operations.flatMap(\.conventionViolations) == [])
        let bad = MetricDefinition(name: "admin_requests", kind: .counter, help: "")
        #expect(
            bad.conventionViolations == [
                "admin_requests: the name must start with lattice_",
                "admin_requests: a counter's name must end with _total",
                "admin_requests: the help text is empty",
            ]
        )
        let milliseconds = MetricDefinition(name: "lattice_rtt_ms", kind: .durationHistogram(buckets: []), help: "x")
        #expect(
            milliseconds.conventionViolations == [
                "lattice_rtt_ms: use base units (seconds, bytes), not ms",
                "lattice_rtt_ms: a duration histogram's name must end with _seconds",
            ]
        )
    }

    @Test("swift-metrics values recorded through the factory appear in strict 0.0.4 text with HELP and TYPE")
    func test_exposition_isStrictPrometheusText() throws {
        let metrics = LatticeMetrics()
        let requests = Counter(
            label: MetricDefinition.adminRequests.name,
            dimensions: [("route", "/v1/kv/{tenant}/{key}"), ("status", "200")],
            factory: metrics.factory
        )
        requests.increment(by: 3)
        let timer = Metrics.Timer(
            label: MetricDefinition.adminRequestDuration.name,
            dimensions: [("route", "/livez")],
            factory: metrics.factory
        )
        timer.recordMilliseconds(3)
        timer.recordMilliseconds(700)
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let families = try PrometheusTextParser.parse(text)

        let counter = try #require(families["lattice_admin_requests_total"])
        #expect(counter.type == "counter")
        #expect(counter.help == MetricDefinition.adminRequests.help)
        #expect(
            counter.samples == [
                .init(name: counter.name, labels: ["route": "/v1/kv/{tenant}/{key}", "status": "200"], value: 3)
            ]
        )

        let histogram = try #require(families["lattice_admin_request_duration_seconds"])
        #expect(histogram.type == "histogram")
        let count = histogram.samples.first { $0.name.hasSuffix("_count") }
        #expect(count?.value == 2)
        let sum = try #require(histogram.samples.first { $0.name.hasSuffix("_sum") })
        #expect(abs(sum.value - 0.703) < 1e-9)

        let rejected = try #require(families["lattice_admin_rejected_connections_total"])
        #expect(rejected.samples.map(\.value) == [0])
        let start = try #require(families["lattice_process_start_time_seconds"]?.samples.first)
        #expect(start.value > 1_700_000_000)
        for family in families.values {
            #expect(family.name.hasPrefix("lattice_"))
            #expect(family.help?.isEmpty == false)
        }
    }

    @Test("two instances are independent registries")
    func test_instances_areIndependent() {
        let first = LatticeMetrics()
        let second = LatticeMetrics()
        Counter(label: "lattice_admin_rejected_connections_total", factory: first.factory).increment()
        let firstText = String(decoding: first.exposition(), as: UTF8.self)
        let secondText = String(decoding: second.exposition(), as: UTF8.self)
        #expect(firstText.contains("lattice_admin_rejected_connections_total 1\n"))
        #expect(secondText.contains("lattice_admin_rejected_connections_total 0\n"))
    }

    @Test(
        "Python prometheus_client parses the exposition (runs only where python3 has prometheus_client)",
        .enabled(if: PythonPrometheus.isAvailable)
    )
    func test_exposition_parsesWithPrometheusClient() throws {
        let metrics = LatticeMetrics()
        Counter(
            label: "lattice_admin_requests_total",
            dimensions: [("route", "/x\"y"), ("status", "404")],
            factory: metrics.factory
        )
        .increment()
        Metrics.Timer(
            label: "lattice_admin_request_duration_seconds",
            dimensions: [("route", "/x")],
            factory: metrics.factory
        )
        .recordMilliseconds(2)
        let output = try PythonPrometheus.parse(metrics.exposition())
        #expect(output.contains("lattice_admin_requests counter"))
        #expect(output.contains("lattice_admin_request_duration_seconds histogram"))
    }
}
