import LatticeSync

/// A minimal shell around a ``SyncScheduler``: a single timer, rounds that complete after the link's
/// RTT plus transfer time, and local writes at given times. Everything runs on a manual clock.
/// Peers in ``down`` fail every round at once (their connection is gone).
struct SimulatedShell {
    var scheduler: Scheduler
    let rtt: Duration
    let bandwidthBytesPerSecond: Double
    private(set) var tickAt: Duration?
    private(set) var completions: [Int: Duration] = [:]
    private(set) var roundsStarted = 0
    private(set) var pushes = 0
    /// Every round started: when, with whom, and the scheduler's reason.
    private(set) var started: [(at: Duration, peer: Int, reason: String)] = []
    /// Peers whose connection is down: rounds to them fail at once.
    private(set) var down: Set<Int> = []
    private var rng = SeededRandom(seed: 1)
    /// Smallest gap seen between two consecutive wake-ups.
    private(set) var wakeGapMin: Duration?
    private var lastWake: Duration?

    init(preset: SchedulePreset, peers: [Int], rtt: Duration, bandwidthBytesPerSecond: Double) throws {
        scheduler = try Scheduler(preset: preset)
        self.rtt = rtt
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        for peer in peers { apply(try scheduler.addPeer(peer, now: .zero), now: .zero) }
    }

    /// Runs until `end`, feeding a `localWrite` at each time in `writes` (sorted).
    mutating func run(writes: [Duration], until end: Duration) {
        var pending = writes[...]
        while true {
            let nextCompletion = completions.min { ($0.value, $0.key) < ($1.value, $1.key) }
            let candidates = [tickAt, nextCompletion?.value, pending.first].compactMap { $0 }
            guard let now = candidates.min(), now <= end else { return }
            if let completion = nextCompletion, completion.value == now {
                completions[completion.key] = nil
                let directives = scheduler.roundCompleted(
                    peer: completion.key,
                    bytes: 256,
                    entries: 0,
                    rtt: rtt,
                    now: now
                )
                apply(directives, now: now)
            } else if let write = pending.first, write == now {
                pending = pending.dropFirst()
                apply(scheduler.localWrite(now: now), now: now)
            } else {
                noteWake(now)
                tickAt = nil
                apply(scheduler.tick(now: now), now: now)
            }
        }
    }

    /// The connection to `peer` drops at `now` (`up: false`) or comes back.
    mutating func setConnection(_ peer: Int, up: Bool, now: Duration) {
        if up { down.remove(peer) } else { down.insert(peer) }
        completions[peer] = nil
        let change: Scheduler.ConnectionChange = up ? .connected : .lost(reason: "test")
        apply(scheduler.connectionChanged(peer: peer, to: change, now: now, using: &rng), now: now)
    }

    private mutating func noteWake(_ now: Duration) {
        if let last = lastWake { wakeGapMin = min(wakeGapMin ?? now - last, now - last) }
        lastWake = now
    }

    private mutating func apply(_ directives: [Directive], now: Duration) {
        var queue = directives[...]
        while let directive = queue.popFirst() {
            switch directive {
            case .scheduleNextTick(let after, _):
                tickAt = now + after
            case .startRound(let peer, let reason, _, _, _):
                roundsStarted += 1
                started.append((now, peer, reason))
                if down.contains(peer) {
                    queue += scheduler.roundFailed(peer: peer, .error("down"), now: now, using: &rng)
                    continue
                }
                let transfer = Duration.nanoseconds(Int64(256 / bandwidthBytesPerSecond * 1e9))
                completions[peer] = now + rtt + transfer
            case .pushNow:
                pushes += 1
            }
        }
    }
}
