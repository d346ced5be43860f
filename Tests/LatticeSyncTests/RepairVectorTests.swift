import Foundation
import LatticeCore
import Testing

@testable import LatticeSync

/// `Protocols/vectors/repair-v3.json` against this build, and the formulas of
/// `Protocols/repair-v3.md` recomputed from the specification's words rather than taken
/// from the implementation.
@Suite("Repair vectors")
struct RepairVectorTests {
    @Test("Protocols/vectors/repair-v3.json is exactly what this build produces")
    func publishedVectors_matchThisBuild() throws {
        let rendered = try RepairVectors.render()
        let published = try String(contentsOfFile: RepairVectors.path, encoding: .utf8)
        #expect(
            published == rendered,
            "regenerate with LATTICE_WRITE_VECTORS=1 swift test --filter RepairVectorTests if the change is intended"
        )
        let parsed = try JSONSerialization.jsonObject(with: Data(rendered.utf8))
        #expect(parsed is [String: Any], "the vectors file is a JSON object")
    }

    @Test("published messages decode to their meaning and encode back to the same bytes")
    func publishedMessages_roundTrip() throws {
        for (name, _, message) in RepairVectors.messages() {
            let bytes = message.encoded()
            #expect(try RepairMessage(decoding: bytes) == message, "\(name)")
            #expect(try RepairMessage(decoding: bytes).encoded() == bytes, "\(name)")
        }
    }

    @Test("published invalid messages are refused, each with a named code")
    func publishedInvalidMessages_areRefused() {
        for (name, bytes) in RepairVectors.invalid() {
            let outcome = RepairVectors.decodingOutcome(bytes)
            #expect(outcome == "malformed" || outcome == "limit_exceeded", "\(name): \(outcome)")
        }
    }

    @Test("state hash, item hash, session id and stratum follow the formulas of repair-v3.md")
    func digests_followTheSpecifiedFormulas() throws {
        let replica = try RepairVectors.replica()
        let index = DigestIndex(replica)
        let session = try RepairSession(index: index, session: RepairVectors.sessionID)
        // "lattice-repair-3" as two little-endian words; the first XORed with the session id.
        let key = Array("lattice-repair-3".utf8)
        func word(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        let hasher = SipHash24(k0: word(key[0..<8]) ^ RepairVectors.sessionID, k1: word(key[8..<16]))
        for (position, keyBytes) in index.keys.enumerated() {
            let state = replica.keys[String(decoding: keyBytes, as: UTF8.self)]!
            let stateInput = CRDTCodec.encode(state.value) + CRDTCodec.encode(CausalContext(vector: state.version))
            let stateHash = SipHash24.repair.hash(stateInput)
            #expect(stateHash == DigestIndex.stateHash(state))
            let littleEndian = (0..<8).map { UInt8(truncatingIfNeeded: stateHash >> (8 * UInt64($0))) }
            let itemHash = SipHash24.repair.hash([UInt8(keyBytes.count)] + keyBytes + littleEndian)
            #expect(itemHash == index.itemHashes[position])
            let h = hasher.hash((0..<8).map { UInt8(truncatingIfNeeded: itemHash >> (8 * UInt64($0))) })
            let id = UInt32(truncatingIfNeeded: h)
            #expect(session.ids[position] == (id == 0 ? 1 : id))
            #expect(Int(session.strata[position]) == UInt32(truncatingIfNeeded: h >> 32).leadingZeroBitCount)
        }
        #expect(index.count == 3, "apple, kiwi and the tombstone pear")
    }

    @Test("the published sketch holds the odd power sums of its elements")
    func publishedSketch_isTheOddPowerSums() {
        var sketch = PinSketch(capacity: 4)
        for x in RepairVectors.sketchElements { sketch.add(x) }
        var expected = [UInt32](repeating: 0, count: 4)
        for x in RepairVectors.sketchElements {
            for i in 0..<4 {
                var p: UInt32 = 1
                for _ in 0..<(2 * i + 1) { p = RepairSketchTests.slowMultiply(p, x) }
                expected[i] ^= p
            }
        }
        #expect(sketch.syndromes == expected)
        #expect(sketch.decode().map(Set.init) == Set(RepairVectors.sketchElements))
    }

    @Test("the published session finds exactly the keys that differ, from the strata, in three messages")
    func publishedSession_findsTheDifferences() throws {
        let run = try RepairVectors.transcript()
        #expect(run.a == ["k05", "k12"])
        #expect(run.b == ["k05", "k17a"])
        #expect(run.messages.map(\.from) == ["a", "b", "a"])
        #expect(run.messages.last?.message == .done)
    }

    @Test("a key context claims the replica's dots only up to the key's own version")
    func publishedEntries_carryKeyContexts() throws {
        let replica = try RepairVectors.replica()
        let entries = replica.repairEntries(for: ["apple", "kiwi", "pear"])
        let a = RepairVectors.a
        #expect(replica.context.vector[a] == 5)
        #expect(entries.map { $0.context.vector[a] } == [5, 2, 4])
        #expect(entries.allSatisfy { $0.context.cloud.isEmpty })
    }
}
