// The wake-up: pushes and rounds that are due, peer order, and the delay until the next wake-up.

extension SyncScheduler {
    /// The shell's timer fired: returns due `pushNow`s, due `startRound`s in priority order, and
    /// always exactly one `scheduleNextTick` last.
    public mutating func tick(now: Duration) -> [Directive] {
        let now = advance(to: now)
        tickCount += 1
        var directives = duePushes(now: now)
        planRelay(now: now)
        directives += dueRounds(now: now)
        directives.append(schedule(nextWake(now: now), now: now))
        return directives
    }

    /// The order peers are picked in: most missing entries first, then the stalest (longest since
    /// its last successful round; never is stalest), then the lowest SRTT (unmeasured last), then
    /// by peer for determinism.
    static func picksFirst(_ a: (Peer, PeerSchedule<Tenant>), _ b: (Peer, PeerSchedule<Tenant>)) -> Bool {
        let (missingA, missingB) = (a.1.missingEntries, b.1.missingEntries)
        if missingA != missingB { return missingA > missingB }
        switch (a.1.lastSuccess, b.1.lastSuccess) {
        case (nil, .some): return true
        case (.some, nil): return false
        case (.some(let x), .some(let y)) where x != y: return x < y
        default: break
        }
        switch (a.1.link.smoothedRTT, b.1.link.smoothedRTT) {
        case (.some, nil): return true
        case (nil, .some): return false
        case (.some(let x), .some(let y)) where x != y: return x < y
        default: return a.0 < b.0
        }
    }

    private var roundsInFlight: Int { peers.values.reduce(0) { $0 + ($1.inFlight == nil ? 0 : 1) } }

    private mutating func duePushes(now: Duration) -> [Directive] {
        var directives: [Directive] = []
        for peer in peers.keys.sorted() {
            guard let due = peers[peer]?.pushDueAt, due <= now else { continue }
            peers[peer]?.pushDueAt = nil
            if peers[peer]?.state == .connected { directives.append(.pushNow(peer: peer)) }
        }
        return directives
    }

    private mutating func dueRounds(now: Duration) -> [Directive] {
        let slots = preset.roundsInFlightMax - roundsInFlight
        let due = peers.filter { $0.value.inFlight == nil && ($0.value.nextRoundAt.map { $0 <= now } ?? false) }
            .sorted(by: Self.picksFirst)
        var directives: [Directive] = []
        for (index, (peer, _)) in due.enumerated() {
            if index < slots {
                directives.append(startRound(peer, now: now))
            } else {
                peers[peer]?.nextRoundReason = "due; waiting for one of \(preset.roundsInFlightMax) round slots"
            }
        }
        return directives
    }

    private mutating func startRound(_ peer: Peer, now: Duration) -> Directive {
        var schedule = peers[peer]!
        let batch = schedule.batchBytes(preset)
        let retry = schedule.consecutiveFailures > 0
        schedule.inFlight = RoundInFlight(startedAt: now, batchBytes: batch, isRetry: retry)
        if case .backoff = schedule.state {
            schedule.state = .connecting
            schedule.stateReason = "retrying (attempt \(schedule.consecutiveFailures + 1))"
        } else if schedule.state == .unreachable {
            schedule.stateReason = "retrying (attempt \(schedule.consecutiveFailures + 1))"
        }
        let directive = Directive.startRound(
            peer: peer,
            reason: schedule.nextRoundReason,
            batchBytes: batch,
            compressionLevel: schedule.compressionLevel(preset),
            timeout: schedule.roundTimeout(batchBytes: batch, preset)
        )
        peers[peer] = schedule
        return directive
    }

    /// The earliest thing that will need the scheduler, and why.
    func nextWake(now: Duration) -> (at: Duration, reason: String) {
        // Earliest (time, peer, is-a-push); ties go to the lower peer, so the reason is deterministic.
        var earliest: (at: Duration, peer: Peer, push: Bool)?
        func consider(_ at: Duration, _ peer: Peer, push: Bool) {
            if earliest.map({ (at, peer) < ($0.at, $0.peer) }) ?? true { earliest = (at, peer, push) }
        }
        let canStart = roundsInFlight < preset.roundsInFlightMax
        for (peer, schedule) in peers {
            if let due = schedule.pushDueAt { consider(due, peer, push: true) }
            if canStart, schedule.inFlight == nil, let due = schedule.nextRoundAt { consider(due, peer, push: false) }
        }
        if let relay = relayAt, youngestOutage != nil, canStart {
            if earliest.map({ relay < $0.at }) ?? true {
                return (relay, "relay round: a peer is unreachable; pulling its writes through another")
            }
        }
        let best = earliest.map { e in
            (
                at: e.at,
                reason: e.push
                    ? "eager push to \(e.peer) after coalescing"
                    : "round to \(e.peer): \(peers[e.peer]!.nextRoundReason)"
            )
        }
        guard let best else {
            let inFlight = roundsInFlight
            let why =
                peers.isEmpty
                ? "no peers" : inFlight > 0 ? "waiting for \(inFlight) round(s) in flight" : "nothing due"
            return (now + preset.tickDelayMax, why)
        }
        let allInSync = peers.values.allSatisfy { !$0.isBusy && $0.pushDueAt == nil && $0.consecutiveFailures == 0 }
        return allInSync ? (best.at, "all \(peers.count) peers in sync; next: \(best.reason)") : best
    }

    /// The wake-up `wake` as a directive, its delay clamped to the preset's tick bounds.
    mutating func schedule(_ wake: (at: Duration, reason: String), now: Duration) -> Directive {
        let delay = min(max(wake.at - now, preset.tickDelayMin), preset.tickDelayMax)
        scheduledTickAt = now + delay
        lastTickReason = wake.reason
        return .scheduleNextTick(after: delay, reason: wake.reason)
    }

    /// A `scheduleNextTick` when the tick already asked for is no longer right: something needs the
    /// scheduler sooner, or nothing needs it until later (so the tick would wake up for nothing).
    /// A tick is never pushed later while something is due by then, so a stream of events cannot
    /// starve it.
    mutating func rescheduleIfNeeded(_ now: Duration) -> [Directive] {
        let wake = nextWake(now: now)
        let at = now + min(max(wake.at - now, preset.tickDelayMin), preset.tickDelayMax)
        if let scheduled = scheduledTickAt, at >= scheduled, wake.at <= scheduled { return [] }
        if let scheduled = scheduledTickAt, at == scheduled { return [] }
        return [schedule(wake, now: now)]
    }
}
