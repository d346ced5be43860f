import Foundation
import LatticeCore
import LatticeSync
import Testing

@testable import LatticeSimulation

/// Seeds per fault configuration: 25 in `make test`; `make soak` sets LATTICE_SIM_SEEDS.
let seedsPerConfiguration = Int(ProcessInfo.processInfo.environment["LATTICE_SIM_SEEDS"] ?? "") ?? 25

@Suite("Simulation")
struct SimulationTests {
    static let configurations: [Faults] = Faults.names.map(\.1) + [.all]

    @Test("every fault, alone and together, converges with no invariant broken", arguments: configurations)
    func convergesUnder(faults: Faults) async {
        for seed in 1...UInt64(seedsPerConfiguration) {
            await Task.yield()  // long CPU-bound loops must not hold a cooperative thread for minutes
            var options = Simulation.Options(nodes: 4, seed: seed, faults: faults)
            options.writes = 120
            options.faultPhaseMilliseconds = 15_000
            var sim = Simulation(options)
            let report = sim.run()
            #expect(
                report.converged && report.violations.isEmpty,
                "replay: lattice simulate --nodes 4 --writes 120 --faults \(faults) --seed \(seed)\n\(report)"
            )
        }
    }

    @Test("adaptive scheduling with every preset converges under all faults", arguments: SchedulePreset.all.map(\.name))
    func adaptiveConvergesUnderAllFaults(preset: String) async {
        for seed in 1...UInt64(max(1, seedsPerConfiguration / 2)) {
            await Task.yield()
            var options = Simulation.Options(nodes: 5, seed: seed, faults: .all)
            options.writes = 120
            options.faultPhaseMilliseconds = 15_000
            options.scheduling = .adaptive(SchedulePreset.named(preset)!)
            var sim = Simulation(options)
            let report = sim.run()
            #expect(
                report.converged && report.violations.isEmpty,
                "replay: lattice simulate --nodes 5 --writes 120 --faults all --scheduling \(preset) --seed \(seed)\n\(report)"
            )
        }
    }

    @Test func aSparseTopology_convergesThroughIntermediateNodes() async {
        // A line n1 - n2 - n3 - n4: n1's writes reach n4 only by way of n2 and n3.
        let link = LinkProfile(
            name: "wan",
            delayMilliseconds: 40,
            jitterMilliseconds: 10,
            lossPermille: 10,
            bytesPerMillisecond: 1_250
        )
        for seed in 1...UInt64(max(1, seedsPerConfiguration / 2)) {
            await Task.yield()
            var options = Simulation.Options(nodes: 4, seed: seed, faults: [.partitions, .crashes])
            options.links = .topology(
                [(0, 1), (1, 2), (2, 3)].map { Simulation.LinkedPair(a: $0.0, b: $0.1, profile: link) }
            )
            options.secretTenant = false
            options.writes = 100
            var sim = Simulation(options)
            let report = sim.run()
            #expect(report.converged && report.violations.isEmpty, "seed \(seed)\n\(report)")
        }
    }

    @Test func aRunIsAPureFunctionOfItsSeed() {
        var a = Simulation(Simulation.Options(nodes: 5, seed: 77, faults: .all))
        var b = Simulation(Simulation.Options(nodes: 5, seed: 77, faults: .all))
        let (ra, rb) = (a.run(), b.run())
        #expect(ra.description == rb.description)
        #expect(ra.bytesSent > 0 && ra.writes > 0)
    }

    @Test func checker_flagsASecretTenantMessageToANodeThatMayNotReadIt() {
        var checker = Checker(nodes: 4, secretReaders: [0, 1])
        checker.sent(.summary(tenant: "secret", round: 1, complete: VersionVector()), to: 3, at: 10)
        checker.sent(.summary(tenant: "secret", round: 1, complete: VersionVector()), to: 1, at: 10)
        #expect(checker.violations.count == 1)
        #expect(checker.violations.first?.contains("n4") == true)
    }

    @Test func checker_flagsADotThatComesBackAfterItWasRemoved() throws {
        let r = ReplicaID(high: 1, low: 1)
        let peer = PeerPolicy(id: "n2", permissions: ["shared": .readWrite])
        var engine = SyncEngine(replica: r, tenants: ["shared"], peers: [peer])
        var checker = Checker(nodes: 1, secretReaders: [])
        let t = HLCTimestamp(wallMilliseconds: 1, logical: 0)
        let added = try engine.write(tenant: "shared", key: "k", .add(.int(1)), at: t).delta
        checker.check([engine], at: 1)
        _ = try engine.write(tenant: "shared", key: "k", .remove(.int(1)), at: t)
        checker.check([engine], at: 2)
        #expect(checker.violations.isEmpty)
        // A different engine that never saw the removal stands in for a buggy one.
        var stale = SyncEngine(replica: ReplicaID(high: 2, low: 2), tenants: ["shared"], peers: [peer])
        stale.connected("n2")
        _ = stale.receive(.push(tenant: "shared", added), from: "n2", now: 0)
        checker.check([stale], at: 3)
        #expect(checker.violations.count == 1)
    }

    @Test func faults_parseNamesAndRejectUnknownOnesWithTheList() throws {
        #expect(try Faults(parsing: "delay,loss") == [.delay, .loss])
        #expect(try Faults(parsing: "all") == .all)
        let e = #expect(throws: SimulationError.self) { try Faults(parsing: "delay,gremlins") }
        #expect(e?.description.contains("gremlins") == true)
        #expect(e?.description.contains("partitions") == true)
    }
}
