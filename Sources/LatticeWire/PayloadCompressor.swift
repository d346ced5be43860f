/// A payload compressor for frames that carry the `compressed` flag (zstd on the wire).
///
/// Injected so the codec stays pure and testable; `ZstdPayloadCompressor` is the one
/// nodes use.
public protocol PayloadCompressor: Sendable {
    /// Compressed form of `bytes` (one zstd frame).
    func compress(_ bytes: [UInt8]) -> [UInt8]

    /// Decompresses one zstd frame, failing (without allocating more) when the output
    /// would exceed `outputBytesMax`.
    func decompress(_ bytes: [UInt8], outputBytesMax: Int) throws -> [UInt8]
}
