/// The anti-entropy scheduler: a pure value that turns events into directives.
///
/// It does no I/O and reads no clock: every call takes `now` (time since an epoch the shell
/// picks, e.g. its `ContinuousClock` start; it must not go backwards — earlier values are treated
/// as the latest one seen), and backoff jitter comes from the caller's `RandomNumberGenerator`.
/// The shell keeps one timer: each ``Directive/scheduleNextTick(after:reason:)`` replaces the
/// previous one, and when it fires the shell calls ``tick(now:)``. The shell must carry out
/// directives in the order they were produced: calls it makes while carrying one out (round
/// started, completed) return more, which go behind the rest of the list, never ahead — else
/// an older `scheduleNextTick` can replace a newer one and the timer and the scheduler disagree. There is no fixed period: every
/// delay is derived from the link estimates, the peers' backlogs and the preset
/// (the design of apple/swift-cluster-membership's `SWIM.Instance`).
///
/// What the scheduler does ("resched." = a `scheduleNextTick` when the pending tick is no longer right):
///
/// | event              | effect                                                               | directives            |
/// |--------------------|----------------------------------------------------------------------|-----------------------|
/// | `addPeer`          | peer due at once, state `connecting`                                 | resched.              |
/// | `missingEstimate`  | > 0: next round pulled in to `busyRoundDelay` (unless backing off)   | resched.              |
/// | `localWrite`       | each connected peer: push due after its window (∝ SRTT, clamped)     | resched.              |
/// | `tick`             | due pushes; due rounds by most missing, stalest, lowest SRTT, up to  | `pushNow`,            |
/// |                    | `roundsInFlightMax`; then the delay to the earliest next need        | `startRound`, resched.|
/// | `roundCompleted`   | RTT (not for retries: Karn), goodput, failure rate; backoff reset;   | resched.              |
/// |                    | next round after `busyRoundDelay` if data still missing, else an     |                       |
/// |                    | idle delay growing ×4 from `idleRoundDelayInitial` to `…Max`, times  |                       |
/// |                    | the in-sync peers (one idle check per delay for the whole node)      |                       |
/// | `roundFailed`      | failure rate; timeout doubles RTO; full-jitter backoff;              | resched.              |
/// |                    | `unreachable` after `attemptsBeforeUnreachable` failures in a row;   |                       |
/// |                    | relay rounds through the lowest-SRTT reachable peer while a peer is  |                       |
/// |                    | out of reach (`SchedulerRelay.swift`)                                |                       |
/// | `connectionChanged`| `connecting` / `connected`; `lost` fails the round and backs off     | resched.              |
/// | `roundStarted`     | records a round the peer (or an operator) started                    | none                  |
/// | `removePeer`       | forgets the peer; later answers about it are ignored                 | none                  |
///
/// Every wake-up is at least `tickDelayMin` after the event that scheduled it and at most
/// `tickDelayMax`; a stream of events can move the tick earlier or, when nothing is due by then,
/// later, but never defer something that is due.
///
/// `startRound` carries the batch size (≈ bandwidth-delay product, see `PeerSchedule.batchBytes`),
/// the zstd level (``CompressionLadder``) and a timeout (RTO + transfer time + the transport's
/// retransmission allowance). The shell must
/// answer every `startRound` with exactly one `roundCompleted` or `roundFailed`; answers for rounds
/// that are no longer in flight (e.g. a completion after the timeout was reported) are ignored.
public struct SyncScheduler<Peer, Tenant>: Sendable
where Peer: Hashable & Comparable & Sendable, Tenant: Hashable & Comparable & Sendable {
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
    /// When to pull through a reachable peer next, while some peer is unreachable (see
    /// `SchedulerRelay.swift`); `nil` while every peer is reachable.
    var relayAt: Duration?
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

    /// One peer's connection state, or `nil` for an unknown peer (cheaper than a snapshot).
    public func state(of peer: Peer) -> PeerState? { peers[peer]?.state }

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
    /// While a peer is unreachable, relay rounds come every `relayAgeShare` × the outage's age
    /// (at least ``SchedulePreset/relayRoundDelayMin``): a fresh loss is most likely a brief
    /// disconnection with the peer still writing, and a writer cut off for t is caught up with
    /// within t/4 of its writes; a long outage is most likely a crash, where relays find nothing.
    /// The count of relay rounds grows with the logarithm of the outage's length.
    public static let relayAgeShare = 0.25
    /// Added to every round timeout: rounds run over TCP, which retransmits a lost segment after
    /// at least 200 ms (Linux's TCP_RTO_MIN) and doubles the wait for each further loss, so a
    /// message that needed two retransmissions arrives 600 ms late. A round timed out sooner only
    /// abandons a pull the transport was about to deliver, and pulls it again: on a lossy link with
    /// a small RTT that happened every few rounds. A peer that is gone is reported by the
    /// connection, not by this timeout.
    public static let transportRetransmitAllowance = Duration.milliseconds(600)
}
