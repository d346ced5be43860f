/// Decides when each chunk of bytes crossing one direction of a shaped link is delivered.
///
/// A pure value (time and randomness come in as arguments) that the shaping proxy keeps per
/// direction of every connection. For each chunk, in order:
/// 1. Bandwidth: the link is a FIFO wire; a chunk starts transmitting when the wire is free and
///    takes `bytes × 8 / bandwidth` seconds (serialization delay).
/// 2. Loss, as TCP experiences it: the chunk is cut into `segmentBytes` segments; each is lost
///    with the profile's probability and a lost segment arrives one retransmission timeout
///    later (doubling per repeated loss, RFC 6298 section 5.5). Segments of one chunk are
///    recovered in parallel, so the chunk waits for its slowest segment. The proxy runs over
///    loopback TCP, which never loses, so bytes are never dropped: loss only costs time.
/// 3. One-way delay plus uniform jitter in `0...jitter`.
/// Delivery never overtakes an earlier chunk: TCP delivers a byte stream in order, so jitter
/// on one chunk holds back the ones behind it (head-of-line blocking).
public struct LinkShaper: Sendable {
    /// The link's profile.
    public let profile: TestnetLinkProfile
    /// When the bandwidth-limited wire finishes the last chunk handed to it.
    private var wireFreeNanoseconds: UInt64 = 0
    /// The release time of the previous chunk; releases never go backwards.
    private var lastReleaseNanoseconds: UInt64 = 0

    /// Bytes of one TCP segment: the MSS of a 1500-byte Ethernet MTU with timestamps
    /// (1500 − 20 IP − 32 TCP with options).
    public static let segmentBytes = 1448
    /// Linux's floor on the retransmission timeout's variance term (`TCP_RTO_MIN`, 200 ms);
    /// RFC 6298 suggests 1 s, but Linux, which the testnet imitates, uses 200 ms.
    public static let retransmissionTimeoutMinNanoseconds: UInt64 = 200_000_000
    /// Losses of the same segment in a row before the model stops drawing (RTO doubles each
    /// time, so 6 losses already cost 63 RTOs); bounds the work per segment.
    public static let retransmissionsMax = 6

    /// A shaper for one direction of a link with `profile`.
    public init(profile: TestnetLinkProfile) {
        self.profile = profile
    }

    /// Whether the profile changes anything; an unshaped link forwards at once.
    public var isShaping: Bool {
        profile.delayMilliseconds > 0 || profile.jitterMilliseconds > 0 || profile.lossPermille > 0
            || profile.bandwidthBitsPerSecond != nil
    }

    /// The retransmission timeout TCP would settle on for this link: RTT plus four times the
    /// RTT variance, the variance term at least 200 ms (RFC 6298 section 2, Linux's floor).
    /// The jitter stands in for the variance.
    public var retransmissionTimeoutNanoseconds: UInt64 {
        let rtt = 2 * profile.delayMilliseconds * 1_000_000
        let variance = 4 * profile.jitterMilliseconds * 1_000_000
        return rtt + max(variance, Self.retransmissionTimeoutMinNanoseconds)
    }

    /// When a chunk of `bytes` handed to the link at `now` (monotonic nanoseconds) is delivered.
    public mutating func release<G: RandomNumberGenerator>(
        bytes: Int,
        at now: UInt64,
        using generator: inout G
    ) -> UInt64 {
        var sent = now
        if let bitsPerSecond = profile.bandwidthBitsPerSecond, bitsPerSecond > 0 {
            let start = max(now, wireFreeNanoseconds)
            let transmit = UInt64(bytes) * 8 * 1_000_000_000 / bitsPerSecond
            wireFreeNanoseconds = start + transmit
            sent = wireFreeNanoseconds
        }
        var release = sent + lossPenaltyNanoseconds(bytes: bytes, using: &generator)
        release += profile.delayMilliseconds * 1_000_000
        if profile.jitterMilliseconds > 0 {
            release += generator.next(upperBound: profile.jitterMilliseconds * 1_000_000 + 1)
        }
        release = max(release, lastReleaseNanoseconds)
        lastReleaseNanoseconds = release
        return release
    }

    /// The extra time the slowest segment of the chunk needs for retransmissions.
    private func lossPenaltyNanoseconds<G: RandomNumberGenerator>(bytes: Int, using generator: inout G) -> UInt64 {
        guard profile.lossPermille > 0 else { return 0 }
        let segments = max(1, (bytes + Self.segmentBytes - 1) / Self.segmentBytes)
        var worst: UInt64 = 0
        for _ in 0..<segments {
            var penalty: UInt64 = 0
            var timeout = retransmissionTimeoutNanoseconds
            var losses = 0
            while losses < Self.retransmissionsMax && generator.next(upperBound: 1000) < UInt64(profile.lossPermille) {
                penalty += timeout
                timeout *= 2
                losses += 1
            }
            worst = max(worst, penalty)
        }
        return worst
    }
}
