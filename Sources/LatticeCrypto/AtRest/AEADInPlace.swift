import CSodium

extension XChaCha20Poly1305 {
    /// Decrypts a box made by ``seal(_:additionalData:key:)`` into `out`, which must hold at
    /// least `sealed.count - overheadBytes` bytes, and returns the plaintext's length.
    ///
    /// For hot paths that read a box straight out of a memory-mapped page and keep only part of
    /// the plaintext: nothing is allocated, and the caller decides where the plaintext lives
    /// (and wipes it if it must). On failure `out` holds no plaintext.
    ///
    /// Throws `CryptoError.invalidInput` when the box is shorter than its overhead or `out` is
    /// too small, and `CryptoError.authenticationFailed` when the key, the additional data or
    /// any byte differs.
    public static func open(
        _ sealed: UnsafeRawBufferPointer,
        additionalData: UnsafeRawBufferPointer,
        key: SecretBytes,
        into out: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        Sodium.ensureInitialised()
        guard key.count == keyBytes else {
            throw CryptoError(.invalidKeyLength, "XChaCha20-Poly1305 key has \(key.count) bytes; it must have 32")
        }
        guard sealed.count >= overheadBytes else {
            throw CryptoError(
                .invalidInput,
                "sealed box has \(sealed.count) bytes, fewer than its \(overheadBytes)-byte overhead"
            )
        }
        let plainCount = sealed.count - overheadBytes
        guard out.count >= plainCount else {
            throw CryptoError(.invalidInput, "output buffer has \(out.count) bytes; the plaintext needs \(plainCount)")
        }
        let authentic = key.withUnsafeBytes { k in
            let k = k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if additionalData.count + plainCount <= onePassBytesMax {
                return openInOnePass(sealed, additionalData, k, out)
            }
            let base = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var written: UInt64 = 0
            return crypto_aead_xchacha20poly1305_ietf_decrypt(
                out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                &written,
                nil,
                base + nonceBytes,
                UInt64(sealed.count - nonceBytes),
                additionalData.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(additionalData.count),
                base,
                k
            ) == 0
        }
        guard authentic else {
            throw CryptoError(
                .authenticationFailed,
                "sealed box did not authenticate (wrong key, wrong place, or altered)"
            )
        }
        return plainCount
    }

    /// Boxes whose additional data and plaintext together are at most this many bytes are
    /// opened by ``openInOnePass(_:_:_:_:)``; larger ones by libsodium's AEAD, which streams.
    /// Small enough for the MAC input to live on the stack.
    static let onePassBytesMax = 2048

    /// The XChaCha20-Poly1305 decryption of draft-irtf-cfrg-xchacha-03 (section 2.3: HChaCha20
    /// subkey, then the ChaCha20-Poly1305 AEAD of RFC 8439 section 2.8 with nonce
    /// `0 (4 bytes) | nonce[16..<24]`), built from libsodium's primitives so that Poly1305
    /// runs once over one buffer `ad | pad16 | ciphertext | pad16 | len(ad) | len(ciphertext)`
    /// and ChaCha20 runs once: block 0 (whose first 32 bytes are the Poly1305 key) and the
    /// blocks from 1 on (the keystream the ciphertext is XORed with) come from one keystream
    /// call, rounded up to ``keystreamChunkBytes``. libsodium's AEAD feeds Poly1305 the six
    /// parts one at a time and runs ChaCha20 twice, once for one block; for records of a few
    /// hundred bytes that costs more than the hashing itself. The result is the same: the box
    /// authenticates (then `out` holds the plaintext) or it does not (then `out` is untouched:
    /// the keystream is XORed in only after the tag is verified).
    private static func openInOnePass(
        _ sealed: UnsafeRawBufferPointer,
        _ ad: UnsafeRawBufferPointer,
        _ key: UnsafePointer<UInt8>,
        _ out: UnsafeMutableRawBufferPointer
    ) -> Bool {
        let nonce = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let cipherCount = sealed.count - overheadBytes
        let cipher = nonce + nonceBytes
        let tag = cipher + cipherCount
        let macCount = padded16(ad.count) + padded16(cipherCount) + 16
        let keystreamCount = (64 + cipherCount + keystreamChunkBytes - 1) / keystreamChunkBytes * keystreamChunkBytes
        // subkey (32) | inner nonce (12, padded to 16) | MAC input | keystream (block 0 first)
        let keystreamAt = 48 + macCount
        return withUnsafeTemporaryAllocation(byteCount: keystreamAt + keystreamCount, alignment: 16) { scratch in
            let base = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // Only the inner nonce's padding and the MAC input's must start as zeros; everything
            // else is written before it is read. All of it is wiped, keystream included.
            UnsafeMutableRawBufferPointer(rebasing: scratch[..<keystreamAt]).initializeMemory(
                as: UInt8.self,
                repeating: 0
            )
            defer { sodium_memzero(scratch.baseAddress!, scratch.count) }
            let subkey = base
            let innerNonce = base + 32
            let mac = scratch.baseAddress! + 48
            let keystream = base + keystreamAt
            crypto_core_hchacha20(subkey, nonce, key, nil)
            (innerNonce + 4).update(from: nonce + 16, count: 8)
            crypto_stream_chacha20_ietf(keystream, UInt64(keystreamCount), innerNonce, subkey)
            if let adBase = ad.baseAddress { mac.copyMemory(from: adBase, byteCount: ad.count) }
            let cipherAt = padded16(ad.count)
            (mac + cipherAt).copyMemory(from: cipher, byteCount: cipherCount)
            let lengthsAt = cipherAt + padded16(cipherCount)
            (mac + lengthsAt).storeBytes(of: UInt64(ad.count).littleEndian, as: UInt64.self)
            (mac + lengthsAt + 8).storeBytes(of: UInt64(cipherCount).littleEndian, as: UInt64.self)
            let verified = crypto_onetimeauth_poly1305_verify(
                tag,
                mac.assumingMemoryBound(to: UInt8.self),
                UInt64(macCount),
                keystream
            )
            guard verified == 0 else { return false }
            if cipherCount > 0 {
                let plain = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for i in 0..<cipherCount { plain[i] = cipher[i] ^ keystream[64 + i] }
            }
            return true
        }
    }

    /// The keystream of ``openInOnePass(_:_:_:_:)`` is asked for in multiples of this many
    /// bytes: libsodium's vectorised ChaCha20 makes 4 blocks at once (8 with AVX2, 512 bytes)
    /// in about the time it makes 2 blocks one after the other (measured on x86-64 with
    /// libsodium 1.0.18: 64 bytes then 119 more took about 320 ns, 256 bytes about 200 ns), so
    /// the rounding up costs less than it saves.
    static let keystreamChunkBytes = 256

    private static func padded16(_ count: Int) -> Int { (count + 15) & ~15 }
}
