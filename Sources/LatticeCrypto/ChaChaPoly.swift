import CSodium

/// ChaCha20-Poly1305 (RFC 8439 AEAD, libsodium's IETF variant) with Noise's nonce encoding.
///
/// Noise section 12.3: the 96-bit nonce is 32 bits of zeros followed by the 64-bit counter
/// `n` in little-endian order.
public enum ChaChaPoly {
    /// Bytes in a key.
    public static let keyBytes = Int(crypto_aead_chacha20poly1305_ietf_KEYBYTES)
    /// Bytes of authentication tag appended to every ciphertext.
    public static let tagBytes = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)
    /// Bytes in the IETF nonce.
    static let nonceBytes = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)

    /// `ENCRYPT(k, n, ad, plaintext)`: ciphertext followed by the 16-byte tag.
    public static func encrypt(
        key: SecretBytes,
        nonce: UInt64,
        ad: [UInt8],
        plaintext: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try seal(key: key, nonce: noiseNonce(nonce), ad: ad, plaintext: plaintext)
    }

    /// `DECRYPT(k, n, ad, ciphertext)`. Throws `.authenticationFailed` if the tag does not verify.
    public static func decrypt(
        key: SecretBytes,
        nonce: UInt64,
        ad: [UInt8],
        ciphertext: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try open(key: key, nonce: noiseNonce(nonce), ad: ad, ciphertext: ciphertext)
    }

    /// The 12-byte IETF nonce for Noise counter `n`: 4 zero bytes, then `n` little-endian.
    static func noiseNonce(_ n: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: nonceBytes)
        for index in 0..<8 { nonce[4 + index] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(index))) }
        return nonce
    }

    /// The AEAD with an arbitrary 12-byte nonce (for RFC 8439 test vectors).
    static func seal(key: SecretBytes, nonce: [UInt8], ad: [UInt8], plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkKey(key)
        Sodium.ensureInitialised()
        precondition(nonce.count == nonceBytes, "ChaCha20-Poly1305 IETF nonce must be 12 bytes")
        var out = [UInt8](repeating: 0, count: plaintext.count + tagBytes)
        var outCount: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_encrypt(
                    o.baseAddress!,
                    &outCount,
                    plaintext,
                    UInt64(plaintext.count),
                    ad,
                    UInt64(ad.count),
                    nil,
                    nonce,
                    k.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        precondition(rc == 0 && outCount == UInt64(out.count), "ChaCha20-Poly1305 encryption failed")
        return out
    }

    /// Inverse of `seal`.
    static func open(key: SecretBytes, nonce: [UInt8], ad: [UInt8], ciphertext: [UInt8]) throws(CryptoError) -> [UInt8]
    {
        try checkKey(key)
        Sodium.ensureInitialised()
        precondition(nonce.count == nonceBytes, "ChaCha20-Poly1305 IETF nonce must be 12 bytes")
        guard ciphertext.count >= tagBytes else {
            throw shorterThanTag(ciphertext.count)
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagBytes)
        var outCount: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    o.baseAddress,
                    &outCount,
                    nil,
                    ciphertext,
                    UInt64(ciphertext.count),
                    ad,
                    UInt64(ad.count),
                    nonce,
                    k.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        guard rc == 0 else { throw tagDidNotVerify }
        return out
    }

    static func shorterThanTag(_ count: Int) -> CryptoError {
        CryptoError(.authenticationFailed, "ciphertext is \(count) bytes, shorter than the \(tagBytes)-byte tag")
    }

    static let tagDidNotVerify = CryptoError(
        .authenticationFailed,
        "ChaCha20-Poly1305 tag did not verify: wrong key, wrong nonce, wrong associated data, or altered bytes"
    )

    static func checkKey(_ key: SecretBytes) throws(CryptoError) {
        guard key.count == keyBytes else {
            throw CryptoError(.invalidKeyLength, "ChaCha20-Poly1305 key is \(key.count) bytes, expected \(keyBytes)")
        }
    }
}

extension ChaChaPoly {
    /// Noise's default `REKEY(k)` (section 4.2): the first 32 bytes of
    /// `ENCRYPT(k, 2^64-1, zerolen, zeros)`, kept in protected storage throughout.
    static func rekeyed(_ key: SecretBytes) -> SecretBytes {
        Sodium.ensureInitialised()
        precondition(key.count == keyBytes, "ChaCha20-Poly1305 key must be 32 bytes")
        let zeros = [UInt8](repeating: 0, count: keyBytes)
        let nonce = noiseNonce(UInt64.max)
        var sealed = SecretBytes(zeroedCount: keyBytes + tagBytes)
        let rc = sealed.withUnsafeMutableBytes { out in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_encrypt(
                    out.bindMemory(to: UInt8.self).baseAddress!,
                    nil,
                    zeros,
                    UInt64(zeros.count),
                    nil,
                    0,
                    nil,
                    nonce,
                    k.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        precondition(rc == 0, "ChaCha20-Poly1305 encryption failed")
        return sealed.prefix(keyBytes)
    }
}
