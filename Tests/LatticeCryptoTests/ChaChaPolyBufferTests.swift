import Testing

@testable import LatticeCrypto

/// The buffer-based ChaCha20-Poly1305 and cipher-state operations produce exactly the bytes
/// of the array-based ones (which the RFC 8439 and Noise vectors pin down).
@Suite struct ChaChaPolyBufferTests {
    @Test(arguments: [0, 1, 64, NoiseLimits.transportPayloadBytesMax])
    func encryptInPlace_matchesTheArrayForm_andDecryptsBack(size: Int) throws {
        let key = SecretBytes(randomCount: ChaChaPoly.keyBytes)
        let plaintext = Random.bytes(count: size)
        let expected = try ChaChaPoly.encrypt(key: key, nonce: 42, ad: [9], plaintext: plaintext)
        var message = plaintext + [UInt8](repeating: 0, count: ChaChaPoly.tagBytes)
        try message.withUnsafeMutableBytes { try ChaChaPoly.encrypt(key: key, nonce: 42, ad: [9], inPlace: $0) }
        #expect(message == expected)
        var opened = [UInt8](repeating: 0, count: size)
        try message.withUnsafeBytes { ciphertext in
            try opened.withUnsafeMutableBytes {
                try ChaChaPoly.decrypt(key: key, nonce: 42, ad: [9], ciphertext: ciphertext, into: $0)
            }
        }
        #expect(opened == plaintext)
    }

    @Test func decryptIntoBuffer_rejectsTamperingWithoutRevealingPlaintext() throws {
        let key = SecretBytes(randomCount: ChaChaPoly.keyBytes)
        let plaintext = [UInt8](repeating: 0xAB, count: 100)
        var sealed = try ChaChaPoly.encrypt(key: key, nonce: 1, ad: [], plaintext: plaintext)
        sealed[10] ^= 1
        var opened = [UInt8](repeating: 0, count: 100)
        #expect(throws: CryptoError.self) {
            try sealed.withUnsafeBytes { ciphertext in
                try opened.withUnsafeMutableBytes {
                    try ChaChaPoly.decrypt(key: key, nonce: 1, ad: [], ciphertext: ciphertext, into: $0)
                }
            }
        }
        #expect(!opened.contains(0xAB))
        var wrongSize = [UInt8](repeating: 0, count: 99)
        #expect(throws: CryptoError.self) {
            try sealed.withUnsafeBytes { ciphertext in
                try wrongSize.withUnsafeMutableBytes {
                    try ChaChaPoly.decrypt(key: key, nonce: 1, ad: [], ciphertext: ciphertext, into: $0)
                }
            }
        }
    }

    @Test func cipherStateInPlace_advancesTheNonceLikeTheArrayForm() throws {
        let key = Random.bytes(count: ChaChaPoly.keyBytes)
        var arrays = NoiseCipherState(key: SecretBytes(key))
        var buffers = NoiseCipherState(key: SecretBytes(key))
        var receiver = NoiseCipherState(key: SecretBytes(key))
        for round in 0..<3 {
            let plaintext = [UInt8](repeating: UInt8(round), count: 33)
            let expected = try arrays.encrypt(plaintext: plaintext)
            var message = plaintext + [UInt8](repeating: 0, count: ChaChaPoly.tagBytes)
            try message.withUnsafeMutableBytes { try buffers.encrypt(inPlace: $0) }
            #expect(message == expected)
            var opened = [UInt8](repeating: 0, count: 33)
            try message.withUnsafeBytes { ciphertext in
                try opened.withUnsafeMutableBytes { try receiver.decrypt(ciphertext, into: $0) }
            }
            #expect(opened == plaintext)
        }
        #expect(buffers.nonce == 3 && receiver.nonce == 3)
    }

    @Test func cipherStateInPlace_needsAKey() {
        var empty = NoiseCipherState(key: nil)
        var message = [UInt8](repeating: 0, count: ChaChaPoly.tagBytes)
        #expect(throws: CryptoError.self) { try message.withUnsafeMutableBytes { try empty.encrypt(inPlace: $0) } }
    }
}
