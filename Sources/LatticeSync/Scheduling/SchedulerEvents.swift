// Events the shell reports to ``SyncScheduler``. Each returns the directives it causes.

extension SyncScheduler {
    /// Starts scheduling `peer`; its first round is due at once. Adding a known peer does nothing.
    public mutating func addPeer(_ peer: Peer, now: Duration) throws(SchedulerError) -> [Directive] {
        let now = advance(to: now)
        guard peers[peer] == nil else { return [] }
        guard peers.count < SchedulingLimits.peersMax else {
            throw SchedulerError(
                .peerLimit,
                "cannot schedule peer \(peer): already \(SchedulingLimits.peersMax) peers (peersMax); remove peers from config"
            )
        }
        peers[peer] = PeerSchedule(link: LinkEstimator(parameters: preset.link), now: now)
        return rescheduleIfNeeded(now)
    }

    /// Stops scheduling `peer`. Answers for its rounds are ignored from now on.
    public mutating func removePeer(_ peer: Peer, now: Duration) -> [Directive] {
        _ = advance(to: now)
        peers[peer] = nil
        return []
    }

    /// A round the scheduler did not start is running (one the peer initiated, or an operator's
    /// manual sync). Rounds started through ``Directive/startRound(peer:reason:batchBytes:compressionLevel:timeout:)``
    /// are already known; reporting them again does nothing.
    public mutating func roundStarted(peer: Peer, now: Duration) -> [Directive] {
        let now = advance(to: now)
        guard var schedule = peers[peer], schedule.inFlight == nil else { return [] }
        schedule.inFlight = RoundInFlight(
            startedAt: now,
            batchBytes: schedule.batchBytes(preset),
            isRetry: schedule.consecutiveFailures > 0
        )
        peers[peer] = schedule
        return []
    }

    /// The round in flight to `peer` completed: `bytes` and `entries` were delivered and
    /// acknowledged, `rtt` is its measured round-trip time (e.g. of the vector exchange), if any.
    ///
    /// Karn's rule: the RTT of a round started while failures were outstanding is not a sample,
    /// and neither is anything reported for a round that is no longer in flight.
    public mutating func roundCompleted(
        peer: Peer,
        bytes: UInt64,
        entries: UInt64,
        rtt: Duration?,
        now: Duration
    ) -> [Directive] {
        let now = advance(to: now)
        guard var schedule = peers[peer], let flight = schedule.inFlight else { return [] }
        let elapsed = now - flight.startedAt
        schedule.inFlight = nil
        if let rtt, !flight.isRetry { schedule.link.addRTTSample(rtt) }
        schedule.link.recordDelivery(
            bytes: bytes,
            elapsed: elapsed,
            applicationLimited: bytes < UInt64(flight.batchBytes)
        )
        schedule.link.recordOutcome(failed: false)
        schedule.consecutiveFailures = 0
        schedule.lastSuccess = now
        schedule.unreachableSince = nil
        schedule.drawDown(entries: entries)
        schedule.state = .connected
        schedule.stateReason =
            "last round ok: \(entries) entries, \(humanBytes(bytes)) in \(elapsed.humanReadable)"
        planNextRound(&schedule, of: peer, now: now)
        peers[peer] = schedule
        return rescheduleIfNeeded(now)
    }

    /// The round in flight to `peer` failed. Backs off with full jitter drawn from `rng`.
    public mutating func roundFailed(
        peer: Peer,
        _ failure: RoundFailure,
        now: Duration,
        using rng: inout some RandomNumberGenerator
    ) -> [Directive] {
        let now = advance(to: now)
        guard var schedule = peers[peer], schedule.inFlight != nil else { return [] }
        schedule.inFlight = nil
        schedule.link.recordOutcome(failed: true)
        if failure == .timeout { schedule.link.timerExpired() }
        enterBackoff(&schedule, reason: failure.description, now: now, using: &rng)
        peers[peer] = schedule
        return rescheduleIfNeeded(now)
    }

    /// Local data changed: every connected peer gets an eager push after its coalescing window.
    /// Writes during a pending window join that push.
    public mutating func localWrite(now: Duration) -> [Directive] {
        let now = advance(to: now)
        for peer in peers.keys {
            guard let schedule = peers[peer], schedule.state == .connected, schedule.pushDueAt == nil else {
                continue
            }
            peers[peer]?.pushDueAt = now + schedule.coalesceWindow(preset)
        }
        return rescheduleIfNeeded(now)
    }

    /// The last vector exchange says `peer` lacks `entries` entries (about `bytes` bytes, 0 if
    /// unknown) of `tenant`. Zero for both clears the tenant's estimate. A peer that now lacks data
    /// gets its next round pulled in to `busyRoundDelay`, unless it is backing off.
    public mutating func missingEstimate(
        peer: Peer,
        tenant: Tenant,
        entries: UInt64,
        bytes: UInt64,
        now: Duration
    ) throws(SchedulerError) -> [Directive] {
        let now = advance(to: now)
        guard var schedule = peers[peer] else { return [] }
        if entries == 0 && bytes == 0 {
            schedule.setMissing(tenant, nil)
        } else {
            guard schedule.missing[tenant] != nil || schedule.missing.count < SchedulingLimits.tenantsPerPeerMax else {
                throw SchedulerError(
                    .tenantLimit,
                    "missing estimate for peer \(peer), tenant \(tenant): peer already has estimates for "
                        + "\(SchedulingLimits.tenantsPerPeerMax) tenants (tenantsPerPeerMax); clear settled tenants"
                )
            }
            schedule.setMissing(tenant, MissingEstimate(entries: entries, bytes: bytes))
        }
        if schedule.isBusy, schedule.inFlight == nil, schedule.consecutiveFailures == 0 {
            let due = now + preset.busyRoundDelay
            if schedule.nextRoundAt.map({ $0 > due }) ?? true {
                schedule.nextRoundAt = due
                schedule.nextRoundReason = "peer lacks \(schedule.missingEntries) entries"
                schedule.idleStreak = 0
            }
        }
        peers[peer] = schedule
        return rescheduleIfNeeded(now)
    }

