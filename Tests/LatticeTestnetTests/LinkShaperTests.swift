import LatticeOps
import Testing

@Suite("Link shaper")
struct LinkShaperTests {
    static let millisecond: UInt64 = 1_000_000

    @Test("an unshaped link releases every chunk at once")
    func test_loopback_releasesImmediately() {
        var shaper = LinkShaper(profile: .loopback)
        var generator = SeededGenerator(state: 1)
        #expect(!shaper.isShaping)
        #expect(shaper.release(bytes: 1000, at: 5_000, using: &generator) == 5_000)
    }

    @Test("delay and jitter: release within delay...delay+jitter, never before an earlier chunk (seed 7)")
    func test_jitter_keepsOrder() {
        var shaper = LinkShaper(profile: TestnetLinkProfile(delayMilliseconds: 40, jitterMilliseconds: 10))
        var generator = SeededGenerator(state: 7)
        var previous: UInt64 = 0
        var sawJitter = false
        for step in 0..<1000 {
            let now = UInt64(step) * Self.millisecond / 10
            let release = shaper.release(bytes: 100, at: now, using: &generator)
            #expect(release >= now + 40 * Self.millisecond)
            #expect(release >= previous)
            #expect(release <= max(previous, now + 50 * Self.millisecond))
            if release > now + 40 * Self.millisecond { sawJitter = true }
            previous = release
        }
        #expect(sawJitter)
    }

    @Test("bandwidth: chunks queue behind each other on the wire")
    func test_bandwidth_serializes() {
        // 1 Mbit/s: 125,000 bytes take one second.
        var shaper = LinkShaper(profile: TestnetLinkProfile(bandwidthBitsPerSecond: 1_000_000))
        var generator = SeededGenerator(state: 1)
        #expect(shaper.release(bytes: 125_000, at: 0, using: &generator) == 1_000 * Self.millisecond)
        #expect(shaper.release(bytes: 12_500, at: 0, using: &generator) == 1_100 * Self.millisecond)
        // An idle wire starts fresh.
        let later = 5_000 * Self.millisecond
        #expect(shaper.release(bytes: 125, at: later, using: &generator) == later + Self.millisecond)
    }

    @Test("loss costs retransmission timeouts, never bytes; no loss costs nothing")
    func test_loss_costsTimeouts() {
        let profile = TestnetLinkProfile(delayMilliseconds: 10, lossPermille: 1000)
        var lossy = LinkShaper(profile: profile)
        var generator = SeededGenerator(state: 3)
        // RTO = RTT 20 ms + 200 ms floor; every segment lost retransmissionsMax times, doubling.
        #expect(lossy.retransmissionTimeoutNanoseconds == 220 * Self.millisecond)
        let penalty = (0..<LinkShaper.retransmissionsMax).reduce(UInt64(0)) { sum, n in sum + (220 << n) }
        let release = lossy.release(bytes: 3000, at: 0, using: &generator)
        #expect(release == (10 + penalty) * Self.millisecond)

        var clean = LinkShaper(profile: TestnetLinkProfile(delayMilliseconds: 10))
        #expect(clean.release(bytes: 3000, at: 0, using: &generator) == 10 * Self.millisecond)
    }

    @Test("3% loss delays some chunks by at least one timeout and most not at all (seed 11)")
    func test_partialLoss_delaysSome() {
        var shaper = LinkShaper(profile: TestnetLinkProfile(delayMilliseconds: 1, lossPermille: 30))
        var generator = SeededGenerator(state: 11)
        var delayed = 0
        var now: UInt64 = 0
        for _ in 0..<1000 {
            now += 10_000 * Self.millisecond  // far apart, so no chunk waits behind another
            let extra = shaper.release(bytes: 1000, at: now, using: &generator) - now - Self.millisecond
            #expect(extra == 0 || extra >= shaper.retransmissionTimeoutNanoseconds)
            if extra > 0 { delayed += 1 }
        }
        #expect((10...80).contains(delayed), "expected about 30 of 1000 one-segment chunks delayed, got \(delayed)")
    }
}
