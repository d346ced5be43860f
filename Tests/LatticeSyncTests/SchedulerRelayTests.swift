import LatticeSync
import Testing

@Suite("Sync scheduler: relay rounds while a peer is unreachable, idle checks shared among peers")
struct SchedulerRelayTests {
    @Test("a lost peer's writes are pulled through the reachable peer with the lowest SRTT, soon after the loss")
    func relayPicksTheLowestRTTPeer() throws {
        var rng = SeededRandom(seed: 21)
        let wan = SchedulePreset.wan
        var scheduler = try SchedulerTests.warmedUp(wan, peers: [1, 2, 3]) { [1: ms(5), 2: ms(80), 3: ms(20)][$0]! }
        let lost = ms(100)
        _ = scheduler.connectionChanged(peer: 1, to: .lost(reason: "reset by peer"), now: lost, using: &rng)
        var relays: [(Int, String)] = []
        var now = lost
        while now <= lost + wan.relayRoundDelayMin {
            let directives = scheduler.tick(now: now)
            relays += directives.rounds.filter { $0.reason.hasPrefix("relay") }
            now += try #require(directives.tickDelay)
        }
        #expect(relays.map(\.0) == [3], "\(relays)")
        #expect(relays.first?.1.hasPrefix("relay: 1 peer unreachable") == true, "\(relays)")
    }

    @Test("relay rounds come at intervals that grow with the outage's age, and stop once the peer is back")
    func relayCadenceFollowsTheOutage() throws {
        let wan = SchedulePreset.wan
        var shell = try SimulatedShell(preset: wan, peers: [1, 2, 3], rtt: ms(20), bandwidthBytesPerSecond: 1e6)
        let lost = Duration.seconds(10)
        let outage = Duration.seconds(600)
        shell.run(writes: [], until: lost)
        shell.setConnection(1, up: false, now: lost)
        shell.run(writes: [], until: lost + outage)
        let relays = shell.started.filter { $0.reason.hasPrefix("relay") }
        let first = try #require(relays.first)
        #expect(first.at - lost <= wan.relayRoundDelayMin + wan.tickDelayMin, "first relay at \(first.at - lost)")
        #expect(relays.allSatisfy { $0.peer != 1 })
        let gaps = zip(relays.dropFirst(), relays).map { $0.at - $1.at }
        #expect(gaps.allSatisfy { $0 >= wan.relayRoundDelayMin - wan.tickDelayMin }, "\(gaps)")
        #expect(try #require(gaps.last) >= wan.idleRoundDelayMax - wan.tickDelayMin, "\(gaps)")
        // Every 250 ms throughout would be 2,400 rounds; growing with the age, a few dozen.
        #expect(relays.count <= 40, "\(relays.count) relay rounds in 10 minutes")
        shell.setConnection(1, up: true, now: lost + outage)
        shell.run(writes: [], until: lost + outage * 2)
        #expect(shell.started.filter { $0.reason.hasPrefix("relay") }.count == relays.count)
    }

    @Test("idle anti-entropy checks are shared out: one per idle delay for the node, each peer still checked")
    func idleChecksAreSharedAmongInSyncPeers() throws {
        let lan = SchedulePreset.lan
        let peers = [1, 2, 3, 4]
        var shell = try SimulatedShell(preset: lan, peers: peers, rtt: ms(1), bandwidthBytesPerSecond: 10e6)
        let settled = Duration.seconds(600)
        let end = Duration.seconds(3600)
        shell.run(writes: [], until: end)
        let rounds = shell.started.filter { $0.at >= settled }
        // 50 minutes at one round per idleRoundDelayMax (10 s) is 300; checking every peer every
        // 10 s would be 1,200.
        let perNode = Double((end - settled) / lan.idleRoundDelayMax)
        #expect(Double(rounds.count) <= perNode * 1.1, "\(rounds.count) idle rounds")
        for peer in peers {
            let checks = rounds.filter { $0.peer == peer }.count
            #expect(Double(checks) >= perNode / Double(peers.count) * 0.9, "peer \(peer): \(checks) checks")
        }
    }
}

extension [Directive] {
    /// The `startRound` directives' peers and reasons, in order.
    var rounds: [(peer: Int, reason: String)] {
        compactMap { if case .startRound(let peer, let reason, _, _, _) = $0 { (peer, reason) } else { nil } }
    }
}
