/// How long to wait before retrying a peer that failed: capped exponential backoff with
/// *full jitter*.
///
/// After the n-th consecutive failure (n ≥ 1) the wait is drawn uniformly from
/// `[0, min(cap, base · 2^(n−1))]` — the "Full Jitter" strategy of Marc Brooker, "Exponential
/// Backoff And Jitter", AWS Architecture Blog (2015). Jitter spreads the retries of many nodes that
/// lost the same peer at the same moment, and full jitter does so with the least total work of the
/// strategies compared there. The attempt counter resets on the first successful round.
public struct BackoffPolicy: Hashable, Sendable {
    /// Ceiling of the first retry's wait.
    public var base: Duration
    /// The largest wait ever drawn.
    public var cap: Duration
    /// Consecutive failures after which a peer is shown as `unreachable` (it is still retried, at
    /// waits up to ``cap``).
    public var attemptsBeforeUnreachable: Int

    /// Doublings beyond this are not computed: 2^40 × even 1 ns exceeds any sensible cap, and the
    /// bound keeps the shift from overflowing.
    public static let doublingsMax = 40

    public init(base: Duration, cap: Duration, attemptsBeforeUnreachable: Int) {
        self.base = base
        self.cap = cap
        self.attemptsBeforeUnreachable = attemptsBeforeUnreachable
    }

    /// The upper bound of the wait after `attempt` consecutive failures: `min(cap, base · 2^(attempt−1))`,
    /// and zero for `attempt <= 0`.
    public func ceiling(attempt: Int) -> Duration {
        guard attempt > 0 else { return .zero }
        let capNs = cap.nanosecondsClamped
        let doublings = min(attempt - 1, Self.doublingsMax)
        let (scaled, overflow) = base.nanosecondsClamped.multipliedReportingOverflow(by: UInt64(1) << UInt64(doublings))
        let ceilingNs = overflow ? capNs : min(scaled, capNs)
        return .nanoseconds(Int64(clamping: ceilingNs))
    }

    /// A wait drawn uniformly from `[0, ceiling(attempt)]` with the injected generator.
    public func delay(attempt: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        let ceilingNs = UInt64(ceiling(attempt: attempt).nanosecondsClamped)
        return .nanoseconds(Int64(clamping: UInt64.random(in: 0...ceilingNs, using: &rng)))
    }
}
