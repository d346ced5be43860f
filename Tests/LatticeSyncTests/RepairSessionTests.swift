import LatticeCore
import LatticeSync
import PropertyBased
import Testing

@Suite("Repair sessions")
struct RepairSessionTests {
    /// Bytes one range costs on the wire, roughly: a tag, a short bound and a fingerprint.
    static let rangeBytes = 12

    /// A loose behavioural bound: bytes grow with (d + 1)·log2(n), never with n.
    static func byteBound(n: Int, d: Int) -> Int {
        let log2n = max(1, Int.bitWidth - max(n, 2).leadingZeroBitCount)
        return 16 * (d + 1) * log2n * rangeBytes
    }

    @Test("reconciliation finds exactly the keys that differ, in both directions, within d·log n bytes")
    func findsExactSymmetricDifference() async throws {
        await propertyCheck(count: 40, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let n = Int.random(in: 0...3_000, using: &rng)
            let d = Int.random(in: 0...min(n, 60), using: &rng)
            let pair = RepairFixture.pair(n: n, d: d, rng: &rng)
            let options = RepairSession.Options(
                branching: Int.random(in: 2...16, using: &rng),
                itemsThreshold: Int.random(in: 0...32, using: &rng)
            )
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options)
            #expect(outcome.aSends == pair.expectedA, "seed \(seed) n \(n) d \(d)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed) n \(n) d \(d)")
            #expect(outcome.bytes <= Self.byteBound(n: n, d: d), "seed \(seed) n \(n) d \(d): \(outcome.bytes) bytes")
        }
    }

    @Test(
        "100,000 keys: exact differences, bytes bounded by d·log n",
        arguments: [0, 1, 10, 300]
    )
    func largeIndex_costGrowsWithDifferences(d: Int) throws {
        var rng = SplitMix64(seed: 0x5eed_0000 + UInt64(d))
        let pair = RepairFixture.pair(n: 100_000, d: d, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.aSends == pair.expectedA, "seed \(0x5eed_0000 + d)")
        #expect(outcome.bSends == pair.expectedB, "seed \(0x5eed_0000 + d)")
        #expect(outcome.bytes <= Self.byteBound(n: 100_000, d: d), "\(outcome.bytes) bytes for d = \(d)")
    }

    @Test("equal replicas finish in two messages whatever their size")
    func equalIndexes_finishAtOnce() throws {
        var rng = SplitMix64(seed: 7)
        let pair = RepairFixture.pair(n: 20_000, d: 0, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.messages == 2)  // the initiator's split, the responder's done
        #expect(outcome.aSends.isEmpty && outcome.bSends.isEmpty)
    }

    @Test("splits stay balanced when the shortest bound sits at one end (each key a prefix of the next)")
    func prefixChainKeys_stillSplitEvenly() throws {
        // Neighbouring keys share more the further right they are, so the shortest bound of
        // any range is at its left end: a cut free to go there would peel one key per level.
        let n = 900
        var hashes: [String: UInt64] = [:]
        for i in 0..<n { hashes["k" + String(repeating: "x", count: i)] = UInt64(i + 1) * 0x9e37_79b9 }
        var other = hashes
        let changed = stride(from: 7, to: n, by: 15).map { "k" + String(repeating: "x", count: $0) }
        for key in changed { other[key] = ~other[key]! }
        let outcome = try RepairFixture.run(RepairFixture.index(hashes), RepairFixture.index(other))
        #expect(Set(outcome.aSends) == Set(changed) && Set(outcome.bSends) == Set(changed))
        // Balanced parts take 9 messages here; cuts allowed to drift to the left end took 23.
        #expect(outcome.messages <= 14, "\(outcome.messages) messages")
    }

    @Test("small message budgets are respected and still find every difference")
    func budgets_areRespected() async throws {
        await propertyCheck(count: 20, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let pair = RepairFixture.pair(n: 5_000, d: Int.random(in: 1...400, using: &rng), rng: &rng)
            let options = RepairSession.Options(
                branching: 4,
                itemsThreshold: 8,
                rangesPerMessage: 7,
                itemsPerMessage: 8
            )
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options)
            #expect(outcome.aSends == pair.expectedA, "seed \(seed)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed)")
            #expect(outcome.maxRanges <= 7, "seed \(seed)")
            #expect(outcome.maxItems <= 8, "seed \(seed)")
            #expect(outcome.messages <= RepairLimits.roundsMax, "seed \(seed)")
        }
    }

    @Test("with branching 2, an answer cut around a key and then cut at the budget stays within the budget")
    func cutAfterSplitAroundKey_staysWithinTheRangesBudget() throws {
        var hashes: [String: UInt64] = [:]
        for i in 0..<10 { hashes["k0\(i)"] = 0x1000 + UInt64(i) }
        let a = RepairFixture.index(hashes)
        hashes["k00"] = 0x2000
        hashes["k03"] = 0x3000
        let options = RepairSession.Options(branching: 2, rangesPerMessage: 6)
        var b = try RepairSession(index: RepairFixture.index(hashes), options: options)
        func key(_ s: String) -> RepairBound { .key(Array(s.utf8)) }
        // A's items below "k01" (b answers a need), a skip, A's fingerprint of k02...k05 (b
        // cuts around k03: a skip and three ranges), a skip, then the rest (b cuts there).
        let message = RepairMessage(ranges: [
            RepairRange(upperBound: key("k01"), payload: .items([a.itemHashes[0]])),
            RepairRange(upperBound: key("k02"), payload: .skip),
            RepairRange(upperBound: key("k06"), payload: .fingerprint(a.fingerprint(2..<6))),
            RepairRange(upperBound: key("k08"), payload: .skip),
            RepairRange(upperBound: .infinity, payload: .fingerprint(a.fingerprint(8..<10))),
        ])
        let reply = try #require(try b.receive(message))
        #expect(reply.ranges.count <= options.rangesPerMessage, "\(reply.ranges)")
    }

    @Test("small ranges budgets hold for every branching factor and still find every difference")
    func rangesBudget_holdsForEveryBranching() async throws {
        await propertyCheck(count: 30, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let pair = RepairFixture.pair(n: 2_000, d: Int.random(in: 20...300, using: &rng), rng: &rng)
            let branching = Int.random(in: 2...5, using: &rng)
            let smallest = max(branching, 3) + 3
            let budget = Int.random(in: smallest...(smallest + 5), using: &rng)
            let options = RepairSession.Options(branching: branching, rangesPerMessage: budget)
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options)
            #expect(outcome.aSends == pair.expectedA, "seed \(seed)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed)")
            #expect(outcome.maxRanges <= budget, "seed \(seed) branching \(branching) budget \(budget)")
        }
    }

    @Test("tiny indexes with many differences: exact differences whatever the options")
    func tinyIndexes_manyDifferences() async {
        await propertyCheck(count: 200, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            let n = Int.random(in: 0...40, using: &rng)
            let pair = RepairFixture.pair(n: n, d: Int.random(in: 0...n, using: &rng), rng: &rng)
            let options = RepairSession.Options(
                branching: Int.random(in: 2...8, using: &rng),
                itemsThreshold: Int.random(in: 0...4, using: &rng)
            )
            let outcome = try! RepairFixture.run(pair.a, pair.b, options: options)
            #expect(outcome.aSends == pair.expectedA, "seed \(seed) n \(n)")
            #expect(outcome.bSends == pair.expectedB, "seed \(seed) n \(n)")
        }
    }

    @Test(
        "one differing key among 100,000 is named by the fingerprints, not searched for level by level",
        arguments: RepairFixture.Difference.allCases
    )
    func singleDifference_isLocatedAtOnce(kind: RepairFixture.Difference) throws {
        var rng = SplitMix64(seed: 0x10ca_7e)
        let pair = RepairFixture.pair(n: 100_000, d: 1, kind: kind, rng: &rng)
        let outcome = try RepairFixture.run(pair.a, pair.b)
        #expect(outcome.aSends == pair.expectedA && outcome.bSends == pair.expectedB)
        // Only B's: B finds it in A's first split. Only A's: B splits once, A finds it.
        // Changed: B cuts around the key, A answers with a need bitmap.
        let expected: [RepairFixture.Difference: Int] = [.onlyB: 2, .onlyA: 3, .changed: 4]
        #expect(outcome.messages == expected[kind], "\(outcome.messages) messages, \(outcome.bytes) bytes")
        #expect(outcome.bytes <= 200, "\(outcome.bytes) bytes")
    }

    @Test func hashesOutsideTheirWidth_areAProtocolViolation() throws {
        for payload: RepairRange.Payload in [.items([1 << 48]), .fingerprint(16_777_213)] {
            var session = try RepairSession(index: RepairFixture.index(["a": 1]))
            let message = RepairMessage(ranges: [RepairRange(upperBound: .infinity, payload: payload)])
            let error = #expect(throws: RepairError.self) { try session.receive(message) }
            #expect(error?.code == .protocolViolation)
        }
    }

    @Test func invalidOptions_areRefused() {
        for options in [
            RepairSession.Options(branching: 1), RepairSession.Options(branching: RepairLimits.branchingMax + 1),
            RepairSession.Options(itemsThreshold: RepairLimits.rangeItemsMax + 1),
            RepairSession.Options(branching: 16, rangesPerMessage: 18),
            RepairSession.Options(branching: 2, rangesPerMessage: 5),  // a cut around a key needs 3 + 3
            RepairSession.Options(itemsThreshold: 16, itemsPerMessage: 15),
        ] {
            #expect(throws: RepairError.self) { try RepairSession(index: DigestIndex(), options: options) }
        }
    }

    @Test func needBitmapOfTheWrongLength_isAProtocolViolation() throws {
        var session = try RepairSession(index: RepairFixture.index(["a": 1, "b": 2]))
        let message = RepairMessage(ranges: [RepairRange(upperBound: .infinity, payload: .need([true]))])
        let error = #expect(throws: RepairError.self) { try session.receive(message) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func messageAfterDone_isAProtocolViolation() throws {
        var session = try RepairSession(index: DigestIndex())
        #expect(try session.receive(.done) == nil)
        #expect(session.isFinished)
        let error = #expect(throws: RepairError.self) { try session.receive(.done) }
        #expect(error?.code == .protocolViolation)
    }
}
