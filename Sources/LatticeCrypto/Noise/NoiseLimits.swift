/// Sizes and budgets of Noise_XX_25519_ChaChaPoly_BLAKE2b as Lattice uses it.
public enum NoiseLimits {
    /// Largest Noise message, handshake or transport (Noise section 3). Messages travel behind
    /// a 16-bit length prefix, so a larger one could not be framed; anything longer is rejected.
    public static let messageBytesMax = 65_535
    /// Authentication tag added by every encryption (ChaCha20-Poly1305, 16 bytes).
    public static let tagBytes = 16
    /// Largest transport-message plaintext: the message limit minus the tag.
    public static let transportPayloadBytesMax = messageBytesMax - tagBytes
    /// Largest handshake payload that fits in every one of the three XX messages: the limit
    /// minus the biggest fixed part (message 2: ephemeral key 32 + encrypted static key 48
    /// + payload tag 16 = 96 bytes).
    public static let handshakePayloadBytesMax = messageBytesMax - 96
    /// Transport messages encrypted under one key before both sides call `Rekey()`.
    /// 2^16 messages of at most 64 KiB bound the data under one key to 4 GiB, so a key
    /// recovered from memory exposes at most that much past traffic; a rekey costs one
    /// ChaCha20 block, so the interval can be short. See `Protocols/wire-v1-handshake.md`.
    public static let rekeyIntervalMessages: UInt64 = 1 << 16
}

/// Lattice's instantiation of Noise: the protocol name and the prologue both peers hash.
public enum LatticeNoise {
    /// The only protocol Lattice speaks (wire version 1).
    public static let protocolName = "Noise_XX_25519_ChaChaPoly_BLAKE2b"

    /// The prologue label: names the wire protocol and its version.
    public static let prologueLabel = "lattice/wire/1"

    /// The Noise prologue for a network: `"lattice/wire/1" || 0x00 || UTF-8(network)`.
    ///
    /// Both peers hash the prologue into the handshake (Noise section 6), so a peer on
    /// another wire version or another network fails at the first encrypted field of
    /// message 2 instead of talking past us. The zero byte separates the label from the
    /// name so that no network name can forge another version label.
    public static func prologue(network: String) -> [UInt8] {
        Array(prologueLabel.utf8) + [0] + Array(network.utf8)
    }
}
