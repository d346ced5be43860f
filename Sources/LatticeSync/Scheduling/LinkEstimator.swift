/// What one peer's link looks like from here: round-trip time, goodput and failure rate.
///
/// Round-trip time follows RFC 6298 §2 exactly (Paxson, Allman, Chu and Sargent, "Computing
/// TCP's Retransmission Timer", 2011):
///
/// - before any sample, RTO = ``Parameters/rtoInitial`` (§2.1);
/// - the first sample R sets SRTT = R, RTTVAR = R/2 (§2.2);
/// - each later sample R' sets RTTVAR = (1 − β)·RTTVAR + β·|SRTT − R'| using the *old* SRTT, then
///   SRTT = (1 − α)·SRTT + α·R', with α = 1/8 and β = 1/4 (§2.3);
/// - RTO = SRTT + max(G, K·RTTVAR) with K = 4 and G the clock granularity, clamped to
///   [``Parameters/rtoMin``, ``Parameters/rtoMax``] (§2.4, §2.5);
/// - when a round times out the timer is backed off: RTO doubles, up to the maximum (§5.5), and
///   stays backed off until a new valid sample arrives.
///
/// Karn's rule (Karn and Partridge 1987; RFC 6298 §3) is the caller's part: never feed a sample
/// from a retried round or from a round that already timed out. ``SyncScheduler`` does this.
///
/// Arithmetic is done in `Double` nanoseconds, which is exact for the dyadic fractions used here
/// as long as values stay below 2^53 ns.
public struct LinkEstimator: Hashable, Sendable {
    /// The per-link constants a preset chooses.
    public struct Parameters: Hashable, Sendable {
        /// RTO before the first RTT sample (RFC 6298 §2.1).
        public var rtoInitial: Duration
        /// Lower bound on RTO (RFC 6298 §2.4 recommends 1 s for TCP; presets for fast links go lower).
        public var rtoMin: Duration
        /// Upper bound on RTO, also the cap of timer back-off (RFC 6298 §2.5: at least 60 s for TCP).
        public var rtoMax: Duration
        /// G in RTO = SRTT + max(G, K·RTTVAR): the granularity of the shell's timers.
        public var clockGranularity: Duration
        /// Goodput assumed before any round has been measured, in bytes per second.
        public var goodputInitialBytesPerSecond: Double
        /// Time constant of the goodput average: a sample covering `elapsed` gets weight
        /// `elapsed / (goodputWindow + elapsed)`.
        public var goodputWindow: Duration

        public init(
            rtoInitial: Duration,
            rtoMin: Duration,
            rtoMax: Duration,
            clockGranularity: Duration,
            goodputInitialBytesPerSecond: Double,
            goodputWindow: Duration
        ) {
            self.rtoInitial = rtoInitial
            self.rtoMin = rtoMin
            self.rtoMax = rtoMax
            self.clockGranularity = clockGranularity
            self.goodputInitialBytesPerSecond = goodputInitialBytesPerSecond
            self.goodputWindow = goodputWindow
        }
    }

    /// α of RFC 6298 §2.3: the weight of a new sample in SRTT.
    public static let srttGain = 0.125
    /// β of RFC 6298 §2.3: the weight of a new deviation in RTTVAR.
    public static let rttvarGain = 0.25
    /// K of RFC 6298 §2.3: how many RTTVARs RTO keeps above SRTT.
    public static let rttvarMultiplier = 4.0
    /// Weight of one round's outcome in ``failureRate``: 1/8, so the rate reflects roughly the last
    /// eight rounds (the same memory as SRTT).
    public static let failureRateGain = 0.125

    public let parameters: Parameters
    private var srttNs: Double?
    private var rttvarNs: Double = 0
    private var timeoutBackoffs: Int = 0
    private var goodputMeasured = false
    /// Smoothed goodput: bytes acknowledged per second of round time.
    public private(set) var goodputBytesPerSecond: Double
    /// Exponentially weighted share of rounds that failed, in [0, 1].
    public private(set) var failureRate: Double = 0
    /// RTT samples accepted so far.
    public private(set) var rttSampleCount = 0

