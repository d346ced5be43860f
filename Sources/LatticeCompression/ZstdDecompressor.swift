import CZstd

/// A reusable zstd decompression context with bounded output and window.
/// Not thread-safe: one owner at a time.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    /// Where each decoding step writes before the bytes are appended to the result.
    private let scratch: UnsafeMutableRawBufferPointer

    public init() {
        guard let context = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx failed (out of memory)") }
        self.context = context
        scratch = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        scratch.deallocate()
    }

    /// The content of exactly one zstd frame, at most `outputBytesMax` bytes.
    ///
    /// The limit is enforced while decoding: output is produced in steps of at most
    /// `ZSTD_DStreamOutSize()` bytes and decoding stops as soon as it would pass the limit,
    /// so memory stays within the limit plus one step plus the window
    /// (`ZstdLimits.windowLogMax`), whatever the frame header claims. The header's content
    /// size only sizes the first allocation (capped by the limit); a header claiming more
    /// than the limit is refused at once, and one that disagrees with the data is `.malformed`.
    public func decompress(
        _ bytes: some Collection<UInt8>,
        outputBytesMax: Int,
        dictionary: ZstdDictionary? = nil
    ) throws(CompressionError) -> [UInt8] {
        precondition(outputBytesMax >= 0, "outputBytesMax must not be negative")
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                decode(UnsafeRawBufferPointer(buffer), outputBytesMax: outputBytesMax, dictionary: dictionary)
            } ?? Array(bytes).withUnsafeBytes { decode($0, outputBytesMax: outputBytesMax, dictionary: dictionary) }
        return try result.get()
    }

    private func decode(
        _ input: UnsafeRawBufferPointer,
        outputBytesMax: Int,
        dictionary: ZstdDictionary?
    ) -> Result<[UInt8], CompressionError> {
        do throws(CompressionError) {
            guard !input.isEmpty else { throw CompressionError(.truncated, "zstd input is empty") }
            let declared = try declaredSize(input, outputBytesMax: outputBytesMax)
            prepare(dictionary: dictionary)
            let output = try withExtendedLifetime(dictionary) { () throws(CompressionError) -> [UInt8] in
                try stream(input, outputBytesMax: outputBytesMax, sizeHint: declared)
            }
            if let declared, declared != output.count {
                throw CompressionError(
                    .malformed,
                    "zstd frame header declares \(declared) bytes but the frame decodes to \(output.count)"
                )
            }
            return .success(output)
        } catch {
            return .failure(error)
        }
    }

    /// The content size the frame header declares, if any; refuses one above the limit.
    private func declaredSize(_ input: UnsafeRawBufferPointer, outputBytesMax: Int) throws(CompressionError) -> Int? {
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        // UInt64.max is ZSTD_CONTENTSIZE_UNKNOWN, UInt64.max - 1 ZSTD_CONTENTSIZE_ERROR (the
        // decoder reports the reason for the latter).
        guard size < UInt64.max - 1 else { return nil }
        guard size <= UInt64(outputBytesMax) else {
            throw CompressionError(
                .outputLimitExceeded,
                "zstd frame header declares \(size) bytes, more than the limit of \(outputBytesMax) (outputBytesMax)"
            )
        }
        return Int(size)
    }

    private func prepare(dictionary: ZstdDictionary?) {
        ZSTD_DCtx_reset(context, ZSTD_reset_session_and_parameters)
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Int32(ZstdLimits.windowLogMax))
        if let dictionary { ZSTD_DCtx_refDDict(context, dictionary.decompressionDictionary) }
    }

    /// Runs `ZSTD_decompressStream` until the frame ends, never holding more than
    /// `outputBytesMax + 1` bytes of output.
    private func stream(
        _ source: UnsafeRawBufferPointer,
        outputBytesMax: Int,
        sizeHint: Int?
    ) throws(CompressionError) -> [UInt8] {
        var result: [UInt8] = []
        // The declared size is only a hint: it may lie (within the limit), so the first
        // allocation is also capped by `ZstdLimits.initialCapacityBytesMax`; growth doubles.
        result.reserveCapacity(min(sizeHint ?? scratch.count, outputBytesMax, ZstdLimits.initialCapacityBytesMax))
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        while true {
            // One byte past the limit is enough to know the limit was passed.
            let allowed = outputBytesMax - result.count
            let room = allowed < scratch.count ? allowed + 1 : scratch.count
            var output = ZSTD_outBuffer(dst: scratch.baseAddress, size: room, pos: 0)
            let inputBefore = input.pos
            let remaining = ZSTD_decompressStream(context, &output, &input)
            if ZSTD_isError(remaining) != 0 { throw CompressionError.decoding(remaining) }
            guard result.count + output.pos <= outputBytesMax else {
                throw CompressionError(
                    .outputLimitExceeded,
                    "zstd frame decodes to more than \(outputBytesMax) bytes (outputBytesMax); stopped there"
                )
            }
            append(output.pos, to: &result, outputBytesMax: outputBytesMax)
            if remaining == 0 {
                guard input.pos == input.size else {
                    throw CompressionError(
                        .malformed,
                        "\(input.size - input.pos) bytes follow the zstd frame; exactly one frame is allowed"
                    )
                }
                return result
            }
            let starved = input.pos == input.size && output.pos < room
            let stuck = input.pos == inputBefore && output.pos == 0
            if starved || stuck {
                throw CompressionError(
                    .truncated,
                    "zstd input ends inside the frame after \(source.count) bytes (\(result.count) decoded)"
                )
            }
        }
    }

    /// Appends the scratch bytes, growing the result by doubling but never past the limit.
    private func append(_ count: Int, to result: inout [UInt8], outputBytesMax: Int) {
        guard count > 0 else { return }
        let needed = result.count + count
        if needed > result.capacity {
            result.reserveCapacity(min(max(needed, result.capacity * 2), outputBytesMax))
        }
        result.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
    }
}
