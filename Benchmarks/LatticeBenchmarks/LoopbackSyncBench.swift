import Foundation
import LatticeCore
import LatticeNode
import Synchronization

/// Real replication over loopback TCP: three `LatticeNode`s in this process (encrypted wire,
/// durable store, adaptive scheduler). Each figure is against a yardstick from the same run:
///
/// - sustained replicated writes/s: 64 concurrent writers on n1 until every write is visible on
///   n2 and n3, against the same writers on a node with no peers (durable local writes/s);
/// - write-to-visible latency p50/p99 at a paced 1,000 writes/s: from the call to `write` on n1 to
///   the change arriving on the later of n2 and n3, against the local durable write latency p50.
enum LoopbackSyncBench {
    static func measurements(quick: Bool) throws -> [BenchMeasurement] {
        try benchBlocking {
            let writes = quick ? 2_000 : 20_000
            let local = try await sustained(nodes: 1, writes: writes)
            let replicated = try await sustained(nodes: 3, writes: writes)
            let paced = try await pacedLatency(writes: quick ? 1_000 : 5_000, perSecond: 1_000)
            return [
                BenchMeasurement(
                    name: "sync.loopback.3-nodes.replicated-writes",
                    value: replicated.rate,
                    unit: "writes/s",
                    baseline: "node.local-durable-writes",
                    baselineValue: local.rate
                ),
                BenchMeasurement(
                    name: "sync.loopback.3-nodes.visible-p50-at-1000wps",
                    value: paced.p50,
                    unit: "ms",
                    baseline: "node.local-durable-write-p50",
                    baselineValue: paced.localP50
                ),
                BenchMeasurement(
                    name: "sync.loopback.3-nodes.visible-p99-at-1000wps",
                    value: paced.p99,
                    unit: "ms",
                    baseline: "node.local-durable-write-p50",
                    baselineValue: paced.localP50
                ),
            ]
        }
    }

    /// Writes/s from 64 writers on n1 until the last write is visible on every node.
    static func sustained(nodes: Int, writes: Int) async throws -> (rate: Double, seconds: Double) {
        let cluster = try LocalCluster(count: nodes)
        try await cluster.startAll()
        let observers = (1..<nodes).map { cluster.node($0).changes() }
        let start = ContinuousClock.now
        let writer = cluster.node(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<64 {
                group.addTask {
                    for i in stride(from: w, to: writes, by: 64) {
                        try await writer.write(tenant: "default", key: "k\(i)", .increment(by: 1))
                    }
                }
            }
            for observer in observers {
                group.addTask {
                    var seen = Set<String>()
                    for await change in observer where change.key.hasPrefix("k") {
                        seen.insert(change.key)
                        if seen.count == writes { break }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).benchSeconds
        await cluster.shutdown()
        return (Double(writes) / seconds, seconds)
    }

    /// Paced writes on n1; per write, the time until both n2 and n3 have it.
    static func pacedLatency(writes: Int, perSecond: Int) async throws -> (p50: Double, p99: Double, localP50: Double) {
        let cluster = try LocalCluster(count: 3)
        try await cluster.startAll()
        try await cluster.waitUntil("n1 is connected to both peers", seconds: 30) {
            let doc = await cluster.node(0).peersDocument()
            return "\(doc)".components(separatedBy: "\"connected\"").count - 1 >= 2
        }
        let log = LatencyLog()
        let observers = [cluster.node(1).changes(), cluster.node(2).changes()]
        let writer = cluster.node(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for observer in observers {
                group.addTask {
                    var seen = Set<Int>()
                    for await change in observer {
                        guard let i = Int(change.key.dropFirst(1)), seen.insert(i).inserted else { continue }
                        let now = ContinuousClock.now
                        // The second arrival is the later one: the write is then visible everywhere.
                        log.visible.withLock { v in v[i] = ((v[i]?.count ?? 0) + 1, now) }
                        if seen.count == writes { break }
                    }
                }
            }
            let interval = Duration.seconds(1) / perSecond
            let origin = ContinuousClock.now
            for i in 0..<writes {
                try await Task.sleep(until: origin + interval * i, clock: .continuous)
                group.addTask {
                    let t0 = ContinuousClock.now
                    log.started.withLock { $0[i] = t0 }
                    try await writer.write(tenant: "default", key: "p\(i)", .increment(by: 1))
                    log.local.withLock { $0.append((ContinuousClock.now - t0).benchSeconds * 1_000) }
                }
            }
            try await group.waitForAll()
        }
        await cluster.shutdown()
        let latencies = log.started.withLock { s in
            log.visible.withLock { v in
                s.compactMap { i, t0 in v[i].flatMap { $0.count == 2 ? ($0.at - t0).benchSeconds * 1_000 : nil } }
                    .sorted()
            }
        }
        let localSorted = log.local.withLock { $0.sorted() }
        return (percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(localSorted, 0.5))
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded(.up)))]
    }
}

/// Times the paced-latency run records from several tasks.
final class LatencyLog: Sendable {
    let started = Mutex([Int: ContinuousClock.Instant]())
    let visible = Mutex([Int: (count: Int, at: ContinuousClock.Instant)]())
    let local = Mutex([Double]())
}
