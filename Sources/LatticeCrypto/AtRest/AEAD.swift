import CSodium

/// XChaCha20-Poly1305 (libsodium's `crypto_aead_xchacha20poly1305_ietf_*`) for data at rest.
///
/// The 192-bit nonce is drawn at random for every message, which is safe for any number of
/// messages under one key (draft-irtf-cfrg-xchacha-03, section 1). A sealed box is laid out as
///
/// ```
/// nonce (24 bytes) | ciphertext (same length as the plaintext) | tag (16 bytes)
/// ```
///
/// so it can be stored as one opaque value. The additional data is authenticated but not stored:
/// the caller rebuilds it from where the box lives, which is what binds a box to its place.
public enum XChaCha20Poly1305 {
    /// Key length (32 bytes).
    public static let keyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    /// Nonce length (24 bytes).
    public static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Authentication tag length (16 bytes).
    public static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// Bytes a sealed box adds to its plaintext (nonce and tag: 40 bytes).
    public static let overheadBytes = nonceBytes + tagBytes

    /// Encrypts `plaintext` under `key`, authenticating `additionalData` too.
    /// Returns `nonce | ciphertext | tag`. Traps if the key is not 32 bytes (a programming error).
    public static func seal(
        _ plaintext: some ContiguousBytes,
        additionalData: some ContiguousBytes,
        key: SecretBytes
    ) -> [UInt8] {
        Sodium.ensureInitialised()
        precondition(key.count == keyBytes, "XChaCha20-Poly1305 key must be 32 bytes")
        return plaintext.withUnsafeBytes { p in
            additionalData.withUnsafeBytes { ad in
                key.withUnsafeBytes { k in
                    [UInt8](unsafeUninitializedCapacity: p.count + overheadBytes) { out, initialised in
                        let base = out.baseAddress!
                        randombytes_buf(base, nonceBytes)
                        var cipherCount: UInt64 = 0
                        let rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
                            base + nonceBytes,
                            &cipherCount,
                            p.bindMemory(to: UInt8.self).baseAddress,
                            UInt64(p.count),
                            ad.bindMemory(to: UInt8.self).baseAddress,
                            UInt64(ad.count),
                            nil,
                            base,
                            k.bindMemory(to: UInt8.self).baseAddress!
                        )
                        precondition(rc == 0 && Int(cipherCount) == p.count + tagBytes, "XChaCha20 encrypt failed")
                        initialised = p.count + overheadBytes
                    }
                }
            }
        }
    }

    /// Decrypts a box made by ``seal(_:additionalData:key:)``.
    ///
    /// Throws `CryptoError.invalidInput` when the box is shorter than its overhead and
    /// `CryptoError.authenticationFailed` when the key, the additional data or any byte differs.
    public static func open(
        _ sealed: some ContiguousBytes,
        additionalData: some ContiguousBytes,
        key: SecretBytes
    ) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialised()
        guard key.count == keyBytes else {
            throw CryptoError(.invalidKeyLength, "XChaCha20-Poly1305 key has \(key.count) bytes; it must have 32")
        }
        let opened: [UInt8]? = sealed.withUnsafeBytes { s in
            guard s.count >= overheadBytes else { return nil }
            let plainCount = s.count - overheadBytes
            return additionalData.withUnsafeBytes { ad in
                key.withUnsafeBytes { k in
                    var failed = false
                    let plain = [UInt8](unsafeUninitializedCapacity: max(plainCount, 1)) { out, initialised in
                        let base = s.bindMemory(to: UInt8.self).baseAddress!
                        var count: UInt64 = 0
                        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
                            out.baseAddress!,
                            &count,
                            nil,
                            base + nonceBytes,
                            UInt64(s.count - nonceBytes),
                            ad.bindMemory(to: UInt8.self).baseAddress,
                            UInt64(ad.count),
                            base,
                            k.bindMemory(to: UInt8.self).baseAddress!
                        )
                        failed = rc != 0
                        initialised = failed ? 0 : Int(count)
                    }
                    return failed ? nil : plain
                }
            }
        }
        guard let opened else {
            let count = sealed.withUnsafeBytes { $0.count }
            if count < overheadBytes {
                throw CryptoError(
                    .invalidInput,
                    "sealed box has \(count) bytes, fewer than its \(overheadBytes)-byte overhead"
                )
            }
            throw CryptoError(
                .authenticationFailed,
                "sealed box did not authenticate (wrong key, wrong place, or altered)"
            )
        }
        return opened
    }
}
