import CSodium

/// Keyed BLAKE2b with the key absorbed once: each hash copies the prepared state instead of
/// compressing the key block again, which halves the cost of hashing short inputs such as
/// key names (the store hashes one on every read and write).
///
/// The prepared state is derived from the key, so it is wiped when the hasher goes away. It is
/// never mutated after `init`, so one hasher can be shared by any number of threads.
public final class KeyedBLAKE2b: Sendable {
    /// Output length in bytes (16...64).
    public let outputCount: Int
    // Written once in `init`, then only copied from.
    nonisolated(unsafe) private let prepared: UnsafeMutableRawPointer
    private static let stateBytes = crypto_generichash_statebytes()
    /// libsodium declares the state `CRYPTO_ALIGN(64)`.
    private static let stateAlignment = 64

    /// A hasher keyed with `key` (16...64 bytes) producing `outputCount` bytes (16...64).
    public init(key: SecretBytes, outputCount: Int) {
        Sodium.ensureInitialised()
        precondition((BLAKE2b.digestBytesMin...BLAKE2b.digestBytesMax).contains(outputCount), "BLAKE2b output length")
        precondition(key.count >= 16 && key.count <= BLAKE2b.keyBytesMax, "BLAKE2b key length out of range")
        self.outputCount = outputCount
        prepared = .allocate(byteCount: Self.stateBytes, alignment: Self.stateAlignment)
        let state = prepared
        let rc = key.withUnsafeBytes { k in
            crypto_generichash_init(.init(state), k.bindMemory(to: UInt8.self).baseAddress, k.count, outputCount)
        }
        precondition(rc == 0, "crypto_generichash_init failed with valid lengths")
    }

    deinit {
        sodium_memzero(prepared, Self.stateBytes)
        prepared.deallocate()
    }

    /// Appends the keyed hash of `input` to `out`.
    public func hash(_ input: some ContiguousBytes, appendingTo out: inout [UInt8]) {
        let count = outputCount
        withUnsafeTemporaryAllocation(byteCount: Self.stateBytes, alignment: Self.stateAlignment) { state in
            let s = state.baseAddress!
            s.copyMemory(from: prepared, byteCount: Self.stateBytes)
            input.withUnsafeBytes { raw in
                _ = crypto_generichash_update(.init(s), raw.bindMemory(to: UInt8.self).baseAddress, UInt64(raw.count))
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { digest in
                _ = crypto_generichash_final(.init(s), digest.baseAddress!, count)
                out.append(contentsOf: digest)
            }
            sodium_memzero(s, Self.stateBytes)
        }
    }

    /// The keyed hash of `input`.
    public func hash(_ input: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(outputCount)
        hash(input, appendingTo: &out)
        return out
    }
}