    /// The transport connection to `peer` changed. An unexpected loss fails any round in flight
    /// and backs off with jitter from `rng`.
    public mutating func connectionChanged(
        peer: Peer,
        to change: ConnectionChange,
        now: Duration,
        using rng: inout some RandomNumberGenerator
    ) -> [Directive] {
        let now = advance(to: now)
        guard var schedule = peers[peer] else { return [] }
        switch change {
        case .connecting:
            if schedule.state != .unreachable { schedule.state = .connecting }
            schedule.stateReason =
                schedule.consecutiveFailures > 0
                ? "reconnecting after \(schedule.consecutiveFailures) failures" : "connecting"
        case .connected:
            // A peer that comes (back) up is due at once: whatever backoff or idle delay was
            // pending was about the link that is now up (its failure count stays, so Karn's
            // rule still applies to the first round).
            if schedule.state != .connected, schedule.inFlight == nil, schedule.nextRoundAt.map({ $0 > now }) ?? true {
                schedule.nextRoundAt = now
                schedule.nextRoundReason = "peer connected"
            }
            schedule.state = .connected
            schedule.stateReason = "connected"
            schedule.unreachableSince = nil
        case .lost(let reason):
            if schedule.inFlight != nil {
                schedule.inFlight = nil
                schedule.link.recordOutcome(failed: true)
            }
            enterBackoff(&schedule, reason: "connection lost: \(reason)", now: now, using: &rng)
        }
        peers[peer] = schedule
        return rescheduleIfNeeded(now)
    }
}

extension SyncScheduler {
    /// After a success: soon again if the peer still lacks data, otherwise an idle delay that
    /// grows with each round that finds the peer in sync.
    ///
    /// Idle checks are shared out among the in-sync peers: with k of them, each is checked every
    /// k × the idle delay, so the node as a whole runs one idle anti-entropy round per idle delay
    /// however many peers it has. One exchange per period is enough for anti-entropy to spread
    /// what a lost push missed (Demers et al., "Epidemic Algorithms for Replicated Database
    /// Maintenance", PODC 1987: each round with one partner); checking every peer each period
    /// costs k times the bytes for the same safety net.
    func planNextRound(_ schedule: inout PeerSchedule<Tenant>, of peer: Peer, now: Duration) {
        if schedule.isBusy {
            schedule.idleStreak = 0
            schedule.nextRoundAt = now + preset.busyRoundDelay
            schedule.nextRoundReason = "peer lacks \(schedule.missingEntries) entries"
            return
        }
        let delay = idleDelay(streak: schedule.idleStreak)
        schedule.idleStreak = min(schedule.idleStreak + 1, SyncSchedulerConstants.idleDoublingsMax)
        let sharing = 1 + peers.count(where: { $0.key != peer && $0.value.isInSync })
        let spread = delay * sharing
        schedule.nextRoundAt = now + spread
        schedule.nextRoundReason =
            sharing == 1
            ? "in sync; anti-entropy check after \(delay.humanReadable)"
            : "in sync; anti-entropy check after \(spread.humanReadable) (one of \(sharing) in-sync peers checked in turn, "
                + "one every \(delay.humanReadable))"
    }

    /// `idleRoundDelayInitial · growth^streak`, capped at `idleRoundDelayMax`.
    func idleDelay(streak: Int) -> Duration {
        var delay = preset.idleRoundDelayInitial
        for _ in 0..<min(streak, SyncSchedulerConstants.idleDoublingsMax) where delay < preset.idleRoundDelayMax {
            delay = min(delay * SchedulePreset.idleRoundDelayGrowth, preset.idleRoundDelayMax)
        }
        return delay
    }

    /// Counts a failure and schedules the retry with full jitter. The peer is unreachable until
    /// a round succeeds or it connects again: relay rounds start (see `SchedulerRelay.swift`).
    mutating func enterBackoff(
        _ schedule: inout PeerSchedule<Tenant>,
        reason: String,
        now: Duration,
        using rng: inout some RandomNumberGenerator
    ) {
        let attempt = min(schedule.consecutiveFailures + 1, Int(Int32.max))
        schedule.consecutiveFailures = attempt
        let wait = preset.backoff.delay(attempt: attempt, using: &rng)
        let until = now + wait
        let unreachable = attempt >= preset.backoff.attemptsBeforeUnreachable
        schedule.state = unreachable ? .unreachable : .backoff(until: until, attempt: attempt)
        schedule.stateReason =
            "\(attempt) consecutive failure\(attempt == 1 ? "" : "s"), last: \(reason); retry in \(wait.humanReadable)"
        schedule.nextRoundAt = until
        schedule.nextRoundReason =
            "retry \(attempt) after backoff (full jitter up to \(preset.backoff.ceiling(attempt: attempt).humanReadable))"
        schedule.idleStreak = 0
        schedule.pushDueAt = nil
        markUnreachable(&schedule, now: now)
    }
}
