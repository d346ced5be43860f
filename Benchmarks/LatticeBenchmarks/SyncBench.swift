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
        for m in adaptiveAgainstFixed(seeds: options.quick ? 1 : 3, quick: options.quick) { emit(m) }
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
    )
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
            total.bytes += report.wireBytesSent
            total.visibility += report.visibilityMilliseconds
        }
        return total
    }

    /// - adaptive against fixed: 8 nodes on a mix of fast, slow and lossy (connection-dropping)
    ///   links, writes for a minute. Each fixed interval's bytes and p99 write-visibility are
    ///   measured. An adaptive preset is compared at equal latency: with the bytes a fixed
    ///   interval would send for the preset's own p99, interpolated linearly between the two
    ///   measured intervals whose p99s bracket it (`fixed@p99`). A preset faster than every
    ///   fixed interval is compared with the fastest (which then has the worse p99 and, being
    ///   the busiest, the most bytes); one slower than every interval with the slowest (its p99
    ///   then shows as worse). The goal holds when bytes are at most 0.6 of that baseline and
    ///   the p99 ratio is at most 1.
    static func adaptiveAgainstFixed(seeds: Int, quick: Bool) -> [BenchMeasurement] {
        var out = [BenchMeasurement]()
        // Up to a minute: the edge preset coalesces pushes for up to 60 s, and its p99 must fall
        // inside the sweep to be compared at equal latency.
        let intervals: [UInt64] =
            quick ? [500, 4_000] : [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000]
        var fixed = [(interval: UInt64, outcome: SchedulingOutcome)]()
        for ms in intervals {
            let o = outcome(.fixed, interval: ms, seeds: seeds, quick: quick)
            fixed.append((ms, o))
            out.append(BenchMeasurement(name: "sync.fixed-\(ms)ms.bytes", value: Double(o.bytes), unit: "bytes"))
            out.append(BenchMeasurement(name: "sync.fixed-\(ms)ms.visibility-p99", value: o.p99, unit: "ms"))
        }
        for preset in quick ? [SchedulePreset.wan] : [.lan, .wan, .edge] {
            let a = outcome(.adaptive(preset), seeds: seeds, quick: quick)
            let base = fixedAtEqualLatency(
                fixed.map { (name: "fixed-\($0.interval)ms", outcome: $0.outcome) },
                p99: a.p99
            )
            out.append(
                BenchMeasurement(
                    name: "sync.adaptive-\(preset.name).bytes",
                    value: Double(a.bytes),
                    unit: "bytes",
                    baseline: base.name,
                    baselineValue: base.bytes
                )
            )
            out.append(
                BenchMeasurement(
                    name: "sync.adaptive-\(preset.name).visibility-p99",
                    value: a.p99,
                    unit: "ms",
                    baseline: base.name,
                    baselineValue: base.p99
                )
            )
        }
        return out
    }

    /// Fixed scheduling's bytes at visibility p99 `p99` (see `adaptiveAgainstFixed`), named
    /// after the interval(s) it comes from.
    static func fixedAtEqualLatency(
        _ fixed: [(name: String, outcome: SchedulingOutcome)],
        p99: Double
    ) -> (name: String, bytes: Double, p99: Double) {
        let byLatency = fixed.sorted { $0.outcome.p99 < $1.outcome.p99 }
        let fastest = byLatency.first!
        let slowest = byLatency.last!
        guard p99 > fastest.outcome.p99 else {
            return (fastest.name, Double(fastest.outcome.bytes), fastest.outcome.p99)
        }
        guard p99 < slowest.outcome.p99 else {
            return (slowest.name, Double(slowest.outcome.bytes), slowest.outcome.p99)
        }
        let upper = byLatency.firstIndex { $0.outcome.p99 >= p99 }!
        let (lo, hi) = (byLatency[upper - 1], byLatency[upper])
        let t = (p99 - lo.outcome.p99) / (hi.outcome.p99 - lo.outcome.p99)
        let bytes = Double(lo.outcome.bytes) + t * (Double(hi.outcome.bytes) - Double(lo.outcome.bytes))
        return ("\(lo.name)..\(hi.name)@p99", bytes, p99)
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
