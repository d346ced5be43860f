import LatticeCore
import LatticeSync

/// Two digest indexes with known differences, and a driver that runs a repair between them.
enum RepairFixture {
    enum Difference: CaseIterable { case onlyA, onlyB, changed }

    struct Pair {
        var a: DigestIndex
        var b: DigestIndex
        /// Keys A must send (only in A, or changed) and keys B must send.
        var expectedA: [String]
        var expectedB: [String]
    }

    /// `n` keys shared by both sides, then `d` of them made different (a third each kind).
    /// Keys are generated in bytewise order (a fixed-width number, then a random suffix).
    static func pair(n: Int, d: Int, kind: Difference? = nil, rng: inout SplitMix64) -> Pair {
        let keys = (0..<n).map { i -> String in
            let digits = String(i)
            return "key/" + String(repeating: "0", count: 8 - digits.count) + digits + "/"
                + String(repeating: "x", count: Int.random(in: 0...3, using: &rng))
        }
        var kinds = [Difference?](repeating: nil, count: n)
        var positions = Array(0..<n)
        for j in 0..<d {
            positions.swapAt(j, Int.random(in: j..<n, using: &rng))
            kinds[positions[j]] = kind ?? Difference.allCases.randomElement(using: &rng)!
        }
        var a: (keys: [[UInt8]], hashes: [UInt64]) = ([], [])
        var b: (keys: [[UInt8]], hashes: [UInt64]) = ([], [])
        var pair = Pair(a: DigestIndex(), b: DigestIndex(), expectedA: [], expectedB: [])
        for (i, key) in keys.enumerated() {
            let bytes = Array(key.utf8)
            let h = rng.next()
            if kinds[i] != .onlyB {
                a.keys.append(bytes)
                a.hashes.append(h)
            }
            if kinds[i] != .onlyA {
                b.keys.append(bytes)
                b.hashes.append(kinds[i] == .changed ? ~h : h)
            }
            if kinds[i] == .onlyA || kinds[i] == .changed { pair.expectedA.append(key) }
            if kinds[i] == .onlyB || kinds[i] == .changed { pair.expectedB.append(key) }
        }
        pair.a = DigestIndex(sortedKeys: a.keys, itemHashes: a.hashes)
        pair.b = DigestIndex(sortedKeys: b.keys, itemHashes: b.hashes)
        return pair
    }

    static func index(_ hashes: [String: UInt64]) -> DigestIndex {
        let sorted = hashes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return DigestIndex(sortedKeys: sorted.map { Array($0.key.utf8) }, itemHashes: sorted.map(\.value))
    }

    struct Outcome {
        var aSends: [String]
        var bSends: [String]
        var bytes = 0
        var messages = 0
        var maxRanges = 0
        var maxSyndromes = 0
        var syndromes = 0
    }

    /// Runs a whole session, every message through its wire encoding (checked to decode
    /// back to itself).
    static func run(
        _ a: DigestIndex,
        _ b: DigestIndex,
        options: RepairSession.Options = .init(),
        session: UInt64 = 1
    ) throws -> Outcome {
        var initiator = try RepairSession(index: a, session: session, options: options)
        var responder = try RepairSession(index: b, session: session, options: options)
        var outcome = Outcome(aSends: [], bSends: [])
        var next: RepairMessage? = try initiator.start()
        var toResponder = true
        while let message = next {
            let bytes = message.encoded()
            let decoded = try RepairMessage(decoding: bytes)
            precondition(decoded == message, "message must round-trip")
            outcome.bytes += bytes.count
            outcome.messages += 1
            outcome.maxRanges = max(outcome.maxRanges, message.ranges.count)
            outcome.maxSyndromes = max(outcome.maxSyndromes, message.syndromeCount)
            outcome.syndromes += message.syndromeCount
            next = toResponder ? try responder.receive(decoded) : try initiator.receive(decoded)
            toResponder.toggle()
        }
        precondition(initiator.isFinished && responder.isFinished, "both sides finish")
        outcome.aSends = initiator.keysToSend
        outcome.bSends = responder.keysToSend
        return outcome
    }
}
