import LatticeCrypto
import Testing

/// `XChaCha20Poly1305.open(_:additionalData:key:into:)` against libsodium's own AEAD (the
/// reference here): every box `seal` makes opens to its plaintext, on both sides of the
/// one-pass threshold and of each keystream chunk, and any changed byte, wrong key or wrong
/// additional data is refused without writing to the output.
@Suite struct AEADInPlaceTests {
    /// Around the one-pass threshold (2,048 bytes with the additional data), and where block 0
    /// and the ciphertext's keystream fill a keystream chunk exactly or spill into the next.
    static let plainCounts = [
        0, 1, 15, 16, 17, 63, 64, 65, 119, 128, 192, 193, 448, 449, 1000, 1984, 2000, 2048, 2049, 5000,
    ]
    static let adCounts = [0, 1, 16, 43, 64]

    /// Deterministic bytes, so a failure replays exactly.
    static func bytes(_ count: Int, salt: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ salt &* 7 &+ ($0 >> 8)) }
    }

    static func openInPlace(_ sealed: [UInt8], ad: [UInt8], key: SecretBytes) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0xee, count: max(0, sealed.count - XChaCha20Poly1305.overheadBytes))
        let result = sealed.withUnsafeBytes { s in
            ad.withUnsafeBytes { a in
                out.withUnsafeMutableBytes { o in
                    Result { () throws(CryptoError) in
                        try XChaCha20Poly1305.open(s, additionalData: a, key: key, into: o)
                    }
                }
            }
        }
        #expect(try result.get() == out.count)
        return out
    }

    @Test(arguments: plainCounts)
    func opensWhatSealSealed(plainCount: Int) throws {
        let key = SecretBytes(randomCount: 32)
        for adCount in Self.adCounts {
            let plain = Self.bytes(plainCount, salt: adCount)
            let ad = Self.bytes(adCount, salt: plainCount + 1)
            let sealed = XChaCha20Poly1305.seal(plain, additionalData: ad, key: key)
            #expect(try Self.openInPlace(sealed, ad: ad, key: key) == plain, "plain \(plainCount), ad \(adCount)")
        }
    }

    @Test(arguments: plainCounts)
    func refusesAnyChangedByte_wrongKey_andWrongAdditionalData(plainCount: Int) throws {
        let key = SecretBytes(randomCount: 32)
        let ad = Self.bytes(43, salt: 3)
        let sealed = XChaCha20Poly1305.seal(Self.bytes(plainCount, salt: 5), additionalData: ad, key: key)
        for index in [0, 23, 24, sealed.count - 17, sealed.count - 1] where index >= 0 {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: CryptoError.self, "byte \(index) of \(sealed.count)") {
                try Self.openInPlace(altered, ad: ad, key: key)
            }
        }
        #expect(throws: CryptoError.self) { try Self.openInPlace(sealed, ad: ad, key: SecretBytes(randomCount: 32)) }
        #expect(throws: CryptoError.self) { try Self.openInPlace(sealed, ad: Array(ad.dropLast()), key: key) }
    }

    @Test(arguments: [1, 119, 448, 1000])
    func leavesTheOutputUntouched_whenTheBoxIsRefused(plainCount: Int) throws {
        let key = SecretBytes(randomCount: 32)
        let ad = Self.bytes(43, salt: 9)
        var sealed = XChaCha20Poly1305.seal(Self.bytes(plainCount, salt: 11), additionalData: ad, key: key)
        sealed[sealed.count - 1] ^= 0x80
        var out = [UInt8](repeating: 0xee, count: plainCount)
        let result = sealed.withUnsafeBytes { s in
            ad.withUnsafeBytes { a in
                out.withUnsafeMutableBytes { o in
                    Result { () throws(CryptoError) in
                        try XChaCha20Poly1305.open(s, additionalData: a, key: key, into: o)
                    }
                }
            }
        }
        #expect(throws: CryptoError.self) { try result.get() }
        #expect(out == [UInt8](repeating: 0xee, count: plainCount))
    }

    @Test func refusesAShortBox_andATooSmallOutput() throws {
        let key = SecretBytes(randomCount: 32)
        #expect(throws: CryptoError.self) { try Self.openInPlace([UInt8](repeating: 0, count: 39), ad: [], key: key) }
        let sealed = XChaCha20Poly1305.seal([1, 2, 3], additionalData: [UInt8](), key: key)
        var out = [UInt8](repeating: 0, count: 2)
        #expect(throws: CryptoError.self) {
            try sealed.withUnsafeBytes { s in
                try out.withUnsafeMutableBytes { o in
                    let noData = UnsafeRawBufferPointer(start: nil, count: 0)
                    return try XChaCha20Poly1305.open(s, additionalData: noData, key: key, into: o)
                }
            }
        }
    }
}
