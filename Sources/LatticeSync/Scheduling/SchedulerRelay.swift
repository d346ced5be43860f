// Pulling an unreachable peer's writes through the peers that are still reachable.
//
// Eager pushes carry each write straight from its origin to every connected peer. When the
// connection to a peer drops, whatever it pushed to us meanwhile (and the push that was in
// flight when the connection broke) is lost, yet it usually still reaches the others: a peer we
// cannot reach is seldom cut off from everyone. So while some peer is unreachable, the scheduler
// pulls from the best reachable one — lowest SRTT — soon after the loss and then at intervals
// that grow with the outage's age, instead of waiting for the reconnect or the next idle check.

extension SyncScheduler {
    /// Marks the peer of `schedule` unreachable from `now` (if it was not already) and brings the
    /// next relay round in to ``SchedulePreset/relayRoundDelayMin`` from now.
    mutating func markUnreachable(_ schedule: inout PeerSchedule<Tenant>, now: Duration) {
        guard schedule.unreachableSince == nil else { return }
        schedule.unreachableSince = now
        let due = now + preset.relayRoundDelayMin
        if relayAt.map({ $0 > due }) ?? true { relayAt = due }
    }

    /// The start of the youngest outage, or `nil` when every peer is reachable.
    var youngestOutage: Duration? { peers.values.compactMap(\.unreachableSince).max() }

    /// At a tick: if a relay round is due, makes the best reachable peer due now (unless a round
    /// with a reachable peer is already in flight: it relays just as well) and sets the next one.
    mutating func planRelay(now: Duration) {
        guard let at = relayAt, at <= now else { return }
        guard let since = youngestOutage else {
            relayAt = nil
            return
        }
        let age = now - since
        let next = Duration.nanoseconds(clamping: age.nanosecondsValue * SyncSchedulerConstants.relayAgeShare)
        relayAt = now + min(max(next, preset.relayRoundDelayMin), preset.idleRoundDelayMax)
        let reachable = peers.filter {
            $0.value.unreachableSince == nil && $0.value.state == .connected && $0.value.consecutiveFailures == 0
        }
        guard !reachable.values.contains(where: { $0.inFlight != nil }) else { return }
        let best = reachable.min { Self.relaysFirst($0, $1) }
        guard let (peer, schedule) = best, schedule.nextRoundAt.map({ $0 > now }) ?? true else { return }
        let unreachable = peers.values.count(where: { $0.unreachableSince != nil })
        peers[peer]?.nextRoundAt = now
        peers[peer]?.nextRoundReason =
            "relay: \(unreachable) peer\(unreachable == 1 ? "" : "s") unreachable (latest for \(age.humanReadable)); "
            + "pulling their writes through this peer"
    }

    /// Relay through the lowest SRTT first (unmeasured last), then by peer for determinism.
    static func relaysFirst(_ a: (Peer, PeerSchedule<Tenant>), _ b: (Peer, PeerSchedule<Tenant>)) -> Bool {
        switch (a.1.link.smoothedRTT, b.1.link.smoothedRTT) {
        case (.some, nil): return true
        case (nil, .some): return false
        case (.some(let x), .some(let y)) where x != y: return x < y
        default: return a.0 < b.0
        }
    }
}
