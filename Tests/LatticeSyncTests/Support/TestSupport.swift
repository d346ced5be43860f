import LatticeSync

/// SplitMix64 (Steele, Lea and Flood 2014): every failing case replays from the seed in its message.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Peers are small integers and tenants short strings in these tests.
typealias Scheduler = SyncScheduler<Int, String>
typealias Directive = Scheduler.Directive

func ms(_ value: Double) -> Duration { .nanoseconds(Int64((value * 1e6).rounded())) }

extension [Directive] {
    /// The delay of the `scheduleNextTick` among these directives, if any.
    var tickDelay: Duration? {
        for case .scheduleNextTick(let after, _) in self { return after }
        return nil
    }

    /// Peers of the `startRound` directives, in order.
    var startedPeers: [Int] {
        compactMap { if case .startRound(let peer, _, _, _, _) = $0 { peer } else { nil } }
    }

    /// Batch size of the `startRound` for `peer`.
    func batchBytes(for peer: Int) -> Int? {
        for case .startRound(let p, _, let batch, _, _) in self where p == peer { return batch }
        return nil
    }

    /// Peers of the `pushNow` directives, in order.
    var pushedPeers: [Int] {
        compactMap { if case .pushNow(let peer) = $0 { peer } else { nil } }
    }
}

/// A preset changed in place, for tests that need one knob turned.
func preset(_ base: SchedulePreset, _ change: (inout SchedulePreset) -> Void) -> SchedulePreset {
    var copy = base
    change(&copy)
    return copy
}
