/// Every size and count the wire reads from the network is bounded by one of these.
///
/// `Protocols/wire-v1.md` §Limits is the normative list; the two must agree.
public enum WireLimits {
    /// Largest Noise transport message, tag included: the Noise spec caps every message at
    /// 65,535 bytes, which is also what the 2-byte big-endian length prefix can express.
    public static let transportMessageBytesMax = 65_535

    /// The ChaCha20-Poly1305 tag that ends every transport message; a shorter message
    /// cannot authenticate and is rejected before decryption.
    public static let transportTagBytes = 16

    /// Largest plaintext in one transport message: the message limit less the tag.
    public static let transportPlaintextBytesMax = transportMessageBytesMax - transportTagBytes

    /// Largest frame payload, both as carried and after decompression. 16 MiB is the
    /// largest batch the sync layer builds (issue #4 requires 16 MiB frames to pass intact);
    /// the 64 KiB of headroom covers that batch's own envelope (tenant id, marks, counts)
    /// so a full batch never has to be split. This bounds the reassembly buffer per
    /// connection, and the decompression output per frame.
    public static let frameBytesMax = 16 * 1024 * 1024 + 64 * 1024

    /// Largest handshake payload. The payloads carry versions and capabilities (a few
    /// bytes); 1 KiB leaves room for later fields while keeping a handshake cheap to refuse.
    public static let handshakePayloadBytesMax = 1024

    /// Largest handshake message: Noise XX message 2 is the biggest (ephemeral key 32,
    /// encrypted static key 32 + 16, encrypted payload + 16). A length prefix above this
    /// during the handshake closes the connection before its body is read.
    public static let handshakeMessageBytesMax = 32 + 48 + handshakePayloadBytesMax + transportTagBytes

    /// Transport messages each direction sends (and the other receives) under one key
    /// before both sides call Noise `REKEY` (spec §11.3). 65,536 full messages are about
    /// 4 GiB: a key protects a bounded amount of data, and rekeying costs one ChaCha20 block
    /// per 4 GiB, nothing measurable.
    public static let rekeyMessagesMax: UInt64 = 1 << 16

    /// Payloads shorter than this are sent uncompressed without trying: a zstd frame has
    /// at least 9 bytes of overhead, so tiny payloads cannot get smaller.
    public static let compressionBytesMin = 64

    /// Largest ping payload; a pong echoes it. Enough for a timestamp and a sequence number.
    public static let pingPayloadBytesMax = 64
}
