import LatticeCrypto
import Testing

/// A transcript made by an independent implementation (PyPI `noiseprotocol` 0.3.1, pure
/// Python over `cryptography`/OpenSSL) with random keys and payloads, replayed byte for byte.
/// The reverse check (noiseprotocol replaying Lattice's vector) is `make interop`.
@Suite struct NoiseInteropTests {
    static let path = "Tests/Fixtures/noise-interop/noiseprotocol-transcript.json"

    @Test func noiseprotocolTranscript_replaysByteExact() throws {
        let file = try Fixtures.vectorFile(Self.path)
        let vector = try #require(file.vectors.first)
        let replayed = try replay(vector)
        #expect(replayed.messages == vector.messages)
        #expect(replayed.payloadsReceived.map(hexString) == vector.messages.map(\.payload))
        #expect(hexString(replayed.initiatorHash) == vector.handshake_hash)
    }
}
