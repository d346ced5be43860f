/// Every size and count the wire reads from the network is bounded by one of these.
///
/// `Protocols/wire-v1.md` §Limits is the normative list; the two must agree.
import LatticeCrypto

public enum WireLimits {
    /// Largest Noise transport message, tag included: the Noise spec caps every message at
    /// 65,535 bytes, which is also what the 2-byte big-endian length prefix can express.
    public static let transportMessageBytesMax = NoiseLimits.messageBytesMax

    /// The ChaCha20-Poly1305 tag that ends every transport message; a shorter message
    /// cannot authenticate and is rejected before decryption.
    public static let transportTagBytes = NoiseLimits.tagBytes

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

    /// The fixed part of each XX handshake message (`wire-v1-handshake.md` §4): message 1
    /// is `e` (32), message 2 `e, ENC(s), ENC(payload)` (96 with an empty payload),
    /// message 3 `ENC(s), ENC(payload)` (64). A shorter message is rejected unread.
    public static let handshakeMessageBytesMin = [32, 96, 64]

    /// Transport messages each direction sends (and the other receives) under one key
    /// before both sides call Noise `REKEY` (Noise §11.3; `wire-v1-handshake.md` §6):
    /// 65,536, so at most 4 GiB are encrypted under one key, and a rekey costs one ChaCha20
    /// block. The same constant as `NoiseLimits.rekeyIntervalMessages`.
    public static let rekeyMessagesMax: UInt64 = NoiseLimits.rekeyIntervalMessages

    /// The zstd level for frame payloads: level 1 compresses at several hundred MB/s per
    /// core, so compressing every frame on the event loop stays cheap next to encryption;
    /// the sync layer may pick a higher level per tenant when the link is the bottleneck.
    public static let compressionLevelDefault = 1

    /// The highest zstd level a frame may ask for (`WireFrame.compressionLevel`): zstd's
    /// highest regular level; the "ultra" levels above it need windows past the decoder's limit.
    public static let compressionLevelMax = 19

    /// Payloads shorter than this are sent uncompressed without trying: a zstd frame has
    /// at least 9 bytes of overhead, so tiny payloads cannot get smaller.
    public static let compressionBytesMin = 64

    /// Size of the sample compressed first to decide whether a large payload is worth
    /// compressing at all (see `FrameEncoder`): big enough for zstd to find structure,
    /// small enough to cost little next to encrypting 64 KiB.
    public static let compressionSampleBytes = 4096

    /// After a payload whose sample does not shrink, a connection sends the next frames
    /// without trying compression: 1, then 2, 4, … frames for each further incompressible
    /// sample, at most this many (reset by a sample that shrinks). 64 frames of 64 KiB is
    /// 4 MiB: a stream of encrypted or random data then costs one 4 KiB trial per 4 MiB, and
    /// compressible data is noticed again within 64 frames.
    public static let compressionSkipFramesMax = 64

    /// Largest ping payload; a pong echoes it. Enough for a timestamp and a sequence number.
    public static let pingPayloadBytesMax = 64
}
