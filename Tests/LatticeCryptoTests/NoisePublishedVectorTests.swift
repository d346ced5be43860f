import LatticeCrypto
import Testing

/// Published Noise_XX_25519_ChaChaPoly_BLAKE2b vectors from two independent implementations
/// (see Tests/Fixtures/noise-vectors/README.md), replayed byte for byte.
@Suite struct NoisePublishedVectorTests {
    static let files = [
        "Tests/Fixtures/noise-vectors/cacophony-Noise_XX_25519_ChaChaPoly_BLAKE2b.json",
        "Tests/Fixtures/noise-vectors/snow-Noise_XX_25519_ChaChaPoly_BLAKE2b.json",
    ]

    @Test("published vectors replay byte-exact through NoiseHandshake and the transport keys", arguments: files)
    func publishedVector_replaysByteExact(path: String) throws {
        let file = try Fixtures.vectorFile(path)
        #expect(!file.vectors.isEmpty)
        for vector in file.vectors {
            #expect(vector.protocol_name == LatticeNoise.protocolName)
            let replayed = try replay(vector)
            #expect(replayed.messages.count == vector.messages.count)
            for (index, (expected, actual)) in zip(vector.messages, replayed.messages).enumerated() {
                #expect(actual.ciphertext == expected.ciphertext, "message \(index + 1) of \(path)")
                #expect(hexString(replayed.payloadsReceived[index]) == expected.payload, "payload \(index + 1)")
            }
            if let expectedHash = vector.handshake_hash {
                #expect(hexString(replayed.initiatorHash) == expectedHash)
            }
            #expect(replayed.initiatorHash == replayed.responderHash)
        }
    }
}
