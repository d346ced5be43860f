import LatticeSync
import Testing

@Suite("Sync scheduler: rounds, ticks, ordering, batches")
struct SchedulerTests {
    /// Adds `peers` and completes one round with each at `now`, RTT `rtt[peer]`.
    static func warmedUp(_ preset: SchedulePreset, peers: [Int], rtt: (Int) -> Duration) throws -> Scheduler {
        var scheduler = try Scheduler(preset: preset)
        for peer in peers { _ = try scheduler.addPeer(peer, now: .zero) }
        #expect(Set(scheduler.tick(now: .zero).startedPeers) == Set(peers))
        for peer in peers {
            _ = scheduler.roundCompleted(peer: peer, bytes: 1000, entries: 0, rtt: rtt(peer), now: ms(10))
        }
        return scheduler
    }

    @Test("Karn's rule: a retried round's RTT is not sampled, and the backed-off RTO stays until a fresh one")
    func karnsRuleIgnoresRetriedRounds() throws {
        var rng = SeededRandom(seed: 7)
        var scheduler = try Scheduler(preset: .lan)
        _ = try scheduler.addPeer(1, now: .zero)
        #expect(scheduler.tick(now: .zero).startedPeers == [1])
        _ = scheduler.roundFailed(peer: 1, .timeout, now: ms(200), using: &rng)
        #expect(scheduler.snapshot(of: 1)!.rto == .milliseconds(400), "RTO doubled from the initial 200 ms")
        let retryAt = scheduler.snapshot(of: 1)!.nextRoundAt!
        #expect(scheduler.tick(now: retryAt).startedPeers == [1])
        _ = scheduler.roundCompleted(peer: 1, bytes: 100, entries: 1, rtt: ms(50), now: retryAt + ms(60))
        var snap = scheduler.snapshot(of: 1)!
        #expect(snap.srtt == nil, "sample from a retried round must be dropped")
        #expect(snap.rto == .milliseconds(400), "back-off kept until a valid sample")
        #expect(snap.consecutiveFailures == 0 && snap.state == .connected)
        let next = snap.nextRoundAt!
        #expect(scheduler.tick(now: next).startedPeers == [1])
        _ = scheduler.roundCompleted(peer: 1, bytes: 100, entries: 1, rtt: ms(50), now: next + ms(60))
        snap = scheduler.snapshot(of: 1)!
        #expect(snap.srtt == ms(50))
        #expect(snap.rto == ms(150), "50 + 4·25 ms")
    }

    @Test("Karn's rule: a completion reported after the round timed out is ignored")
    func lateCompletionIsIgnored() throws {
        var rng = SeededRandom(seed: 8)
        var scheduler = try Scheduler(preset: .lan)
        _ = try scheduler.addPeer(1, now: .zero)
        _ = scheduler.tick(now: .zero)
        _ = scheduler.roundFailed(peer: 1, .timeout, now: ms(200), using: &rng)
        let directives = scheduler.roundCompleted(peer: 1, bytes: 100, entries: 1, rtt: ms(1), now: ms(201))
        #expect(directives.isEmpty)
        let snap = scheduler.snapshot(of: 1)!
        #expect(snap.srtt == nil && snap.consecutiveFailures == 1 && snap.lastSuccess == nil)
    }

