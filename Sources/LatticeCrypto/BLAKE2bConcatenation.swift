import CSodium

extension BLAKE2b {
    /// 64-byte BLAKE2b of the concatenation of `parts` (Noise's `HASH(a || b)`).
    static func hash(concatenating parts: [any ContiguousBytes]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digestBytesMax)
        out.withUnsafeMutableBytes { hashConcatenation(parts, into: $0) }
        return out
    }

    /// Like `hash(concatenating:)`, for a digest that is itself a secret (HMAC outputs).
    static func secretHash(concatenating parts: [any ContiguousBytes]) -> SecretBytes {
        var out = SecretBytes(zeroedCount: digestBytesMax)
        out.withUnsafeMutableBytes { hashConcatenation(parts, into: $0) }
        return out
    }

    /// Joins the parts in protected storage (they may be padded HMAC keys or chaining keys),
    /// then hashes in one call. libsodium's streaming state is 64-byte aligned, which Swift
    /// cannot import; the inputs here are small (at most a block plus one Noise message).
    private static func hashConcatenation(_ parts: [any ContiguousBytes], into out: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialised()
        let total = parts.reduce(0) { sum, part in sum + part.withUnsafeBytes { $0.count } }
        var joined = SecretBytes(zeroedCount: total)
        joined.withUnsafeMutableBytes { buffer in
            var offset = 0
            for part in parts {
                part.withUnsafeBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(
                        from: bytes
                    )
                    offset += bytes.count
                }
            }
        }
        let rc = joined.withUnsafeBytes { input in
            crypto_generichash(
                out.bindMemory(to: UInt8.self).baseAddress!,
                out.count,
                input.bindMemory(to: UInt8.self).baseAddress,
                UInt64(input.count),
                nil,
                0
            )
        }
        precondition(rc == 0, "crypto_generichash failed with valid lengths")
    }
}
