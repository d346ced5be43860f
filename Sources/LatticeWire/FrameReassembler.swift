/// Rebuilds whole frames from transport-message plaintexts.
///
/// The plaintexts, concatenated, are the frame stream: frames may span messages and a
/// message may hold several frames. Memory is bounded: one partial header (7 bytes) plus
/// one payload of at most `frameBytesMax`, reserved exactly once the header is known.
public struct FrameReassembler: Sendable {
    private enum State: Sendable {
        case header([UInt8])
        case payload(FrameHeader, [UInt8])
    }

    private var state: State = .header([])
    /// Decompresses frames flagged `compressed`; with `nil`, such frames are rejected.
    public let decompressor: (any PayloadCompressor)?
    /// The largest payload accepted, as carried and decompressed.
    public let frameBytesMax: Int

    public init(decompressor: (any PayloadCompressor)?, frameBytesMax: Int = WireLimits.frameBytesMax) {
        self.decompressor = decompressor
        self.frameBytesMax = frameBytesMax
    }

    /// True when no frame is partly received: the stream may end here cleanly.
    public var isAtFrameBoundary: Bool {
        if case .header(let partial) = state { return partial.isEmpty }
        return false
    }

    /// Bytes held for the frame in progress.
    public var bufferedBytes: Int {
        switch state {
        case .header(let partial): partial.count
        case .payload(_, let body): body.count
        }
    }

    /// Consumes one plaintext and returns the frames it completed, in order.
    ///
    /// - Throws: the first `WireError` in the stream; the reassembler must not be used after.
    public mutating func append(_ plaintext: some Collection<UInt8>) throws(WireError) -> [WireFrame] {
        let contiguous = plaintext.withContiguousStorageIfAvailable { bytes in appending(bytes) }
        return try (contiguous ?? Array(plaintext).withUnsafeBufferPointer { appending($0) }).get()
    }

    private mutating func appending(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[WireFrame], WireError> {
        do throws(WireError) { return .success(try append(bytes: bytes)) } catch { return .failure(error) }
    }

    /// `append` for bytes in memory: payload bytes are copied once, straight into the frame.
    mutating func append(bytes plaintext: UnsafeBufferPointer<UInt8>) throws(WireError) -> [WireFrame] {
        var frames: [WireFrame] = []
        var rest = plaintext[...]
        while !rest.isEmpty {
            switch state {
            case .header(var partial):
                let take = min(FrameHeader.byteCount - partial.count, rest.count)
                partial.append(contentsOf: UnsafeBufferPointer(rebasing: rest.prefix(take)))
                rest = rest.dropFirst(take)
                guard partial.count == FrameHeader.byteCount else {
                    state = .header(partial)
                    continue
                }
                let header = try FrameHeader.decode(partial, frameBytesMax: frameBytesMax)
                var body: [UInt8] = []
                body.reserveCapacity(header.payloadLength)
                state = .payload(header, body)
            case .payload(let header, var body):
                state = .header([])  // let `body` be uniquely referenced while it grows
                let take = min(header.payloadLength - body.count, rest.count)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: rest.prefix(take)))
                rest = rest.dropFirst(take)
                state = .payload(header, body)
            }
            if case .payload(let header, let body) = state, body.count == header.payloadLength {
                state = .header([])
                frames.append(try finish(header, body))
            }
        }
        return frames
    }

    private func finish(_ header: FrameHeader, _ body: [UInt8]) throws(WireError) -> WireFrame {
        guard header.flags.contains(.compressed) else { return WireFrame(type: header.type, payload: body) }
        guard let decompressor else {
            throw WireError(
                .frameHeader,
                "frame of type \(header.type) is compressed but zstd was not negotiated in the handshake"
            )
        }
        do {
            let payload = try decompressor.decompress(body, outputBytesMax: frameBytesMax)
            return WireFrame(type: header.type, payload: payload)
        } catch {
            throw WireError(
                .decompression,
                "compressed frame of type \(header.type) (\(body.count) bytes) did not decompress within "
                    + "frameBytesMax (\(frameBytesMax)): \(error)"
            )
        }
    }
}
