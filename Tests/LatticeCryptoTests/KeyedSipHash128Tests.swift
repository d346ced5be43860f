import LatticeCrypto
import Testing

@Suite struct KeyedSipHash128Tests {
    /// SipHash reference implementation (Aumasson and Bernstein, github.com/veorq/SipHash,
    /// `vectors.h`, `vectors_sip128`): key 00 01 … 0f, message 00 01 … (n-1) for n = 0 and 1.
    @Test func hash_matchesTheSipHash128ReferenceVectors() {
        let hasher = KeyedSipHash128(key: SecretBytes((0..<16).map { UInt8($0) }))
        #expect(hex(hasher.hash([UInt8]())) == "a3817f04ba25a8e66df67214c7550293")
        #expect(hex(hasher.hash([UInt8(0)])) == "da87c1d86b99af44347659119b22fc45")
    }

    @Test func hashIntoABuffer_matchesTheArrayForm() {
        let hasher = KeyedSipHash128(key: SecretBytes(randomCount: 16))
        let input = Array("tenant/key/42".utf8)
        var out = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBytes { raw in out.withUnsafeMutableBytes { hasher.hash(raw, into: $0) } }
        #expect(Array(out[..<16]) == hasher.hash(input))
        #expect(out[16...].allSatisfy { $0 == 0 })
    }

    @Test func derivedHashers_dependOnTheRootAndTheLabel() {
        let root = SecretBytes(randomCount: 32)
        let name = Array("name".utf8)
        let a = KeyedSipHash128(subkeyOf: root, label: "one").hash(name)
        #expect(a == KeyedSipHash128(subkeyOf: root, label: "one").hash(name))
        #expect(a != KeyedSipHash128(subkeyOf: root, label: "two").hash(name))
        #expect(a != KeyedSipHash128(subkeyOf: SecretBytes(randomCount: 32), label: "one").hash(name))
    }
}
