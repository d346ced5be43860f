import Foundation
import LatticeCore
import Testing

@testable import LatticeSync

/// Repair sessions against messages a peer can craft, and at sizes where the message limits
/// bind. Several of these were found by review of repair v3, each as a reproducer that
/// crashed or failed before its fix.
@Suite("Repair under hostile input and at the limits")
struct RepairHostileInputTests {
    static func bound(_ s: String) -> RepairBound { .key(Array(s.utf8)) }
    /// Sessions of hundreds of thousands of keys run with `make soak` only.
    static let soak = ProcessInfo.processInfo.environment["LATTICE_REPAIR_SOAK"] != nil

    @Test("a strata message claiming 2^64 − 1 items is answered within the limits, not trapped on")
    func hugeStrataItemCount_isAnsweredWithinTheLimits() throws {
        var session = try RepairSession(index: RepairFixture.index(["a": 1, "b": 2]), session: 1)
        let message = RepairMessage(ranges: [
            RepairRange(upperBound: .infinity, payload: .strata(items: .max, capacity: 2, levels: [[1, 2]]))
        ])
        let reply = try #require(try session.receive(try RepairMessage(decoding: message.encoded())))
        #expect(try RepairMessage(decoding: reply.encoded()) == reply)
        #expect(reply.syndromeCount <= RepairLimits.syndromesPerMessageMax)
    }

    /// A differing item of ours and one of the peer's share an id but sit in different strata
    /// levels (a 32-bit coincidence, or crafted by a peer that knows our states): each level's
    /// root is attributed within its level, so the found positions stay right.
    @Test("the same id decoded in two strata levels is ours in one and the peer's in the other")
    func sameIDInTwoLevels_isAttributedPerLevel() throws {
        let index = RepairFixture.index(
            Dictionary(uniqueKeysWithValues: (0..<40).map { ("k\($0)", UInt64($0) &* 0x9e37_79b9_7f4a_7c15) })
        )
        var session = try RepairSession(index: index, session: 77)
        let levels = 6
        let capacity = 4
        let q = (0..<index.count).min { session.ids[$0] < session.ids[$1] }!
        let v = session.ids[q]
        let qLevel = min(Int(session.strata[q]), levels - 1)
        let otherLevel = qLevel == 0 ? 1 : 0
        let y0 = v + 1
        #expect(y0 < (0..<index.count).filter { $0 != q }.map { session.ids[$0] }.min()!)
        var peer = session.ownStrata(0..<index.count, levels: levels, capacity: capacity)
        // In q's level the peer lacks q; in another level it holds items with ids v and y0.
        PinSketch.accumulate(v, first: 0, into: &peer[qLevel])
        PinSketch.accumulate(v, first: 0, into: &peer[otherLevel])
        PinSketch.accumulate(y0, first: 0, into: &peer[otherLevel])
        let message = RepairMessage(ranges: [
            RepairRange(upperBound: .infinity, payload: .strata(items: 41, capacity: capacity, levels: peer))
        ])
        let reply = try #require(try session.receive(try RepairMessage(decoding: message.encoded())))
        // The peer's items in id order: v, y0, then our 39 others: y0 is at 1, v at 0.
        #expect(reply.ranges.map(\.payload) == [.found([0, 1])])
        #expect(session.keysToSend == [String(decoding: index.keys[q], as: UTF8.self)])
    }

    @Test("more requests beyond the message's share are refused by the decoder; within it, answered within the limits")
    func moreRequests_areBoundedPerMessage() throws {
        func asking(_ ranges: Int) -> RepairMessage {
            RepairMessage(
                ranges: (0..<ranges).map { i in
                    RepairRange(
                        upperBound: Self.bound(String(format: "m%05d", i)),
                        payload: .more(first: 0, count: RepairLimits.sketchCapacityMax)
                    )
                }
            )
        }
        let most = RepairLimits.moreSyndromesPerMessageMax / RepairLimits.sketchCapacityMax
        let error = #expect(throws: RepairError.self) { try RepairMessage(decoding: asking(most + 1).encoded()) }
        #expect(error?.code == .limitExceeded)
        var session = try RepairSession(index: RepairFixture.index(["a": 1]), session: 1)
        let reply = try #require(try session.receive(try RepairMessage(decoding: asking(most).encoded())))
        #expect(reply.syndromeCount <= RepairLimits.syndromesPerMessageMax)
    }

    @Test("a peer that keeps opening undecodable ranges is refused once the session holds its bound")
    func undecidedRanges_areBounded() throws {
        var session = try RepairSession(index: DigestIndex(), session: 1)
        var refused: RepairError?
        var rounds = 0
        while refused == nil && rounds < 10 {
            let ranges = (0..<RepairLimits.rangesPerMessageMax).map { i in
                RepairRange(
                    upperBound: Self.bound(String(format: "r%02d-%05d", rounds, i)),
                    payload: .sketch(first: 0, syndromes: [1])
                )
            }
            do {
                _ = try session.receive(RepairMessage(ranges: ranges))
            } catch {
                refused = error
            }
            rounds += 1
        }
        #expect(refused?.code == .protocolViolation)
        #expect(rounds == RepairSession.pendingRangesMax / RepairLimits.rangesPerMessageMax + 1)
    }

