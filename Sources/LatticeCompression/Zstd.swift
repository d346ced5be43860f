/// zstd compression (RFC 8878) with bounded decompression. The one module that imports CZstd.
///
/// These entry points make a fresh context per call; keep a `ZstdCompressor` or
/// `ZstdDecompressor` per connection to reuse zstd's working memory.
public enum Zstd {
    /// One zstd frame holding `bytes`; see `ZstdCompressor.compress(_:level:dictionary:)`.
    public static func compress(_ bytes: [UInt8], level: Int, dictionary: ZstdDictionary? = nil) -> [UInt8] {
        ZstdCompressor().compress(bytes, level: level, dictionary: dictionary)
    }

    /// The content of one zstd frame, at most `outputBytesMax` bytes, enforced while decoding;
    /// see `ZstdDecompressor.decompress(_:outputBytesMax:dictionary:)`.
    public static func decompress(
        _ bytes: some Collection<UInt8>,
        outputBytesMax: Int,
        dictionary: ZstdDictionary? = nil
    ) throws(CompressionError) -> [UInt8] {
        try ZstdDecompressor().decompress(bytes, outputBytesMax: outputBytesMax, dictionary: dictionary)
    }

    /// `level` moved into `ZstdLimits.levelMin...ZstdLimits.levelMax`.
    static func clampedLevel(_ level: Int) -> Int {
        min(max(level, ZstdLimits.levelMin), ZstdLimits.levelMax)
    }
}
