import LatticeSync
import PropertyBased
import Testing

@Suite("Backoff with full jitter")
struct BackoffTests {
    static let policy = BackoffPolicy(base: .milliseconds(100), cap: .seconds(60), attemptsBeforeUnreachable: 5)

    @Test("the ceiling doubles per attempt from the base and stops at the cap")
    func ceilingDoublesThenCaps() {
        #expect(Self.policy.ceiling(attempt: 0) == .zero)
        #expect(Self.policy.ceiling(attempt: 1) == .milliseconds(100))
        #expect(Self.policy.ceiling(attempt: 2) == .milliseconds(200))
        #expect(Self.policy.ceiling(attempt: 10) == .milliseconds(51_200))
        #expect(Self.policy.ceiling(attempt: 11) == .seconds(60))
        #expect(Self.policy.ceiling(attempt: 10_000) == .seconds(60))
        #expect(Self.policy.ceiling(attempt: Int.max) == .seconds(60))
    }

    @Test("every wait lies in [0, min(cap, base·2^(n−1))]")
    func waitWithinCeiling() async {
        await propertyCheck(count: 300, input: Gen<UInt64>.value(), Gen.int(in: 1...100)) { seed, attempt in
            var rng = SeededRandom(seed: seed)
            let wait = Self.policy.delay(attempt: attempt, using: &rng)
            #expect(wait >= .zero && wait <= Self.policy.ceiling(attempt: attempt), "seed \(seed) attempt \(attempt)")
        }
    }

    @Test("waits are jittered: many draws for one attempt spread over the range")
    func waitsAreJittered() {
        var rng = SeededRandom(seed: 42)
        let waits = (0..<200).map { _ in Self.policy.delay(attempt: 8, using: &rng) }
        let ceiling = Self.policy.ceiling(attempt: 8)
        #expect(Set(waits).count > 190, "seed 42")
        #expect(waits.contains { $0 < ceiling / 4 } && waits.contains { $0 > ceiling * 3 / 4 }, "seed 42")
    }

    @Test("a failing peer backs off within growing bounds and a success resets the attempt count")
    func schedulerBackoffGrowsAndResets() async {
        await propertyCheck(count: 60, input: Gen<UInt64>.value(), Gen.int(in: 1...12)) { seed, failures in
            var rng = SeededRandom(seed: seed)
            var scheduler = try! Scheduler(preset: .wan)
            var now = Duration.zero
            _ = try! scheduler.addPeer(1, now: now)
            for attempt in 1...failures {
                let started = scheduler.tick(now: now).startedPeers
                #expect(started == [1], "seed \(seed) attempt \(attempt)")
                _ = scheduler.roundFailed(peer: 1, .refused, now: now, using: &rng)
                let snap = scheduler.snapshot(of: 1)!
                let wait = snap.nextRoundAt! - now
                let ceiling = SchedulePreset.wan.backoff.ceiling(attempt: attempt)
                #expect(wait >= .zero && wait <= ceiling, "seed \(seed) attempt \(attempt)")
                #expect(snap.consecutiveFailures == attempt, "seed \(seed)")
                if attempt >= SchedulePreset.wan.backoff.attemptsBeforeUnreachable {
                    #expect(snap.state == .unreachable, "seed \(seed) attempt \(attempt)")
                } else {
                    #expect(snap.state == .backoff(until: now + wait, attempt: attempt), "seed \(seed)")
                }
                now = snap.nextRoundAt!
            }
            #expect(scheduler.tick(now: now).startedPeers == [1], "seed \(seed)")
            _ = scheduler.roundCompleted(peer: 1, bytes: 10, entries: 1, rtt: ms(30), now: now + ms(40))
            let healed = scheduler.snapshot(of: 1)!
            #expect(healed.consecutiveFailures == 0 && healed.state == .connected, "seed \(seed)")
            now = healed.nextRoundAt!
            _ = scheduler.tick(now: now)
            _ = scheduler.roundFailed(peer: 1, .timeout, now: now, using: &rng)
            let again = scheduler.snapshot(of: 1)!
            #expect(again.nextRoundAt! - now <= SchedulePreset.wan.backoff.base, "seed \(seed): reset to attempt 1")
        }
    }
}
