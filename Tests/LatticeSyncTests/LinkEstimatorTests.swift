import LatticeSync
import Testing

@Suite("Link estimator (RFC 6298 §2, goodput, failure rate)")
struct LinkEstimatorTests {
    static let parameters = LinkEstimator.Parameters(
        rtoInitial: .seconds(1),
        rtoMin: .milliseconds(1),
        rtoMax: .seconds(60),
        clockGranularity: .milliseconds(1),
        goodputInitialBytesPerSecond: 1000,
        goodputWindow: .seconds(1)
    )

    @Test("before any sample RTO is the initial value (§2.1) and SRTT is unknown")
    func rtoBeforeFirstSample() {
        let link = LinkEstimator(parameters: Self.parameters)
        #expect(link.retransmissionTimeout == .seconds(1))
        #expect(link.smoothedRTT == nil)
        #expect(link.rttVariance == nil)
        #expect(link.bandwidthDelayProductBytes == nil)
    }

    @Test("SRTT, RTTVAR and RTO follow a hand-computed RFC 6298 sequence exactly")
    func rfc6298HandComputedSequence() {
        var link = LinkEstimator(parameters: Self.parameters)
        // R = 100 ms (§2.2): SRTT = 100, RTTVAR = 50, RTO = 100 + max(1, 4·50) = 300 ms.
        link.addRTTSample(.milliseconds(100))
        #expect(link.smoothedRTT == .milliseconds(100))
        #expect(link.rttVariance == .milliseconds(50))
        #expect(link.retransmissionTimeout == .milliseconds(300))
        // R' = 200 ms (§2.3, RTTVAR first, with the old SRTT):
        // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5; RTO = 112.5 + 250 = 362.5.
        link.addRTTSample(.milliseconds(200))
        #expect(link.rttVariance == .microseconds(62_500))
        #expect(link.smoothedRTT == .microseconds(112_500))
        #expect(link.retransmissionTimeout == .microseconds(362_500))
        // R' = 50 ms: RTTVAR = 3/4·62.5 + 1/4·|112.5 − 50| = 62.5; SRTT = 7/8·112.5 + 1/8·50 = 104.6875;
        // RTO = 104.6875 + 250 = 354.6875 ms.
        link.addRTTSample(.milliseconds(50))
        #expect(link.rttVariance == .microseconds(62_500))
        #expect(link.smoothedRTT == .nanoseconds(104_687_500))
        #expect(link.retransmissionTimeout == .nanoseconds(354_687_500))
        #expect(link.rttSampleCount == 3)
    }

    @Test("the clock granularity G floors the variance term once RTT is steady")
    func granularityFloorsVarianceTerm() {
        var params = Self.parameters
        params.clockGranularity = .milliseconds(100)
        var link = LinkEstimator(parameters: params)
        for _ in 0..<60 { link.addRTTSample(.milliseconds(400)) }
        // RTTVAR = 200 ms · (3/4)^59 < 25 ms, so RTO = SRTT + G.
        #expect(link.retransmissionTimeout == .milliseconds(500))
    }

    @Test("RTO is clamped to the minimum and the maximum (§2.4, §2.5)")
    func rtoIsClamped() {
        var params = Self.parameters
        params.rtoMin = .seconds(1)
        params.rtoMax = .seconds(2)
        var fast = LinkEstimator(parameters: params)
        fast.addRTTSample(.milliseconds(10))
        #expect(fast.retransmissionTimeout == .seconds(1))
        var slow = LinkEstimator(parameters: params)
        slow.addRTTSample(.seconds(5))
        #expect(slow.retransmissionTimeout == .seconds(2))
    }

    @Test("a timeout doubles RTO up to the maximum (§5.5) until the next valid sample")
    func timeoutBacksOffTimer() {
        var params = Self.parameters
        params.rtoMax = .seconds(5)
        var link = LinkEstimator(parameters: params)
        link.addRTTSample(.milliseconds(100))  // RTO 300 ms
        link.timerExpired()
        #expect(link.retransmissionTimeout == .milliseconds(600))
        #expect(link.isBackedOff)
        link.timerExpired()
        link.timerExpired()
        #expect(link.retransmissionTimeout == .milliseconds(2400))
        for _ in 0..<100 { link.timerExpired() }
        #expect(link.retransmissionTimeout == .seconds(5))
        link.addRTTSample(.milliseconds(100))
        #expect(!link.isBackedOff)
        // RTTVAR = 3/4·50 + 0 = 37.5; SRTT = 100; RTO = 100 + 150 = 250 ms.
        #expect(link.retransmissionTimeout == .milliseconds(250))
    }

    @Test("goodput: first sample replaces the guess, then elapsed/(window + elapsed) weighting")
    func goodputSmoothing() {
        var link = LinkEstimator(parameters: Self.parameters)
        link.recordDelivery(bytes: 4000, elapsed: .seconds(2), applicationLimited: false)
        #expect(link.goodputBytesPerSecond == 2000)
        // Sample 6000 B/s over 1 s with a 1 s window: weight 1/2.
        link.recordDelivery(bytes: 6000, elapsed: .seconds(1), applicationLimited: false)
        #expect(link.goodputBytesPerSecond == 4000)
        // Sample 1000 B/s over 3 s: weight 3/4 → 1/4·4000 + 3/4·1000 = 1750.
        link.recordDelivery(bytes: 3000, elapsed: .seconds(3), applicationLimited: false)
        #expect(link.goodputBytesPerSecond == 1750)
    }

    @Test("an application-limited round may raise goodput but never lower it")
    func applicationLimitedSamples() {
        var link = LinkEstimator(parameters: Self.parameters)
        link.recordDelivery(bytes: 10, elapsed: .seconds(1), applicationLimited: true)
        #expect(link.goodputBytesPerSecond == 1000)
        link.recordDelivery(bytes: 5000, elapsed: .seconds(1), applicationLimited: true)
        #expect(link.goodputBytesPerSecond == 5000)
        link.recordDelivery(bytes: 0, elapsed: .seconds(1), applicationLimited: false)
        link.recordDelivery(bytes: 100, elapsed: .zero, applicationLimited: false)
        #expect(link.goodputBytesPerSecond == 5000)
    }

    @Test("BDP is goodput × SRTT")
    func bandwidthDelayProduct() {
        var link = LinkEstimator(parameters: Self.parameters)
        link.recordDelivery(bytes: 1_000_000, elapsed: .seconds(1), applicationLimited: false)
        link.addRTTSample(.milliseconds(50))
        #expect(link.bandwidthDelayProductBytes == 50_000)
    }

    @Test("failure rate is an EWMA of round outcomes with gain 1/8")
    func failureRateEWMA() {
        var link = LinkEstimator(parameters: Self.parameters)
        link.recordOutcome(failed: true)
        #expect(link.failureRate == 0.125)
        link.recordOutcome(failed: false)
        #expect(link.failureRate == 0.109375)
        for _ in 0..<200 { link.recordOutcome(failed: true) }
        #expect(link.failureRate > 0.999 && link.failureRate <= 1)
    }
}
