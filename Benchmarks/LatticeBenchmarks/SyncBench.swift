import LatticeSimulation

/// `lattice bench sync`: replication figures, each a ratio against a yardstick measured
/// or computed in the same run.
///
/// - convergence: N nodes each write once with eager push switched off, then each pulls
///   from one random peer per round; the rounds each node takes until every node holds
///   every write, against log2(N), the order of rounds that random gossip needs (Karp et
///   al., "Randomized Rumor Spreading", 2000; pull alone takes about log2(N) + ln(N)).
extension BenchSuite {
    static let sync = BenchSuite(name: "sync", summary: "Replication: rounds to converge against log2(N)") {
        options,
        emit in
        let sizes = options.quick ? [8, 32] : [8, 32, 128, 512, 1_024]
        for n in sizes { emit(convergence(nodes: n, seeds: options.quick ? 2 : 3)) }
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
