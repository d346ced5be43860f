import LatticeCore

/// Every number the scheduler uses for one kind of network, by name.
///
/// Pick one of ``loopback``, ``lan``, ``wan`` or ``edge`` and override fields from config; call
/// ``validate()`` (``SyncScheduler`` does) before use. Each preset documents why its numbers are
/// what they are.
public struct SchedulePreset: Hashable, Sendable {
    /// Shown in logs and the admin socket.
    public var name: String
    /// RTT / goodput estimator constants.
    public var link: LinkEstimator.Parameters
    /// Retry waits for peers that fail.
    public var backoff: BackoffPolicy

    /// No scheduled wake-up is sooner than this after the event that scheduled it.
    public var tickDelayMin: Duration
    /// No scheduled wake-up is later than this, even when every peer is in sync.
    public var tickDelayMax: Duration
    /// Wait between rounds to a peer that is still missing data.
    public var busyRoundDelay: Duration
    /// Wait before the first anti-entropy round to a peer that is in sync; it grows
    /// (``SchedulePreset/idleRoundDelayGrowth``-fold) after each round that finds the peer
    /// still in sync, up to ``idleRoundDelayMax``.
    public var idleRoundDelayInitial: Duration
    /// Longest idle wait between anti-entropy rounds. With several in-sync peers the idle checks
    /// are shared among them, so each one's wait may reach this times the number of peers. At
    /// most ``tickDelayMax``.
    public var idleRoundDelayMax: Duration
    /// While a peer is unreachable its writes reach this node only through other peers: the
    /// scheduler pulls from the best connected peer this soon after the loss, and then at
    /// intervals that grow with the outage's age (``SyncSchedulerConstants/relayAgeShare``)
    /// but are never shorter than this, nor longer than ``idleRoundDelayMax``.
    public var relayRoundDelayMin: Duration
    /// Rounds in flight at once across all peers (fan-out limit).
    public var roundsInFlightMax: Int
    /// Longest timeout handed to the shell for one round (RTO plus transfer time, capped here).
    public var roundTimeoutMax: Duration

    /// Smallest batch a round may carry, in bytes (also the batch while the link is unmeasured is at least this).
    public var batchBytesMin: Int
    /// Largest batch a round may carry, in bytes. At most ``SchedulePreset/batchBytesLimit``.
    public var batchBytesMax: Int
    /// Batch for a link with no RTT sample yet.
    public var batchBytesInitial: Int

    /// Lowest zstd level rounds use (0 = uncompressed). See ``CompressionLadder``.
    public var compressionLevelMin: Int
    /// Highest zstd level rounds use.
    public var compressionLevelMax: Int

    /// Shortest eager-push coalescing window.
    public var pushCoalesceMin: Duration
    /// Longest eager-push coalescing window.
    public var pushCoalesceMax: Duration
    /// The window is this many SRTTs (SRTT = BDP / goodput: the time the link takes to carry one
    /// bandwidth-delay product), clamped to [``pushCoalesceMin``, ``pushCoalesceMax``].
    public var pushCoalesceSRTTs: Double

    /// No preset may allow batches above the largest encoded value LatticeCore accepts, so a batch
    /// always fits what the receiver is willing to decode.
    public static let batchBytesLimit = CoreLimits.encodedBytesMax
    /// An idle peer's round delay is multiplied by this after each round that finds it in sync.
    /// Eager pushes carry fresh writes and losses are signalled (peerAhead, lost connections), so
    /// rounds that find nothing are a safety net: 4 reaches the maximum in half the rounds of 2.
    public static let idleRoundDelayGrowth = 4
}

extension SchedulePreset {
    /// Throws ``SchedulerError/Code-swift.struct/invalidParameter`` naming the first field that is out of
    /// range or inconsistent with another.
    public func validate() throws(SchedulerError) {
        try check(link.rtoMin > .zero && link.rtoMin <= link.rtoMax, "link.rtoMin must be > 0 and <= link.rtoMax")
        try check(link.rtoInitial > .zero, "link.rtoInitial must be > 0")
        try check(link.clockGranularity >= .zero, "link.clockGranularity must be >= 0")
        try check(link.goodputInitialBytesPerSecond >= 1, "link.goodputInitialBytesPerSecond must be >= 1")
        try check(link.goodputWindow > .zero, "link.goodputWindow must be > 0")
        try check(backoff.base > .zero && backoff.base <= backoff.cap, "backoff.base must be > 0 and <= backoff.cap")
        try check(backoff.attemptsBeforeUnreachable >= 1, "backoff.attemptsBeforeUnreachable must be >= 1")
        try check(tickDelayMin > .zero && tickDelayMin <= tickDelayMax, "tickDelayMin must be > 0 and <= tickDelayMax")
        try check(busyRoundDelay >= .zero, "busyRoundDelay must be >= 0")
        try check(
            idleRoundDelayInitial > .zero && idleRoundDelayInitial <= idleRoundDelayMax,
            "idleRoundDelayInitial must be > 0 and <= idleRoundDelayMax"
        )
        try check(idleRoundDelayMax <= tickDelayMax, "idleRoundDelayMax must be <= tickDelayMax")
        try check(
            relayRoundDelayMin > .zero && relayRoundDelayMin <= idleRoundDelayMax,
            "relayRoundDelayMin must be > 0 and <= idleRoundDelayMax"
        )
        try check(
            (1...SchedulingLimits.peersMax).contains(roundsInFlightMax),
            "roundsInFlightMax must be in 1...\(SchedulingLimits.peersMax)"
        )
        try check(roundTimeoutMax >= link.rtoMax, "roundTimeoutMax must be >= link.rtoMax")
        try check(
            batchBytesMin >= 1 && batchBytesMin <= batchBytesMax && batchBytesMax <= Self.batchBytesLimit,
            "batchBytesMin must be >= 1 and <= batchBytesMax, and batchBytesMax <= \(Self.batchBytesLimit)"
        )
        try check(
            (batchBytesMin...batchBytesMax).contains(batchBytesInitial),
            "batchBytesInitial must be within batchBytesMin...batchBytesMax"
        )
        try check(
            compressionLevelMin >= 0 && compressionLevelMin <= compressionLevelMax
                && compressionLevelMax <= CompressionLadder.levelMax,
            "compression levels must satisfy 0 <= compressionLevelMin <= compressionLevelMax <= 19"
        )
        try check(
            pushCoalesceMin >= .zero && pushCoalesceMin <= pushCoalesceMax,
            "pushCoalesceMin must be >= 0 and <= pushCoalesceMax"
        )
        try check(pushCoalesceSRTTs >= 0 && pushCoalesceSRTTs.isFinite, "pushCoalesceSRTTs must be finite and >= 0")
    }

    private func check(_ condition: Bool, _ rule: String) throws(SchedulerError) {
        guard condition else {
            throw SchedulerError(.invalidParameter, "schedule preset '\(name)': \(rule); fix the override in config")
        }
    }
}
