import LatticeSimulation
import LatticeSync

/// `lattice bench sync`: replication figures, each a ratio against a yardstick measured
/// or computed in the same run.
///
/// - convergence: N nodes each write once with eager push switched off, then each pulls
///   from one random peer per round; the rounds each node takes until every node holds
///   every write, against log2(N), the order of rounds that random gossip needs (Karp et
///   al., "Randomized Rumor Spreading", 2000; pull alone takes about log2(N) + ln(N)).
extension BenchSuite {
    static let sync = BenchSuite(
        name: "sync",
        summary:
            "Replication: rounds to converge against log2(N); adaptive vs fixed; real loopback writes/s and latency"
    ) {
        options,
        emit in
        let sizes = options.quick ? [8, 32] : [8, 32, 128, 512, 1_024]
        for n in sizes { emit(convergence(nodes: n, seeds: options.quick ? 2 : 3)) }
        for m in try adaptiveAgainstFixed(seeds: options.quick ? 1 : 3, quick: options.quick) { emit(m) }
        for m in try LoopbackSyncBench.measurements(quick: options.quick) { emit(m) }
    }

    /// One scheduling policy's totals over the seeds: bytes sent as a connection carries them
    /// (`Report.wireBytesSent`: frame headers, zstd, transport length prefixes and tags, so
    /// fewer, larger messages are cheaper, as on the real wire), and write visibility samples
    /// pooled across seeds for the percentile.
    struct SchedulingOutcome {
        var bytes = 0
        var visibility: [UInt64] = []

        var p99: Double {
            let sorted = visibility.sorted()
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int((0.99 * Double(sorted.count - 1)).rounded(.up)))])
        }
    }

    static func outcome(
        _ scheduling: Simulation.Scheduling,
        interval: UInt64 = 1_000,
        seeds: Int,
        quick: Bool
    ) throws
        -> SchedulingOutcome
    {
        var total = SchedulingOutcome()
        for seed in 1...UInt64(seeds) {
            var o = Simulation.Options(nodes: 8, seed: seed, faults: [])
            o.links = .mixed
            o.writes = quick ? 100 : 300
            o.faultPhaseMilliseconds = quick ? 20_000 : 60_000
            o.scheduling = scheduling
            o.countsWireBytes = true
            o.roundIntervalMilliseconds = interval
            var sim = Simulation(o)
            let report = sim.run()
            // Writes of a run that did not converge never became visible: its p99 would be wrong.
            guard report.converged && report.violations.isEmpty else {
                throw BenchSyncError("\(scheduling) did not converge: \(report)")
            }
            total.bytes += report.wireBytesSent
            total.visibility += report.visibilityMilliseconds
        }
        return total
    }

    /// - adaptive against fixed: 8 nodes on a mix of fast, slow and lossy (connection-dropping)
    ///   links, writes for a minute. Each fixed interval's bytes and p99 write-visibility are
    ///   measured. An adaptive preset is compared with the fastest fixed interval whose p99 is
    ///   no better than the preset's: the preset must be at least as fast and send at most 0.6
    ///   of its bytes (faster intervals send more still). A preset slower than every
    ///   fixed interval is compared with the slowest (its p99 then shows as worse). The goal
    ///   holds when the bytes ratio is at most 0.6 and the p99 ratio at most 1.
    static func adaptiveAgainstFixed(seeds: Int, quick: Bool) throws -> [BenchMeasurement] {
        var out = [BenchMeasurement]()
        // Up to a minute: the edge preset coalesces pushes for up to 60 s, and its p99 must fall
        // inside the sweep to be compared with an interval at least as slow.
        let intervals: [UInt64] =
            quick ? [500, 4_000] : [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000]
        var fixed = [(name: String, outcome: SchedulingOutcome)]()
        for ms in intervals {
            let o = try outcome(.fixed, interval: ms, seeds: seeds, quick: quick)
            fixed.append(("fixed-\(ms)ms", o))
            out.append(BenchMeasurement(name: "sync.fixed-\(ms)ms.bytes", value: Double(o.bytes), unit: "bytes"))
            out.append(BenchMeasurement(name: "sync.fixed-\(ms)ms.visibility-p99", value: o.p99, unit: "ms"))
        }
        for preset in quick ? [SchedulePreset.wan] : [.lan, .wan, .edge] {
            let a = try outcome(.adaptive(preset), seeds: seeds, quick: quick)
            let base =
                fixed.filter { $0.outcome.p99 >= a.p99 }.min { $0.outcome.p99 < $1.outcome.p99 }
                ?? fixed.max { $0.outcome.p99 < $1.outcome.p99 }!
            out.append(
                BenchMeasurement(
                    name: "sync.adaptive-\(preset.name).bytes",
                    value: Double(a.bytes),
                    unit: "bytes",
                    baseline: base.name,
                    baselineValue: Double(base.outcome.bytes)
                )
            )
            out.append(
                BenchMeasurement(
                    name: "sync.adaptive-\(preset.name).visibility-p99",
                    value: a.p99,
                    unit: "ms",
                    baseline: base.name,
                    baselineValue: base.outcome.p99
                )
            )
        }
        return out
    }

    static func convergence(nodes n: Int, seeds: Int) -> BenchMeasurement {
        var total = 0.0
        for seed in 1...UInt64(seeds) {
            var o = Simulation.Options(nodes: n, seed: seed, faults: [])
            o.writes = n
            o.faultPhaseMilliseconds = 1  // every write lands at once; then plain gossip
            o.keys = 64
            o.eagerPush = false
            o.secretTenant = false
            o.checksEveryEvent = false  // the tests check invariants; this measures rounds
            var sim = Simulation(o)
            total += sim.run().roundsPerNode
        }
        var log2n = 0.0
        var x = n
        while x > 1 {
            log2n += 1
            x /= 2
        }
        return BenchMeasurement(
            name: "sync.convergence.rounds-per-node.n=\(n)",
            value: total / Double(seeds),
            unit: "rounds",
            baseline: "log2(n)",
            baselineValue: log2n
        )
    }
}

struct BenchSyncError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
