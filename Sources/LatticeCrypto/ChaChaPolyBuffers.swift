import CSodium

/// ChaCha20-Poly1305 over caller-owned memory: no array is allocated, zeroed or copied per
/// message, which is what a transport moving hundreds of megabytes per second needs. The
/// bytes produced are exactly those of `ChaChaPoly.encrypt` / `decrypt` for the same key,
/// nonce and associated data.
extension ChaChaPoly {
    /// `ENCRYPT(k, n, ad, plaintext)` in place. `message` holds the plaintext in its first
    /// `message.count - tagBytes` bytes; on return it holds the ciphertext followed by the tag.
    public static func encrypt(
        key: SecretBytes,
        nonce: UInt64,
        ad: [UInt8],
        inPlace message: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        try checkKey(key)
        guard message.count >= tagBytes, let base = message.baseAddress else {
            throw CryptoError(
                .invalidInput,
                "in-place ChaCha20-Poly1305 needs room for the \(tagBytes)-byte tag; the buffer has \(message.count)"
            )
        }
        Sodium.ensureInitialised()
        let plaintext = base.assumingMemoryBound(to: UInt8.self)
        let plaintextCount = message.count - tagBytes
        let rc = withNoiseNonce(nonce) { nonce in
            key.withUnsafeBytes { k in
                // libsodium allows the ciphertext to overwrite the plaintext (c == m).
                crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                    plaintext,
                    plaintext + plaintextCount,
                    nil,
                    plaintext,
                    UInt64(plaintextCount),
                    ad,
                    UInt64(ad.count),
                    nil,
                    nonce,
                    k.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        precondition(rc == 0, "ChaCha20-Poly1305 encryption failed")
    }

    /// `DECRYPT(k, n, ad, ciphertext)` into `plaintext`, which must hold exactly
    /// `ciphertext.count - tagBytes` bytes and either not overlap `ciphertext` or start at the
    /// same address (in place). Unauthenticated plaintext is never written: when the tag does
    /// not verify, libsodium zeroes `plaintext` instead.
    ///
    /// - Throws: `.authenticationFailed` when the tag does not verify or the ciphertext is
    ///   shorter than the tag; `.invalidInput` when `plaintext` has the wrong size.
    public static func decrypt(
        key: SecretBytes,
        nonce: UInt64,
        ad: [UInt8],
        ciphertext: UnsafeRawBufferPointer,
        into plaintext: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) {
        try checkKey(key)
        guard ciphertext.count >= tagBytes, let input = ciphertext.baseAddress else {
            throw shorterThanTag(ciphertext.count)
        }
        let plaintextCount = ciphertext.count - tagBytes
        guard plaintext.count == plaintextCount else {
            throw CryptoError(
                .invalidInput,
                "plaintext buffer is \(plaintext.count) bytes; a \(ciphertext.count)-byte ciphertext needs "
                    + "\(plaintextCount)"
            )
        }
        Sodium.ensureInitialised()
        let bytes = input.assumingMemoryBound(to: UInt8.self)
        let rc = withNoiseNonce(nonce) { nonce in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    nil,
                    bytes,
                    UInt64(plaintextCount),
                    bytes + plaintextCount,
                    ad,
                    UInt64(ad.count),
                    nonce,
                    k.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        guard rc == 0 else { throw tagDidNotVerify }
    }

    /// Calls `body` with the 12-byte IETF nonce for Noise counter `n` (4 zero bytes, then `n`
    /// little-endian), built on the stack.
    static func withNoiseNonce<R>(_ n: UInt64, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        var words: (UInt32, UInt32, UInt32) = (0, UInt32(truncatingIfNeeded: n).littleEndian, 0)
        words.2 = UInt32(truncatingIfNeeded: n >> 32).littleEndian
        return withUnsafeBytes(of: &words) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}
