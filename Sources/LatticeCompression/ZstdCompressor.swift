import CZstd

/// A reusable zstd compression context. Reusing one per connection avoids allocating
/// zstd's working memory for every frame. Not thread-safe: one owner at a time.
public final class ZstdCompressor {
    private let context: OpaquePointer

    public init() {
        guard let context = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx failed (out of memory)") }
        self.context = context
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One zstd frame holding `bytes`, with the content size in its header.
    ///
    /// `level` is clamped to `ZstdLimits.levelMin...ZstdLimits.levelMax`. With a dictionary,
    /// the receiver needs the same dictionary to decompress.
    public func compress(_ bytes: [UInt8], level: Int, dictionary: ZstdDictionary? = nil) -> [UInt8] {
        let level = Zstd.clampedLevel(level)
        prepare(level: level, dictionary: dictionary)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = withExtendedLifetime(dictionary) {
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    ZSTD_compress2(context, dst.baseAddress, dst.count, src.baseAddress, src.count)
                }
            }
        }
        // With a destination of ZSTD_compressBound bytes only allocation can fail.
        precondition(
            ZSTD_isError(written) == 0,
            "ZSTD_compress2 failed: \(String(cString: ZSTD_getErrorName(written)))"
        )
        out.removeSubrange(written...)
        return out
    }

    /// One zstd frame from input given in pieces (streaming, content size not in the header).
    /// Used to build large inputs without holding them in memory, e.g. decompression-bomb tests.
    func compressStream(_ chunks: some Sequence<[UInt8]>, level: Int) -> [UInt8] {
        prepare(level: Zstd.clampedLevel(level), dictionary: nil)
        var out: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        for chunk in chunks {
            drain(chunk, directive: ZSTD_e_continue, scratch: &scratch, into: &out)
        }
        drain([], directive: ZSTD_e_end, scratch: &scratch, into: &out)
        return out
    }

    private func drain(
        _ chunk: [UInt8],
        directive: ZSTD_EndDirective,
        scratch: inout [UInt8],
        into out: inout [UInt8]
    ) {
        chunk.withUnsafeBytes { src in
            var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            var finished = false
            while !finished {
                let produced = scratch.withUnsafeMutableBytes { dst in
                    var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                    let remaining = ZSTD_compressStream2(context, &output, &input, directive)
                    precondition(ZSTD_isError(remaining) == 0, "ZSTD_compressStream2 failed")
                    finished = directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size
                    return output.pos
                }
                out += scratch[0..<produced]
            }
        }
    }

    private func prepare(level: Int, dictionary: ZstdDictionary?) {
        ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)
        if let dictionary {
            // The digested dictionary carries its level's parameters.
            ZSTD_CCtx_refCDict(context, dictionary.compressionDictionary(level: level))
        } else {
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        }
    }
}
