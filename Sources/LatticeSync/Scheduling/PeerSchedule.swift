/// Where the scheduler stands with one peer. Each state comes with a human reason
/// (``PeerScheduleSnapshot/stateReason``).
public enum PeerState: Hashable, Sendable {
    /// A connection is being set up (first contact or a retry).
    case connecting
    /// Connected; rounds and eager pushes flow.
    case connected
    /// The last `attempt` rounds failed in a row; the next try is not before `until`.
    case backoff(until: Duration, attempt: Int)
    /// At least ``BackoffPolicy/attemptsBeforeUnreachable`` consecutive failures. Still retried, at
    /// waits up to ``BackoffPolicy/cap``, until a round succeeds.
    case unreachable
}

/// One peer's schedule as the admin socket shows it. Times are on the scheduler's `now` scale.
public struct PeerScheduleSnapshot<Peer: Hashable & Sendable>: Hashable, Sendable {
    public var peer: Peer
    public var state: PeerState
    /// Why the peer is in ``state``, e.g. "3 consecutive failures, last: timeout; retry in 1.2 s".
    public var stateReason: String
    /// RFC 6298 SRTT; `nil` before the first valid sample.
    public var srtt: Duration?
    /// RFC 6298 RTTVAR; `nil` before the first valid sample.
    public var rttvar: Duration?
    /// Current retransmission timeout, including back-off.
    public var rto: Duration
    /// Smoothed bytes acknowledged per second of round time.
    public var goodputBytesPerSecond: Double
    /// goodput × SRTT; `nil` before the first valid RTT sample.
    public var bandwidthDelayProductBytes: Double?
    /// Share of recent rounds that failed, in [0, 1].
    public var failureRate: Double
    /// Entries the peer is believed to lack, summed over tenants.
    public var backlogEntries: UInt64
    /// Bytes the peer is believed to lack, summed over tenants (0 when unknown).
    public var backlogBytes: UInt64
    /// When the last round to this peer succeeded; `nil` if none has.
    public var lastSuccess: Duration?
    /// When the next round is due; `nil` while one is in flight.
    public var nextRoundAt: Duration?
    /// Why the next round is due then.
    public var nextRoundReason: String
    /// Whether a round to this peer is in flight.
    public var roundInFlight: Bool
    /// Consecutive failed rounds (0 after a success).
    public var consecutiveFailures: Int
}

/// How much one tenant's data a peer lacks, from the last vector exchange.
struct MissingEstimate: Hashable, Sendable {
    var entries: UInt64
    var bytes: UInt64
}

/// A round the scheduler knows is running.
struct RoundInFlight: Hashable, Sendable {
    var startedAt: Duration
    var batchBytes: Int
    /// Started while the peer had failures outstanding: under Karn's rule its RTT is not a sample.
    var isRetry: Bool
}

/// Everything the scheduler keeps about one peer.
struct PeerSchedule<Tenant: Hashable & Comparable & Sendable>: Sendable {
    var link: LinkEstimator
    var state: PeerState = .connecting
    var stateReason = "added; first round due now"
    var consecutiveFailures = 0
    private(set) var missing: [Tenant: MissingEstimate] = [:]
    var lastSuccess: Duration?
    var nextRoundAt: Duration?
    var nextRoundReason = "first contact"
    var idleStreak = 0
    var inFlight: RoundInFlight?
    var pushDueAt: Duration?
    /// Since when the peer has been out of reach (connection lost, rounds failing); `nil` while
    /// it is reachable. Its writes reach us only through other peers meanwhile.
    var unreachableSince: Duration?

    init(link: LinkEstimator, now: Duration) {
        self.link = link
        self.nextRoundAt = now
    }

    /// Sums over ``missing``, kept in step by ``setMissing(_:_:)`` so events stay O(1) in tenants.
    private(set) var missingEntries: UInt64 = 0
    private(set) var missingBytes: UInt64 = 0
    var isBusy: Bool { !missing.isEmpty }
    /// Connected, nothing missing, no failures: rounds to it are anti-entropy checks only.
    var isInSync: Bool { state == .connected && missing.isEmpty && consecutiveFailures == 0 }

