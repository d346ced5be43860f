/// Turns application frames into frame-stream bytes and cuts them into transport-message
/// plaintexts.
public struct FrameEncoder: Sendable {
    /// Compresses payloads when that saves bytes; `nil` sends every payload as is (the
    /// peer did not announce the zstd capability).
    public var compressor: (any PayloadCompressor)?
    /// The largest payload this encoder accepts.
    public let frameBytesMax: Int

    public init(compressor: (any PayloadCompressor)?, frameBytesMax: Int = WireLimits.frameBytesMax) {
        self.compressor = compressor
        self.frameBytesMax = frameBytesMax
    }

    /// The header and payload of `frame` as one byte string (the frame's part of the frame
    /// stream); the payload is compressed only when the compressed form is strictly shorter.
    ///
    /// - Throws: `.frameTooLarge` when the payload exceeds `frameBytesMax`,
    ///   `.frameHeader` for the reserved type.
    public func encode(_ frame: WireFrame) throws(WireError) -> [UInt8] {
        let (header, body) = try headerAndBody(frame)
        return header + body
    }

    /// The plaintexts of the transport messages that carry `frame`, each at most
    /// `transportPlaintextBytesMax` bytes; the first starts with the frame header. Built
    /// without an intermediate copy of the whole frame.
    public func plaintexts(for frame: WireFrame) throws(WireError) -> [[UInt8]] {
        let (header, body) = try headerAndBody(frame)
        let total = header.count + body.count
        let chunkMax = WireLimits.transportPlaintextBytesMax
        var chunks: [[UInt8]] = []
        chunks.reserveCapacity((total + chunkMax - 1) / chunkMax)
        var first = header
        first.reserveCapacity(min(total, chunkMax))
        first.append(contentsOf: body.prefix(chunkMax - header.count))
        chunks.append(first)
        var offset = chunkMax - header.count
        while offset < body.count {
            let end = min(offset + chunkMax, body.count)
            chunks.append(Array(body[offset..<end]))
            offset = end
        }
        return chunks
    }

    private func headerAndBody(_ frame: WireFrame) throws(WireError) -> (header: [UInt8], body: [UInt8]) {
        guard frame.payload.count <= frameBytesMax else {
            throw WireError(
                .frameTooLarge,
                "cannot send a \(frame.payload.count)-byte payload (type \(frame.type)): frameBytesMax is "
                    + "\(frameBytesMax); split it into several frames"
            )
        }
        guard frame.type != .reserved else {
            throw WireError(.frameHeader, "frame type 0x0000 is reserved and cannot be sent")
        }
        var flags: FrameFlags = []
        var body = frame.payload
        if let compressor, body.count >= WireLimits.compressionBytesMin {
            let packed = compressor.compress(body)
            if packed.count < body.count {
                body = packed
                flags.insert(.compressed)
            }
        }
        var header: [UInt8] = []
        header.reserveCapacity(FrameHeader.byteCount)
        FrameHeader(type: frame.type, flags: flags, payloadLength: body.count).encode(into: &header)
        return (header, body)
    }
}