    @Test("the syndromes a session holds are counted once per range, through extensions and restarts")
    func heldSyndromes_areCountedExactly() throws {
        let index = RepairFixture.index(Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", UInt64($0)) }))
        var session = try RepairSession(index: index, session: 3)
        let peer = try RepairSession(index: DigestIndex(), session: 3)
        func sketch(_ first: Int, _ count: Int) -> RepairMessage {
            RepairMessage(ranges: [
                RepairRange(
                    upperBound: .infinity,
                    payload: .sketch(first: first, syndromes: peer.ownSyndromes(0..<0, first: first, count: count))
                )
            ])
        }
        _ = try session.receive(sketch(0, 8))  // 50 differences: undecodable, kept
        #expect(session.pendingSyndromes == 8)
        _ = try session.receive(sketch(8, 4))
        #expect(session.pendingSyndromes == 12)
        _ = try session.receive(sketch(0, 6))  // the range starts afresh
        #expect(session.pendingSyndromes == 6)
        let strata = RepairMessage(ranges: [
            RepairRange(upperBound: .infinity, payload: .strata(items: 0, capacity: 2, levels: [[0, 0]]))
        ])
        _ = try session.receive(strata)  // replaces the range's sketch
        #expect(session.pendingSyndromes == 0)
    }

    @Test("roots are found whatever the seed of the root finder")
    func rootsDoNotDependOnTheSeed() {
        var rng = SplitMix64(seed: 4)
        var sketch = PinSketch(capacity: 64)
        var set = Set<UInt32>()
        while set.count < 63 { set.insert(UInt32(truncatingIfNeeded: rng.next()) | 1) }
        for x in set { sketch.add(x) }
        for seed: UInt64 in [0, 1, 0xdead_beef, .max] { #expect(sketch.decode(seed: seed).map(Set.init) == set) }
    }

    /// Like `RepairFixture.run`, but records what a receiver's decoder refuses.
    static func trace(
        _ a: DigestIndex,
        _ b: DigestIndex
    ) throws -> (error: RepairError?, maxFound: Int, maxSyndromes: Int) {
        var initiator = try RepairSession(index: a, session: 1)
        var responder = try RepairSession(index: b, session: 1)
        var next: RepairMessage? = try initiator.start()
        var toResponder = true
        var maxFound = 0
        var maxSyndromes = 0
        while let message = next {
            maxFound = max(maxFound, message.foundCount)
            maxSyndromes = max(maxSyndromes, message.syndromeCount)
            do {
                _ = try RepairMessage(decoding: message.encoded())
            } catch {
                return (error, maxFound, maxSyndromes)
            }
            next = toResponder ? try responder.receive(message) : try initiator.receive(message)
            toResponder.toggle()
        }
        return (nil, maxFound, maxSyndromes)
    }

    @Test(
        "an empty replica against 420,000 keys: every message fits the limits (soak)",
        .enabled(if: RepairHostileInputTests.soak)
    )
    func emptyAgainstMany_staysWithinTheLimits() throws {
        var rng = SplitMix64(seed: 11)
        let pair = RepairFixture.pair(n: 420_000, d: 420_000, kind: .onlyB, rng: &rng)
        let t = try Self.trace(pair.a, pair.b)
        #expect(t.error == nil, "found \(t.maxFound), syndromes \(t.maxSyndromes): \(String(describing: t.error))")
    }

    /// A side that holds nothing in 2,048 ranges, each with more differences than the largest
    /// sketch: it extends each to the limit, cannot cut (no keys), and answers with its own
    /// sketches within the message's syndrome budget.
    @Test(
        "overflowing ranges the decoder cannot cut are answered within the limits (soak)",
        .enabled(if: RepairHostileInputTests.soak)
    )
    func overflowWithoutKeys_staysWithinTheLimits() throws {
        var session = try RepairSession(index: DigestIndex(), session: 1)
        var rng = SplitMix64(seed: 5)
        let n = RepairLimits.rangesPerMessageMax / 2
        func bound(_ i: Int) -> RepairBound { i == n - 1 ? .infinity : Self.bound(String(format: "r%05d", i)) }
        func random(_ count: Int) -> [UInt32] { (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next()) | 1 } }
        var message = RepairMessage(
            ranges: (0..<n).map {
                RepairRange(upperBound: bound($0), payload: .sketch(first: 0, syndromes: random(64)))
            }
        )
        for _ in 0..<20 {
            let reply = try #require(try session.receive(try RepairMessage(decoding: message.encoded())))
            #expect(try RepairMessage(decoding: reply.encoded()) == reply)
            let mores = reply.ranges.compactMap { r -> RepairRange? in
                guard case .more(let first, let count) = r.payload else { return nil }
                return RepairRange(upperBound: r.upperBound, payload: .sketch(first: first, syndromes: random(count)))
            }
            if mores.isEmpty { return }
            message = RepairMessage(ranges: mores)
        }
        Issue.record("the decoder never stopped asking for more")
    }
}
