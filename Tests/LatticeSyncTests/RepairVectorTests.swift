import Foundation
import LatticeCore
import LatticeSync
import Testing

/// `Protocols/vectors/repair-v2.json` against this build, and the formulas of
/// `Protocols/repair-v2.md` recomputed from the specification's words rather than taken
/// from the implementation.
@Suite("Repair vectors")
struct RepairVectorTests {
    @Test("Protocols/vectors/repair-v2.json is exactly what this build produces")
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

    @Test("state hash, item hash, locator and fingerprint follow the formulas of repair-v2.md")
    func digests_followTheSpecifiedFormulas() throws {
        let replica = try RepairVectors.replica()
        let index = DigestIndex(replica)
        let p = RepairVectors.prime
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (position, keyBytes) in index.keys.enumerated() {
            let state = replica.keys[String(decoding: keyBytes, as: UTF8.self)]!
            let stateInput = CRDTCodec.encode(state.value) + CRDTCodec.encode(CausalContext(vector: state.version))
            let stateHash = SipHash24.repair.hash(stateInput)
            #expect(stateHash == DigestIndex.stateHash(state))
            let littleEndian = (0..<8).map { UInt8(truncatingIfNeeded: stateHash >> (8 * UInt64($0))) }
            let itemHash = SipHash24.repair.hash([UInt8(keyBytes.count)] + keyBytes + littleEndian)
            #expect(itemHash == index.itemHashes[position])
            let v = itemHash % p
            let locator = SipHash24.repair.hash([0xff] + keyBytes) % p
            low = (low + v) % p
            high = (high + locator * v) % p
            #expect(index.fingerprint(0..<position + 1) == low | high << 24, "prefix through \(position)")
        }
        #expect(index.count == 3, "apple, kiwi and the tombstone pear")
    }

    @Test("the published session finds exactly the keys that differ, in four messages")
    func publishedSession_findsTheDifferences() throws {
        let run = try RepairVectors.transcript()
        #expect(run.a == ["k05", "k12"])
        #expect(run.b == ["k05", "k17a"])
        #expect(run.messages.map(\.from) == ["a", "b", "a", "b"])
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
