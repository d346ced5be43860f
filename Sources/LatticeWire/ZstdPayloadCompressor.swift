import LatticeCompression

/// zstd for frame payloads, through LatticeCompression (bounded while decoding: a frame
/// that would expand past `outputBytesMax` fails without allocating it).
public struct ZstdPayloadCompressor: PayloadCompressor {
    /// The zstd level used when compressing.
    public let level: Int

    public init(level: Int = WireLimits.compressionLevelDefault) {
        self.level = level
    }

    public func compress(_ bytes: [UInt8]) -> [UInt8] {
        Zstd.compress(bytes, level: level)
    }

    /// `level` clamped to zstd's regular levels (1 to `WireLimits.compressionLevelMax`).
    public func compress(_ bytes: [UInt8], level: Int) -> [UInt8] {
        Zstd.compress(bytes, level: min(max(level, 1), WireLimits.compressionLevelMax))
    }

    public func decompress(_ bytes: [UInt8], outputBytesMax: Int) throws -> [UInt8] {
        try Zstd.decompress(bytes, outputBytesMax: outputBytesMax)
    }
}
