import LatticeCrypto
import Testing

@Suite struct BLAKE2bTests {
    /// RFC 7693 Appendix A: BLAKE2b-512("abc").
    @Test func hash_matchesRFC7693Example() {
        let digest = BLAKE2b.hash(Array("abc".utf8))
        #expect(
            hex(digest) == """
                ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
                7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
                """
        )
    }

    @Test func keyedHash_dependsOnKey() {
        let a = BLAKE2b.hash(Array("name".utf8), outputCount: 32, key: SecretBytes(randomCount: 32))
        let b = BLAKE2b.hash(Array("name".utf8), outputCount: 32, key: SecretBytes(randomCount: 32))
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test func secretBytes_descriptionIsRedacted() {
        let s = SecretBytes([0xde, 0xad, 0xbe, 0xef])
        #expect(!s.description.contains("de"))
        #expect(s.description.contains("4 bytes"))
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
