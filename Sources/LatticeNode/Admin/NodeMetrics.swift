import CoreMetrics
import LatticeOps
import LatticeSync
import Synchronization

/// The node's Prometheus metrics (`lattice_` names, base units, `_total` counters), refreshed
/// from the node's counters each time `/metrics` is scraped.
public enum NodeMetrics {
    static let counters: [(MetricDefinition, @Sendable (NodeMetricsSample) -> UInt64)] = [
        (
            counter("lattice_sync_rounds_completed_total", "Anti-entropy rounds this node started that completed."),
            { $0.rounds }
        ),
        (counter("lattice_sync_keys_sent_total", "Key states sent in answers to peers' pulls."), { $0.sync.keysSent }),
        (
            counter("lattice_sync_keys_received_total", "Key states received in answers to this node's pulls."),
            { $0.sync.keysReceived }
        ),
        (
            counter("lattice_sync_pushes_applied_total", "Eagerly pushed deltas joined from peers."),
            { $0.sync.pushesApplied }
        ),
        (
            counter(
                "lattice_sync_pushes_deferred_total",
                "Pushes held while a pull's answer was half received, applied when it completed."
            ),
            { $0.sync.pushesDeferred }
        ),
        (
            counter(
                "lattice_sync_pushes_dropped_total",
                "Pushes not applied (held past the limit, or by an abandoned pull); the next round carries them."
            ),
            { $0.sync.pushesDropped }
        ),
        (
            counter("lattice_sync_writes_refused_total", "Writes from peers without write permission, refused."),
            { $0.sync.writesRefused }
        ),
        (
            counter(
                "lattice_sync_unreadable_tenant_messages_total",
                "Messages about tenants the peer may not read, dropped."
            ),
            { $0.sync.unreadableTenantMessages }
        ),
        (
            counter("lattice_sync_pulls_timed_out_total", "Pulls abandoned after their timeout."),
            { $0.sync.pullsTimedOut }
        ),
        (
            counter(
                "lattice_sync_malformed_messages_total",
                "Sync messages that failed to decode (connection closed)."
            ), { $0.malformed }
        ),
        (
            counter("lattice_sync_refused_input_total", "Batches and pushes refused by admission checks."),
            { $0.sync.malformedRefused }
        ),
        (
            counter("lattice_repair_sessions_started_total", "Digest repair sessions this node started."),
            { $0.sync.repairsStarted }
        ),
        (
            counter(
                "lattice_repair_sessions_failed_total",
                "Digest repair sessions dropped on an invalid or over-limit message (either side)."
            ),
            { $0.sync.repairsFailed }
        ),
        (
            counter(
                "lattice_repair_sessions_throttled_total",
                "Repair sessions a peer started too soon after its previous one for the tenant, dropped."
            ),
            { $0.sync.repairsThrottled }
        ),
        (
            counter("lattice_repair_keys_sent_total", "Key states digest repair sent to peers."),
            { $0.sync.repairKeysSent }
        ),
        (
            counter("lattice_repair_keys_joined_total", "Key states received by digest repair and joined."),
            { $0.sync.repairKeysJoined }
        ),
        (counter("lattice_transport_bytes_sent_total", "Sync payload bytes queued to peers."), { $0.bytesOut }),
        (counter("lattice_transport_bytes_received_total", "Sync payload bytes received from peers."), { $0.bytesIn }),
        (
            counter("lattice_store_persist_failures_total", "Sync steps that could not be made durable."),
            { $0.persistFailures }
        ),
        (
            counter("lattice_store_checkpoints_total", "Durable commits of replicated state, one per tenant and step."),
            { $0.checkpoints }
        ),
    ]

    static let peersConnected = MetricDefinition(
        name: "lattice_peers_connected",
        kind: .gauge,
        help: "Peers with an established connection."
    )

    static func counter(_ name: String, _ help: String) -> MetricDefinition {
        MetricDefinition(name: name, kind: .counter, help: help)
    }

    /// Definitions to pass to `LatticeMetrics(definitions:)` with `MetricDefinition.operations`.
    public static var definitions: [MetricDefinition] { counters.map(\.0) + [peersConnected] }

    /// `router` plus a `/metrics` route that refreshes the node's metrics before each exposition.
    public static func router(_ router: AdminRouter, node: LatticeNode, metrics: LatticeMetrics) -> AdminRouter {
        var r = router
        let reported = Mutex<[String: UInt64]>([:])
        r.add(.GET, "/metrics") { _ in
            let sample = await node.core.metricsSample()
            for (definition, read) in counters {
                let value = read(sample)
                let delta = reported.withLock { last -> UInt64 in
                    let d = value &- (last[definition.name] ?? 0)
                    last[definition.name] = value
                    return value >= d ? d : 0
                }
                if delta > 0 {
                    metrics.factory.makeCounter(label: definition.name, dimensions: []).increment(by: Int64(delta))
                }
            }
            metrics.factory.makeMeter(label: peersConnected.name, dimensions: []).set(Double(sample.connected))
            return AdminResponse(
                status: .ok,
                body: .bytes(metrics.exposition(), contentType: LatticeMetrics.contentType)
            )
        }
        return r
    }
}

/// The node counters one scrape reads.
struct NodeMetricsSample: Sendable {
    var sync: SyncCounters
    var rounds: UInt64
    var malformed: UInt64
    var persistFailures: UInt64
    var checkpoints: UInt64
    var bytesIn: UInt64
    var bytesOut: UInt64
    var connected: Int
}

extension NodeCore {
    func metricsSample() -> NodeMetricsSample {
        NodeMetricsSample(
            sync: engine.counters,
            rounds: roundsCompleted,
            malformed: malformedMessages,
            persistFailures: persistFailures,
            checkpoints: checkpoints,
            bytesIn: stats.values.reduce(0) { $0 + $1.bytesIn },
            bytesOut: stats.values.reduce(0) { $0 + $1.bytesOut },
            connected: links.count
        )
    }
}