    @Test("next-tick delay grows while all peers are in sync, up to the preset's maximum")
    func tickDelayGrowsWhenInSync() throws {
        let lan = SchedulePreset.lan
        var scheduler = try Scheduler(preset: lan)
        _ = try scheduler.addPeer(1, now: .zero)
        var now = Duration.zero
        var delays: [Duration] = []
        for _ in 0..<12 {
            #expect(scheduler.tick(now: now).startedPeers == [1])
            now += ms(2)
            let delay = try #require(
                scheduler.roundCompleted(peer: 1, bytes: 0, entries: 0, rtt: ms(1), now: now).tickDelay
            )
            delays.append(delay)
            now += delay
        }
        #expect(delays.first == lan.idleRoundDelayInitial)
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 }, "\(delays)")
        #expect(delays.last == lan.idleRoundDelayMax)
        #expect(delays.allSatisfy { $0 <= lan.tickDelayMax })
        #expect(scheduler.lastTickReason.hasPrefix("all 1 peers in sync"), "\(scheduler.lastTickReason)")
    }

    @Test("next-tick delay shrinks as soon as a peer is found missing data, and stays short while it is")
    func tickDelayShrinksWhenMissing() throws {
        let lan = SchedulePreset.lan
        var scheduler = try Self.warmedUp(lan, peers: [1]) { _ in ms(1) }
        let idleDelay = try #require(scheduler.snapshot(of: 1)!.nextRoundAt) - ms(10)
        let directives = try scheduler.missingEstimate(peer: 1, tenant: "t", entries: 500, bytes: 0, now: ms(20))
        let busyDelay = try #require(directives.tickDelay)
        #expect(busyDelay == max(lan.busyRoundDelay, lan.tickDelayMin))
        #expect(busyDelay < idleDelay)
        #expect(scheduler.tick(now: ms(20) + busyDelay).startedPeers == [1])
        let after = scheduler.roundCompleted(peer: 1, bytes: 1000, entries: 200, rtt: ms(1), now: ms(40))
        #expect(after.tickDelay == busyDelay, "300 entries still missing")
        #expect(scheduler.snapshot(of: 1)!.backlogEntries == 300)
    }

    @Test("peers are picked by most missing, then stalest, then lowest RTT")
    func peerOrdering() throws {
        var scheduler = try Scheduler(preset: .loopback)
        for peer in 1...4 { _ = try scheduler.addPeer(peer, now: .zero) }
        #expect(scheduler.tick(now: .zero).startedPeers == [1, 2, 3, 4], "all unknown: by peer")
        let rtts = [1: ms(5), 2: ms(1), 3: ms(3), 4: ms(2)]
        for peer in [1, 3, 4] {
            _ = scheduler.roundCompleted(peer: peer, bytes: 1, entries: 0, rtt: rtts[peer], now: ms(10))
        }
        _ = scheduler.roundCompleted(peer: 2, bytes: 1, entries: 0, rtt: rtts[2], now: ms(20))
        _ = try scheduler.missingEstimate(peer: 2, tenant: "a", entries: 60, bytes: 0, now: ms(30))
        _ = try scheduler.missingEstimate(peer: 4, tenant: "a", entries: 40, bytes: 0, now: ms(30))
        _ = try scheduler.missingEstimate(peer: 4, tenant: "b", entries: 20, bytes: 0, now: ms(30))
        // 2 and 4 both lack 60 entries; 4 succeeded longest ago. 1 and 3 are in sync and equally
        // stale; 3 has the lower RTT.
        #expect(scheduler.tick(now: .seconds(1)).startedPeers == [4, 2, 3, 1])
    }

    @Test("only roundsInFlightMax rounds run at once; the rest wait for a slot in priority order")
    func roundSlotsAreBounded() throws {
        let twoSlots = preset(.loopback) { $0.roundsInFlightMax = 2 }
        var scheduler = try Scheduler(preset: twoSlots)
        for peer in 1...4 { _ = try scheduler.addPeer(peer, now: .zero) }
        for peer in [3, 4] {
            _ = try scheduler.missingEstimate(peer: peer, tenant: "t", entries: 5, bytes: 0, now: .zero)
        }
        #expect(scheduler.tick(now: .zero).startedPeers == [3, 4])
        #expect(scheduler.snapshot(of: 1)!.nextRoundReason.contains("waiting for one of 2 round slots"))
        let freed = scheduler.roundCompleted(peer: 3, bytes: 1, entries: 5, rtt: ms(1), now: ms(1))
        #expect(freed.tickDelay == twoSlots.tickDelayMin)
        #expect(scheduler.tick(now: ms(2)).startedPeers == [1])
    }

    /// Runs rounds that always fill their batch over a link of `bandwidth` bytes/s and `rtt`, and
    /// returns the last batch the scheduler asked for.
    static func settledBatch(_ preset: SchedulePreset, bandwidth: Double, rtt: Duration, rounds: Int) throws -> Int {
        var scheduler = try Scheduler(preset: preset)
        _ = try scheduler.addPeer(1, now: .zero)
        _ = try scheduler.missingEstimate(peer: 1, tenant: "t", entries: UInt64.max / 2, bytes: 0, now: .zero)
        var now = Duration.zero
        var batch = 0
        for _ in 0..<rounds {
            batch = try #require(scheduler.tick(now: now).batchBytes(for: 1))
            now += rtt + .nanoseconds(Int64(Double(batch) / bandwidth * 1e9))
            _ = scheduler.roundCompleted(peer: 1, bytes: UInt64(batch), entries: 1, rtt: rtt, now: now)
            now = scheduler.snapshot(of: 1)!.nextRoundAt!
        }
        return batch
    }

    @Test("batch size settles at the link's bandwidth-delay product")
    func batchFollowsBDP() throws {
        // 10 MB/s × 10 ms = 100 kB, between lan's 64 KiB minimum and 8 MiB maximum.
        let batch = try Self.settledBatch(.lan, bandwidth: 10e6, rtt: ms(10), rounds: 1500)
        #expect(abs(Double(batch) - 100_000) < 5_000, "batch \(batch)")
        // 4 MB/s × 100 ms = 400 kB on a WAN link.
        let wanBatch = try Self.settledBatch(.wan, bandwidth: 4e6, rtt: ms(100), rounds: 600)
        #expect(abs(Double(wanBatch) - 400_000) < 20_000, "batch \(wanBatch)")
    }

    @Test("batch size is clamped to the preset's minimum and maximum")
    func batchIsClamped() throws {
        let lan = SchedulePreset.lan
        // 1 GB/s × 50 ms = 50 MB: far above the maximum.
        #expect(try Self.settledBatch(lan, bandwidth: 1e9, rtt: ms(50), rounds: 300) == lan.batchBytesMax)
        // 100 kB/s × 1 ms = 100 B: far below the minimum.
        #expect(try Self.settledBatch(lan, bandwidth: 1e5, rtt: ms(1), rounds: 50) == lan.batchBytesMin)
    }

    @Test("the eager-push coalescing window grows with the link's SRTT, within the preset's bounds")
    func coalescingWindowFollowsLink() throws {
        let lan = preset(.lan) { $0.tickDelayMin = .milliseconds(1) }
        var scheduler = try Self.warmedUp(lan, peers: [1, 2, 3]) { [1: ms(1), 2: ms(5), 3: ms(100)][$0]! }
        let now = ms(10)
        let directives = scheduler.localWrite(now: now)
        // 1 ms × 4 = 4 ms; 5 ms × 4 = 20 ms; 100 ms × 4 = 400 ms, capped at 50 ms.
        #expect(directives.tickDelay == ms(4))
        #expect(scheduler.tick(now: now + ms(4)).pushedPeers == [1])
        _ = scheduler.localWrite(now: now + ms(5))  // joins the pending pushes of 2 and 3; a new one for 1
        #expect(scheduler.tick(now: now + ms(20)).pushedPeers == [1, 2])
        #expect(scheduler.tick(now: now + ms(49)).pushedPeers == [])
        #expect(scheduler.tick(now: now + lan.pushCoalesceMax).pushedPeers == [3])
    }

    @Test("pushes go only to connected peers; a lost connection backs off and cancels its push")
    func pushesNeedConnection() throws {
        var rng = SeededRandom(seed: 11)
        var scheduler = try Self.warmedUp(.lan, peers: [1, 2]) { _ in ms(1) }
        _ = scheduler.localWrite(now: ms(10))
        _ = scheduler.connectionChanged(peer: 2, to: .lost(reason: "reset by peer"), now: ms(11), using: &rng)
        let snap = scheduler.snapshot(of: 2)!
        #expect(snap.consecutiveFailures == 1)
        #expect(snap.stateReason.contains("connection lost: reset by peer"), "\(snap.stateReason)")
        #expect(scheduler.tick(now: ms(60)).pushedPeers == [1])
    }

    @Test("compression level: none on loopback-fast links, strongest on slow ones, within preset bounds")
    func compressionLadder() {
        #expect(CompressionLadder.level(goodputBytesPerSecond: 500e6, levelMin: 0, levelMax: 19) == 0)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 20e6, levelMin: 0, levelMax: 19) == 1)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 2e6, levelMin: 0, levelMax: 19) == 3)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 200e3, levelMin: 0, levelMax: 19) == 6)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 10e3, levelMin: 0, levelMax: 19) == 9)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 10e3, levelMin: 0, levelMax: 3) == 3)
        #expect(CompressionLadder.level(goodputBytesPerSecond: 500e6, levelMin: 6, levelMax: 12) == 6)
    }

    @Test("a snapshot shows state, estimates, backlog and the next round with reasons")
    func snapshotIntrospection() throws {
        var scheduler = try Self.warmedUp(.lan, peers: [1]) { _ in ms(2) }
        _ = try scheduler.missingEstimate(peer: 1, tenant: "t", entries: 7, bytes: 700, now: ms(11))
        let snap = try #require(scheduler.snapshot().first)
        #expect(snap.peer == 1 && snap.state == .connected)
        #expect(snap.stateReason.hasPrefix("last round ok"))
        #expect(snap.srtt == ms(2) && snap.rttvar == ms(1) && snap.rto == ms(20))
        #expect(snap.backlogEntries == 7 && snap.backlogBytes == 700)
        #expect(snap.lastSuccess == ms(10))
        #expect(snap.nextRoundAt == ms(11) + SchedulePreset.lan.busyRoundDelay)
        #expect(snap.nextRoundReason == "peer lacks 7 entries")
        #expect(snap.failureRate == 0 && !snap.roundInFlight)
        #expect(scheduler.lastTickReason.contains("round to 1"), "\(scheduler.lastTickReason)")
    }
}
