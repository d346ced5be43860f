import CSodium

/// SipHash-2-4 with a 128-bit output (libsodium's `crypto_shorthash_siphashx24`), keyed with a
/// secret 128-bit key: a PRF for short inputs that costs a few dozen nanoseconds where keyed
/// BLAKE2b costs a full compression.
///
/// The store turns each key name into its lookup id with it. Without the key the ids reveal
/// nothing about the names and cannot be steered into collisions; with 128-bit outputs an
/// accidental collision needs about 2^64 names (and the store detects one, because the sealed
/// record holds the name). It is not a collision-resistant hash against someone who knows the
/// key: use BLAKE2b for anything that must be.
public struct KeyedSipHash128: Sendable {
    /// Key length (16 bytes).
    public static let keyBytes = Int(crypto_shorthash_siphashx24_KEYBYTES)
    /// Output length (16 bytes).
    public static let outputBytes = Int(crypto_shorthash_siphashx24_BYTES)

    private let key: SecretBytes

    /// A hasher keyed with `key`, which must be 16 bytes (a programming error otherwise).
    public init(key: SecretBytes) {
        Sodium.ensureInitialised()
        precondition(key.count == Self.keyBytes, "SipHash-2-4 key must be 16 bytes")
        self.key = key
    }

    /// A hasher keyed with the first 16 bytes of `KeyDerivation.subkey(of: root, label: label)`,
    /// so the key never passes through an unprotected array.
    public init(subkeyOf root: SecretBytes, label: String) {
        self.init(key: KeyDerivation.subkey(of: root, label: label).prefix(Self.keyBytes))
    }

    /// Writes the 16-byte keyed hash of `input` to the start of `out` (at least 16 bytes).
    public func hash(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= Self.outputBytes, "SipHash-2-4-128 output buffer too small")
        key.withUnsafeBytes { k in
            _ = crypto_shorthash_siphashx24(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(input.count),
                k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            )
        }
    }

    /// The 16-byte keyed hash of `input`.
    public func hash(_ input: some ContiguousBytes) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.outputBytes) { out, initialised in
            input.withUnsafeBytes { hash($0, into: UnsafeMutableRawBufferPointer(out)) }
            initialised = Self.outputBytes
        }
    }
}