    public init(parameters: Parameters) {
        self.parameters = parameters
        self.goodputBytesPerSecond = max(1, parameters.goodputInitialBytesPerSecond)
    }

    /// SRTT, or `nil` before the first sample.
    public var smoothedRTT: Duration? { srttNs.map { Duration.nanoseconds(clamping: $0) } }

    /// RTTVAR, or `nil` before the first sample.
    public var rttVariance: Duration? { srttNs == nil ? nil : Duration.nanoseconds(clamping: rttvarNs) }

    /// Whether a round timed out since the last valid RTT sample (RTO is backed off).
    public var isBackedOff: Bool { timeoutBackoffs > 0 }

    /// RTO: RFC 6298 §2, clamped to the preset's bounds and doubled once per timeout since the last
    /// valid sample (§5.5).
    public var retransmissionTimeout: Duration {
        let minNs = parameters.rtoMin.nanosecondsValue
        let maxNs = parameters.rtoMax.nanosecondsValue
        var rto: Double
        if let srtt = srttNs {
            rto = srtt + max(parameters.clockGranularity.nanosecondsValue, Self.rttvarMultiplier * rttvarNs)
        } else {
            rto = parameters.rtoInitial.nanosecondsValue
        }
        rto = min(max(rto, minNs), maxNs)
        for _ in 0..<timeoutBackoffs where rto < maxNs { rto = min(rto * 2, maxNs) }
        return Duration.nanoseconds(clamping: rto)
    }

    /// Bandwidth-delay product in bytes: goodput × SRTT; `nil` before the first RTT sample.
    public var bandwidthDelayProductBytes: Double? {
        srttNs.map { goodputBytesPerSecond * $0 / 1e9 }
    }

    /// Feeds one valid RTT measurement (RFC 6298 §2.2–2.3) and clears any timer back-off.
    /// Negative samples count as zero.
    public mutating func addRTTSample(_ sample: Duration) {
        let r = max(0, sample.nanosecondsValue)
        if let srtt = srttNs {
            rttvarNs = (1 - Self.rttvarGain) * rttvarNs + Self.rttvarGain * abs(srtt - r)
            srttNs = (1 - Self.srttGain) * srtt + Self.srttGain * r
        } else {
            srttNs = r
            rttvarNs = r / 2
        }
        rttSampleCount += 1
        timeoutBackoffs = 0
    }

    /// A round timed out: back the timer off (RFC 6298 §5.5). Doublings stop counting once RTO is at
    /// its maximum, so the counter stays small.
    public mutating func timerExpired() {
        if retransmissionTimeout < parameters.rtoMax { timeoutBackoffs += 1 }
    }

    /// Feeds one round's delivery: `bytes` acknowledged over `elapsed` of round time.
    ///
    /// An *application-limited* round (one that had less to send than its batch allowed) says
    /// little about the link, so like BBR's delivery-rate samples (Cardwell et al., "BBR
    /// Congestion Control", IETF draft, §4.1.2) it may raise the estimate but never lower it.
    public mutating func recordDelivery(bytes: UInt64, elapsed: Duration, applicationLimited: Bool) {
        let seconds = elapsed.nanosecondsValue / 1e9
        guard seconds > 0, bytes > 0 else { return }
        let sample = Double(bytes) / seconds
        if applicationLimited && sample <= goodputBytesPerSecond { return }
        if !goodputMeasured {
            goodputMeasured = true
            goodputBytesPerSecond = sample
            return
        }
        // 1 − e^(−t/W) ≈ t / (W + t): an irregularly sampled EWMA without `exp`.
        let weight = seconds / (parameters.goodputWindow.nanosecondsValue / 1e9 + seconds)
        goodputBytesPerSecond = (1 - weight) * goodputBytesPerSecond + weight * sample
    }

    /// Feeds one round's outcome into ``failureRate``.
    public mutating func recordOutcome(failed: Bool) {
        failureRate = (1 - Self.failureRateGain) * failureRate + Self.failureRateGain * (failed ? 1 : 0)
    }
}
