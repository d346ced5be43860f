import LatticeSync
import Testing

@Suite("Presets")
struct PresetTests {
    @Test("every preset validates", arguments: SchedulePreset.all)
    func presetsValidate(preset: SchedulePreset) throws {
        try preset.validate()
        #expect(SchedulePreset.named(preset.name) == preset)
    }

    @Test("an inconsistent override is refused with the preset and field named")
    func invalidOverrideIsNamed() {
        let broken = preset(.wan) { $0.batchBytesMin = $0.batchBytesMax + 1 }
        #expect {
            _ = try Scheduler(preset: broken)
        } throws: { error in
            guard let error = error as? SchedulerError else { return false }
            return error.code == .invalidParameter && error.message.contains("'wan'")
                && error.message.contains("batchBytesMin")
        }
        let idle = preset(.lan) { $0.idleRoundDelayMax = $0.tickDelayMax + .seconds(1) }
        #expect(throws: SchedulerError.self) { try idle.validate() }
    }

    @Test("edge wakes up far fewer times than loopback over the same simulated hour")
    func edgeWakesLessThanLoopback() throws {
        let seed: UInt64 = 2024
        var rng = SeededRandom(seed: seed)
        let hour = Duration.seconds(3600)
        let writes = (0..<240).map { _ in Duration.milliseconds(Int64.random(in: 0..<3_600_000, using: &rng)) }.sorted()
        var counts: [String: Int] = [:]
        for preset in [SchedulePreset.loopback, .edge] {
            var shell = try SimulatedShell(preset: preset, peers: [1, 2, 3], rtt: ms(40), bandwidthBytesPerSecond: 1e6)
            shell.run(writes: writes, until: hour)
            counts[preset.name] = shell.scheduler.tickCount
            #expect(shell.pushes > 0 && shell.roundsStarted > 3, "seed \(seed) \(preset.name)")
            #expect((shell.wakeGapMin ?? .zero) >= preset.tickDelayMin, "seed \(seed) \(preset.name): woke too often")
        }
        let edge = try #require(counts["edge"])
        let loopback = try #require(counts["loopback"])
        #expect(edge < loopback, "seed \(seed): edge \(edge) ticks, loopback \(loopback)")
        #expect(edge * 10 < loopback, "seed \(seed): edge \(edge) ticks, loopback \(loopback)")
    }

    @Test("the scheduler bounds its peers and per-peer tenant estimates")
    func limitsAreEnforced() throws {
        var scheduler = try Scheduler(preset: .lan)
        for peer in 0..<SchedulingLimits.peersMax { _ = try scheduler.addPeer(peer, now: .zero) }
        #expect(throws: SchedulerError.self) { _ = try scheduler.addPeer(-1, now: .zero) }
        #expect(try scheduler.addPeer(0, now: .zero).isEmpty, "re-adding a known peer is a no-op")
        scheduler = try Scheduler(preset: .lan)
        _ = try scheduler.addPeer(0, now: .zero)
        for tenant in 0..<SchedulingLimits.tenantsPerPeerMax {
            _ = try scheduler.missingEstimate(peer: 0, tenant: "t\(tenant)", entries: 1, bytes: 0, now: .zero)
        }
        #expect(throws: SchedulerError.self) {
            _ = try scheduler.missingEstimate(peer: 0, tenant: "extra", entries: 1, bytes: 0, now: .zero)
        }
        // Clearing an estimate makes room again.
        _ = try scheduler.missingEstimate(peer: 0, tenant: "t0", entries: 0, bytes: 0, now: .zero)
        _ = try scheduler.missingEstimate(peer: 0, tenant: "extra", entries: 1, bytes: 0, now: .zero)
        #expect(scheduler.snapshot(of: 0)?.backlogEntries == UInt64(SchedulingLimits.tenantsPerPeerMax))
    }
}
