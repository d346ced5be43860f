import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`.
///
/// Noise uses the unkeyed 64-byte form as HASH; the store uses the keyed form as a
/// PRF to turn key names into lookup ids without revealing them.
public enum BLAKE2b {
    /// Largest digest libsodium produces (64 bytes).
    public static let digestBytesMax = Int(crypto_generichash_BYTES_MAX)
    /// Smallest digest libsodium produces (16 bytes).
    public static let digestBytesMin = Int(crypto_generichash_BYTES_MIN)
    /// Largest key accepted for keyed hashing (64 bytes).
    public static let keyBytesMax = Int(crypto_generichash_KEYBYTES_MAX)

    /// Hash of `input`, `outputCount` bytes long (16...64), optionally keyed (key 16...64 bytes).
    public static func hash(
        _ input: some ContiguousBytes,
        outputCount: Int = 64,
        key: SecretBytes? = nil
    ) -> [UInt8] {
        Sodium.ensureInitialised()
        precondition((digestBytesMin...digestBytesMax).contains(outputCount), "BLAKE2b output length out of range")
        var out = [UInt8](repeating: 0, count: outputCount)
        input.withUnsafeBytes { inp in
            let run = { (keyPtr: UnsafePointer<UInt8>?, keyLen: Int) in
                let rc = out.withUnsafeMutableBufferPointer { o in
                    crypto_generichash(
                        o.baseAddress!,
                        outputCount,
                        inp.bindMemory(to: UInt8.self).baseAddress,
                        UInt64(inp.count),
                        keyPtr,
                        keyLen
                    )
                }
                precondition(rc == 0, "crypto_generichash failed with valid lengths")
            }
            if let key {
                precondition(key.count >= 16 && key.count <= keyBytesMax, "BLAKE2b key length out of range")
                key.withUnsafeBytes { k in run(k.bindMemory(to: UInt8.self).baseAddress, k.count) }
            } else {
                run(nil, 0)
            }
        }
        return out
    }
}

/// Something that can lend its bytes contiguously. Arrays and `SecretBytes` qualify.
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension SecretBytes: ContiguousBytes {}
