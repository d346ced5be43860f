import LatticeCore
import PropertyBased
import Testing

@testable import LatticeSync

@Suite("Repair sessions")
struct RepairSessionTests {
    /// A behavioural bound on reconciliation bytes: the strata (at most 32 levels of 16
    /// syndromes, 2 KiB) plus a constant per differing key (two items, 4 bytes each with
    /// slack, a found position, a few bytes of bounds), never anything that grows with n.
    static func byteBound(d: Int) -> Int { 2_048 + 256 + 40 * d }

    @Test("reconciliation finds exactly the keys that differ, in both directions, within bytes linear in d")
    func findsExactSymmetricDifference() async throws {
        await propertyCheck(count: 40, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let n = Int.random(in: 0...3_000, using: &rng)
            let d = Int.random(in: 0...min(n, 300), using: &rng)
            let pair = RepairFixture.pair(n: n, d: d, rng: &rng)
            let options = RepairSession.Options(
                strataCapacity: Int.random(in: 2...32, using: &rng),
                differencesPerRange: Int.random(in: 1...(RepairLimits.sketchCapacityMax - 1), using: &rng),
                initialCapacityPercent: Int.random(in: 10...200, using: &rng),
                extensionPercent: Int.random(in: 1...100, using: &rng)
            )
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options, session: rng.next())
            #expect(outcome.aSends == pair.expectedA, "seed \(seed) n \(n) d \(d) \(options)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed) n \(n) d \(d) \(options)")
            #expect(outcome.bytes <= Self.byteBound(d: d), "seed \(seed) n \(n) d \(d): \(outcome.bytes) bytes")
        }
    }

    @Test("100,000 keys: exact differences, bytes linear in d", arguments: [0, 1, 10, 300, 3_000])
    func largeIndex_costGrowsWithDifferences(d: Int) throws {
        var rng = SplitMix64(seed: 0x5eed_0000 + UInt64(d))
        let pair = RepairFixture.pair(n: 100_000, d: d, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.aSends == pair.expectedA, "seed \(0x5eed_0000 + d)")
        #expect(outcome.bSends == pair.expectedB, "seed \(0x5eed_0000 + d)")
        #expect(outcome.bytes <= Self.byteBound(d: d), "\(outcome.bytes) bytes for d = \(d)")
        // Differing items (a changed key is two) cost about 4 bytes of syndromes each.
        let items = pair.expectedA.count + pair.expectedB.count
        #expect(outcome.syndromes <= 2 * 16 * 18 + items * 5 / 4 + 64, "\(outcome.syndromes) syndromes, \(items) items")
    }

    @Test("equal replicas finish in two messages whatever their size")
    func equalIndexes_finishAtOnce() throws {
        var rng = SplitMix64(seed: 7)
        let pair = RepairFixture.pair(n: 20_000, d: 0, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.messages == 2)  // the initiator's strata, the responder's done
        #expect(outcome.aSends.isEmpty && outcome.bSends.isEmpty)
    }

    @Test(
        "a few differences among 100,000 keys are read straight from the strata: one round trip",
        arguments: RepairFixture.Difference.allCases
    )
    func fewDifferences_resolveFromTheStrata(kind: RepairFixture.Difference) throws {
        var rng = SplitMix64(seed: 0x10ca_7e)
        let pair = RepairFixture.pair(n: 100_000, d: 3, kind: kind, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.aSends == pair.expectedA && outcome.bSends == pair.expectedB)
        // Strata; then found (when A has items B lacks) and done, or done at once.
        #expect(outcome.messages == (kind == .onlyB ? 2 : 3), "\(outcome.messages) messages")
        #expect(outcome.bytes <= 18 * 16 * 4 + 64, "\(outcome.bytes) bytes")
    }

    @Test("one side empty: the other's every key is found, by cutting and extending sketches")
    func oneSideEmpty_findsEverything() throws {
        var rng = SplitMix64(seed: 11)
        let pair = RepairFixture.pair(n: 5_000, d: 5_000, kind: .onlyB, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.aSends.isEmpty)
        #expect(outcome.bSends == pair.expectedB)
        #expect(outcome.maxSyndromes <= RepairLimits.syndromesPerMessageMax)
        #expect(outcome.maxRanges <= RepairLimits.rangesPerMessageMax)
    }

    @Test("tiny indexes with many differences: exact differences whatever the options")
    func tinyIndexes_manyDifferences() async {
        await propertyCheck(count: 200, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let n = Int.random(in: 0...40, using: &rng)
            let pair = RepairFixture.pair(n: n, d: Int.random(in: 0...n, using: &rng), rng: &rng)
            let options = RepairSession.Options(
                strataCapacity: Int.random(in: 2...8, using: &rng),
                differencesPerRange: Int.random(in: 1...8, using: &rng),
                initialCapacityPercent: Int.random(in: 10...100, using: &rng)
            )
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options, session: seed)
            #expect(outcome.aSends == pair.expectedA, "seed \(seed) n \(n)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed) n \(n)")
        }
    }

    @Test("a difference larger than the largest sketch is cut into parts sketched by the decoder")
    func overflowingSketch_isSplit() throws {
        // The peer holds nothing below infinity; we hold 1,000 keys: 1,000 differences.
        let index = RepairFixture.index(Dictionary(uniqueKeysWithValues: (0..<1_000).map { ("k\($0)", UInt64($0)) }))
        var session = try RepairSession(index: index, session: 5)
        let empty = [UInt32](repeating: 0, count: RepairLimits.sketchCapacityMax)
        let reply = try #require(
            try session.receive(
                RepairMessage(ranges: [RepairRange(upperBound: .infinity, payload: .sketch(first: 0, syndromes: empty))]
                )
            )
        )
        #expect(reply.ranges.count >= 2)
        #expect(reply.ranges.last?.upperBound == .infinity)
        for range in reply.ranges {
            guard case .sketch(let first, let syndromes) = range.payload else {
                Issue.record("expected a sketch, got \(range.payload)")
                continue
            }
            #expect(first == 0 && syndromes.count <= RepairLimits.sketchCapacityMax)
        }
        #expect(reply.syndromeCount <= RepairLimits.syndromesPerMessageMax)
    }

    @Test("a failed decode asks for more syndromes of the same range, and uses them with those it kept")
    func failedDecode_asksForMore() throws {
        let index = RepairFixture.index(Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", UInt64($0)) }))
        var ours = try RepairSession(index: index, session: 9)
        let empty = RepairFixture.index([:])
        let peer = try RepairSession(index: empty, session: 9)
        // The empty peer's first sketch of 8 syndromes cannot name our 50 keys.
        let first = RepairMessage(ranges: [
            RepairRange(
                upperBound: .infinity,
                payload: .sketch(first: 0, syndromes: peer.ownSyndromes(0..<0, first: 0, count: 8))
            )
        ])
        var reply = try #require(try ours.receive(first))
        var asked = 8
        while case .more(let from, let count) = reply.ranges.first?.payload {
            #expect(from == asked)
            asked += count
            let more = RepairMessage(ranges: [
                RepairRange(
                    upperBound: .infinity,
                    payload: .sketch(first: from, syndromes: peer.ownSyndromes(0..<0, first: from, count: count))
                )
            ])
            reply = try #require(try ours.receive(more))
        }
        #expect(asked > 50 && asked <= 64, "asked for \(asked) syndromes for 50 differences")
        // Decoded: every key is ours to send, and the peer has nothing we lack.
        #expect(reply.isDone)
        #expect(ours.keysToSend.count == 50)
    }

    @Test func sketchContinuationWithoutItsStart_isAProtocolViolation() throws {
        var session = try RepairSession(index: RepairFixture.index(["a": 1]), session: 1)
        let message = RepairMessage(ranges: [
            RepairRange(upperBound: .infinity, payload: .sketch(first: 4, syndromes: [1]))
        ])
        let error = #expect(throws: RepairError.self) { try session.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func foundPositionPastOurItems_isAProtocolViolation() throws {
        var session = try RepairSession(index: RepairFixture.index(["a": 1, "b": 2]), session: 1)
        let message = RepairMessage(ranges: [RepairRange(upperBound: .infinity, payload: .found([2]))])
        let error = #expect(throws: RepairError.self) { try session.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func invalidOptions_areRefused() {
        for options in [
            RepairSession.Options(strataCapacity: 1),
            RepairSession.Options(strataCapacity: RepairLimits.strataCapacityMax + 1),
            RepairSession.Options(differencesPerRange: 0), RepairSession.Options(differencesPerRange: 256),
            RepairSession.Options(initialCapacityPercent: 9), RepairSession.Options(initialCapacityPercent: 401),
            RepairSession.Options(extensionPercent: 0), RepairSession.Options(extensionPercent: 101),
        ] {
            #expect(throws: RepairError.self) { try RepairSession(index: DigestIndex(), session: 1, options: options) }
        }
    }

    @Test func messageAfterDone_isAProtocolViolation() throws {
        var session = try RepairSession(index: DigestIndex(), session: 1)
        #expect(try session.receive(.done) == nil)
        #expect(session.isFinished)
        let error = #expect(throws: RepairError.self) { try session.receive(.done) }
        #expect(error?.code == .protocolViolation)
    }
}
