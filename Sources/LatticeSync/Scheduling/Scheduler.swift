/// The anti-entropy scheduler: a pure value that turns events into directives.
///
/// It does no I/O and reads no clock: every call takes `now` (time since an epoch the shell
/// picks, e.g. its `ContinuousClock` start; it must not go backwards — earlier values are treated
/// as the latest one seen), and backoff jitter comes from the caller's `RandomNumberGenerator`.
/// The shell keeps one timer: each ``Directive/scheduleNextTick(after:reason:)`` replaces the
/// previous one, and when it fires the shell calls ``tick(now:)``. There is no fixed period: every
/// delay is derived from the link estimates, the peers' backlogs and the preset
/// (the design of apple/swift-cluster-membership's `SWIM.Instance`).
///
/// What the scheduler does:
///
/// | event                                    | effect                                                     | directives                         |
/// |------------------------------------------|------------------------------------------------------------|------------------------------------|
/// | ``addPeer(_:now:)``                      | peer due at once, state `connecting`                       | `scheduleNextTick` if changed       |
/// | ``missingEstimate(peer:tenant:entries:bytes:now:)`` > 0 | next round pulled in to `busyRoundDelay` (unless backing off) | `scheduleNextTick` if changed |
/// | ``localWrite(now:)``                     | each connected peer gets a push due after its coalescing window (∝ SRTT) | `scheduleNextTick` if changed |
/// | ``tick(now:)``                           | due pushes; due peers started, most missing first, then stalest, then lowest SRTT, up to `roundsInFlightMax` | `pushNow`, `startRound`, always one `scheduleNextTick` |
/// | ``roundCompleted(peer:bytes:entries:rtt:now:)`` | RTT (unless a retry: Karn), goodput, failure rate; backoff reset; next round after `busyRoundDelay` if still missing, else an idle delay that doubles up to `idleRoundDelayMax` | `scheduleNextTick` if changed |
/// | ``roundFailed(peer:_:now:using:)``       | failure rate; timeouts double RTO; full-jitter backoff; `unreachable` after enough attempts | `scheduleNextTick` if changed |
/// | ``connectionChanged(peer:to:now:using:)`` | state `connecting` / `connected`; `lost` counts as a failure | `scheduleNextTick` if changed |
///
/// `startRound` carries the batch size (≈ bandwidth-delay product, see `PeerSchedule.batchBytes`),
/// the zstd level (``CompressionLadder``) and a timeout (RTO + transfer time). The shell must
/// answer every `startRound` with exactly one `roundCompleted` or `roundFailed`; answers for rounds
/// that are no longer in flight (e.g. a completion after the timeout was reported) are ignored.
public struct SyncScheduler<Peer: Hashable & Comparable & Sendable, Tenant: Hashable & Comparable & Sendable>: Sendable {
    /// What the shell must do.
    public enum Directive: Hashable, Sendable {
        /// Run one anti-entropy round with `peer` (connecting first if needed), sending at most
        /// `batchBytes`, compressed at `compressionLevel` (0 = uncompressed), and report
        /// `roundFailed(.timeout)` if it has not completed within `timeout`.
        case startRound(peer: Peer, reason: String, batchBytes: Int, compressionLevel: Int, timeout: Duration)
        /// Push the local deltas gathered since the last push to `peer` now.
        case pushNow(peer: Peer)
        /// Call ``SyncScheduler/tick(now:)`` after `after`, replacing any earlier request.
        case scheduleNextTick(after: Duration, reason: String)
    }

    /// Why a round failed.
    public enum RoundFailure: Hashable, Sendable, CustomStringConvertible {
        /// No completion within the directive's timeout. Backs RTO off (RFC 6298 §5.5).
        case timeout
        /// The peer refused the connection or the round.
        case refused
        /// Anything else, described for the state reason.
        case error(String)

        public var description: String {
            switch self {
            case .timeout: "timeout"
            case .refused: "refused"
            case .error(let message): "error: \(message)"
            }
        }
    }

    /// A change of the transport connection to a peer.
    public enum ConnectionChange: Hashable, Sendable {
        case connecting
        case connected
        /// The connection dropped unexpectedly. Counts as a failure. Do not report connections the
        /// shell closes on purpose (idle close).
        case lost(reason: String)
    }

    public let preset: SchedulePreset
    var peers: [Peer: PeerSchedule<Tenant>] = [:]
    var latestNow: Duration = .zero
    var scheduledTickAt: Duration?
    /// The reason given with the last `scheduleNextTick` directive.
    public internal(set) var lastTickReason = "not started"
    /// How many times ``tick(now:)`` ran: the scheduler's wake-ups.
    public internal(set) var tickCount = 0

    /// A scheduler with no peers. Throws if the preset does not ``SchedulePreset/validate()``.
    public init(preset: SchedulePreset) throws(SchedulerError) {
        try preset.validate()
        self.preset = preset
    }

    /// Peers being scheduled.
    public var peerCount: Int { peers.count }

    /// Every peer's schedule, ordered by peer.
    public func snapshot() -> [PeerScheduleSnapshot<Peer>] {
        peers.keys.sorted().map { peers[$0]!.snapshot(peer: $0) }
    }

    /// One peer's schedule, or `nil` for an unknown peer.
    public func snapshot(of peer: Peer) -> PeerScheduleSnapshot<Peer>? { peers[peer]?.snapshot(peer: peer) }

    /// `now`, never earlier than any time seen before.
    mutating func advance(to now: Duration) -> Duration {
        latestNow = max(latestNow, now)
        return latestNow
    }
}

/// Constants of the scheduling logic that are not a matter of preset.
public enum SyncSchedulerConstants {
    /// Batch = gain × goodput × SRTT. With goodput measured over whole rounds, gain 2 makes the
    /// batch converge to the link's true bandwidth-delay product (see `PeerSchedule.batchBytes`);
    /// 2 is also BBR's cwnd gain for the same reason (Cardwell et al. 2016).
    public static let batchGain = 2.0
    /// Idle doublings beyond this are not computed (the delay is at its maximum long before).
    public static let idleDoublingsMax = 62
}
