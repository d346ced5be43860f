/// A payload compressor for frames that carry the `compressed` flag (zstd on the wire).
///
/// Injected so the codec stays pure and testable; `ZstdPayloadCompressor` is the one
/// nodes use.
public protocol PayloadCompressor: Sendable {
    /// Compressed form of `bytes` (one zstd frame).
    func compress(_ bytes: [UInt8]) -> [UInt8]

    /// Compressed form of `bytes` at `level` (1 and up; what a level means is the codec's).
    func compress(_ bytes: [UInt8], level: Int) -> [UInt8]

    /// Decompresses one zstd frame, failing (without allocating more) when the output
    /// would exceed `outputBytesMax`.
    func decompress(_ bytes: [UInt8], outputBytesMax: Int) throws -> [UInt8]
}

extension PayloadCompressor {
    /// A compressor without levels compresses every payload the same way.
    public func compress(_ bytes: [UInt8], level: Int) -> [UInt8] { compress(bytes) }
}
