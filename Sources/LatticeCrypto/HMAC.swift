/// HMAC (RFC 2104) over unkeyed 64-byte BLAKE2b, as the Noise specification (revision 34,
/// section 4.3, `HMAC-HASH`) defines it for the `BLAKE2b` hash functions.
///
/// This is deliberately not BLAKE2b's built-in keyed mode: Noise uses the nested HMAC
/// construction for every hash so that HKDF keeps its extractor analysis.
public enum HMACBLAKE2b {
    /// BLAKE2b's internal block size; `B` in RFC 2104 (`BLOCKLEN` in Noise section 12.8).
    public static let blockBytes = 128
    /// Output length; `HASHLEN` in Noise section 12.8.
    public static let digestBytes = 64

    private static let innerPad: UInt8 = 0x36
    private static let outerPad: UInt8 = 0x5c

    /// HMAC-BLAKE2b(`key`, `data`). Keys longer than the block are hashed first (RFC 2104 section 2).
    public static func authenticate(key: some ContiguousBytes, data: some ContiguousBytes) -> SecretBytes {
        authenticate(key: key, dataParts: [data])
    }

    /// HMAC-BLAKE2b over the concatenation of `dataParts`, without building the concatenation.
    static func authenticate(key: some ContiguousBytes, dataParts: [any ContiguousBytes]) -> SecretBytes {
        let blockKey = paddedKey(key)
        let innerKey = xored(blockKey, with: innerPad)
        let outerKey = xored(blockKey, with: outerPad)
        let inner = BLAKE2b.secretHash(concatenating: [innerKey as any ContiguousBytes] + dataParts)
        return BLAKE2b.secretHash(concatenating: [outerKey, inner])
    }

    /// The key as one zero-padded block, hashed first when it is longer than a block.
    private static func paddedKey(_ key: some ContiguousBytes) -> SecretBytes {
        let shortKey: SecretBytes
        if key.withUnsafeBytes({ $0.count }) > blockBytes {
            shortKey = BLAKE2b.secretHash(concatenating: [key])
        } else {
            shortKey = SecretBytes(key.withUnsafeBytes { Array($0) })
        }
        var block = SecretBytes(zeroedCount: blockBytes)
        block.withUnsafeMutableBytes { out in
            shortKey.withUnsafeBytes { k in out.copyMemory(from: k) }
        }
        return block
    }

    private static func xored(_ block: SecretBytes, with pad: UInt8) -> SecretBytes {
        var out = SecretBytes(zeroedCount: block.count)
        out.withUnsafeMutableBytes { o in
            block.withUnsafeBytes { b in
                for index in 0..<b.count { o[index] = b[index] ^ pad }
            }
        }
        return out
    }
}