    /// Replaces one tenant's estimate (`nil` or all-zero clears it), keeping the sums.
    mutating func setMissing(_ tenant: Tenant, _ estimate: MissingEstimate?) {
        if let old = missing[tenant] {
            missingEntries &-= old.entries
            missingBytes &-= old.bytes
        }
        guard let estimate, estimate.entries > 0 || estimate.bytes > 0 else {
            missing[tenant] = nil
            return
        }
        missing[tenant] = estimate
        missingEntries &+= estimate.entries
        missingBytes &+= estimate.bytes
    }

    /// Batch for the next round: `batchGain` × BDP, clamped to the preset.
    ///
    /// Goodput is measured over whole rounds (one request/response), so a round of B bytes on a
    /// link of bandwidth W and RTT R delivers B / (R + B/W). With gain 2, B' = 2·R·B / (R + B/W)
    /// has its one stable fixed point at B = W·R: the batch settles at the true bandwidth-delay
    /// product (gain 1 would shrink every round towards the minimum).
    func batchBytes(_ preset: SchedulePreset) -> Int {
        guard let bdp = link.bandwidthDelayProductBytes else { return preset.batchBytesInitial }
        let target = bdp * SyncSchedulerConstants.batchGain
        guard target.isFinite, target < Double(preset.batchBytesMax) else { return preset.batchBytesMax }
        return max(preset.batchBytesMin, Int(target))
    }

    /// The eager-push coalescing window: `pushCoalesceSRTTs` × SRTT, clamped. Before any RTT sample
    /// it is the preset's minimum.
    func coalesceWindow(_ preset: SchedulePreset) -> Duration {
        guard let srtt = link.smoothedRTT else { return preset.pushCoalesceMin }
        let window = Duration.nanoseconds(clamping: srtt.nanosecondsValue * preset.pushCoalesceSRTTs)
        return min(max(window, preset.pushCoalesceMin), preset.pushCoalesceMax)
    }

    /// The round timeout handed to the shell: RTO plus the time the batch takes at the current
    /// goodput plus the transport's retransmission allowance, capped by the preset.
    func roundTimeout(batchBytes: Int, _ preset: SchedulePreset) -> Duration {
        let transferNs = Double(batchBytes) / link.goodputBytesPerSecond * 1e9
        let allowanceNs = SyncSchedulerConstants.transportRetransmitAllowance.nanosecondsValue
        let timeout = Duration.nanoseconds(
            clamping: link.retransmissionTimeout.nanosecondsValue + transferNs + allowanceNs
        )
        return min(timeout, preset.roundTimeoutMax)
    }

    func compressionLevel(_ preset: SchedulePreset) -> Int {
        CompressionLadder.level(
            goodputBytesPerSecond: link.goodputBytesPerSecond,
            levelMin: preset.compressionLevelMin,
            levelMax: preset.compressionLevelMax
        )
    }

    /// Lowers the estimates by `entries` sent in a round, tenant by tenant in order, until the next
    /// vector exchange replaces them. Tenants that reach zero are dropped.
    mutating func drawDown(entries: UInt64) {
        var left = entries
        for tenant in missing.keys.sorted() where left > 0 {
            guard var estimate = missing[tenant] else { continue }
            let taken = min(left, estimate.entries)
            left -= taken
            if estimate.entries > 0 {
                // Bytes shrink in proportion to the entries that were sent.
                let kept = Double(estimate.entries - taken) / Double(estimate.entries)
                estimate.bytes = UInt64(Double(estimate.bytes) * kept)
            }
            estimate.entries -= taken
            setMissing(tenant, estimate.entries == 0 ? nil : estimate)
        }
    }

    func snapshot<Peer: Hashable & Sendable>(peer: Peer) -> PeerScheduleSnapshot<Peer> {
        PeerScheduleSnapshot(
            peer: peer,
            state: state,
            stateReason: stateReason,
            srtt: link.smoothedRTT,
            rttvar: link.rttVariance,
            rto: link.retransmissionTimeout,
            goodputBytesPerSecond: link.goodputBytesPerSecond,
            bandwidthDelayProductBytes: link.bandwidthDelayProductBytes,
            failureRate: link.failureRate,
            backlogEntries: missingEntries,
            backlogBytes: missingBytes,
            lastSuccess: lastSuccess,
            nextRoundAt: inFlight == nil ? nextRoundAt : nil,
            nextRoundReason: inFlight == nil ? nextRoundReason : "round in flight",
            roundInFlight: inFlight != nil,
            consecutiveFailures: consecutiveFailures
        )
    }
}
