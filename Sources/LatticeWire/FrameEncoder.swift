/// Turns application frames into frame-stream bytes and cuts them into transport-message
/// plaintexts.
public struct FrameEncoder: Sendable {
    /// Compresses payloads when that saves bytes; `nil` sends every payload as is (the
    /// peer did not announce the zstd capability).
    public var compressor: (any PayloadCompressor)?
    /// The largest payload this encoder accepts.
    public let frameBytesMax: Int

    /// Frames `prepare` still sends without trying compression after an incompressible sample.
    private var compressionSkipsLeft = 0
    /// Frames the next incompressible sample skips: doubles up to
    /// `WireLimits.compressionSkipFramesMax`, back to 1 once a payload compresses.
    private var compressionSkipFrames = 1

    public init(compressor: (any PayloadCompressor)?, frameBytesMax: Int = WireLimits.frameBytesMax) {
        self.compressor = compressor
        self.frameBytesMax = frameBytesMax
    }

    /// The header and the payload as carried (compressed when that saves bytes) of the next
    /// frame a connection sends. Unlike `encode`, it remembers incompressible payloads: after
    /// a payload whose sample did not shrink, the next 1, 2, 4, … up to
    /// `WireLimits.compressionSkipFramesMax` frames go uncompressed without a trial, so a
    /// stream of encrypted or random data costs one 4 KiB trial per many frames.
    public mutating func prepare(_ frame: WireFrame) throws(WireError) -> (header: [UInt8], body: [UInt8]) {
        let skipping = compressionSkipsLeft > 0
        if skipping { compressionSkipsLeft -= 1 }
        var sampleShrank: Bool?  // nil: no trial
        let encoded = try headerAndBody(frame) { payload, compressor in
            guard !skipping else { return false }
            let worth = Self.worthTrying(payload, compressor)
            sampleShrank = worth
            return worth
        }
        switch sampleShrank {
        case false?:
            compressionSkipsLeft = compressionSkipFrames
            compressionSkipFrames = min(compressionSkipFrames * 2, WireLimits.compressionSkipFramesMax)
        case true?:
            compressionSkipFrames = 1
        case nil:
            break
        }
        return encoded
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
    /// `transportPlaintextBytesMax` bytes; the first starts with the frame header.
    public func plaintexts(for frame: WireFrame) throws(WireError) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        try forEachPlaintext(for: frame) { chunks.append($0) }
        return chunks
    }

    /// Calls `body` with each plaintext of `frame` in order, building one at a time (a
    /// 16 MiB frame is never copied whole).
    public func forEachPlaintext(
        for frame: WireFrame,
        _ body: ([UInt8]) throws(WireError) -> Void
    )
        throws(WireError)
    {
        let (header, payload) = try headerAndBody(frame)
        let chunkMax = WireLimits.transportPlaintextBytesMax
        var first = header
        first.reserveCapacity(min(header.count + payload.count, chunkMax))
        first.append(contentsOf: payload.prefix(chunkMax - header.count))
        try body(first)
        var offset = chunkMax - header.count
        while offset < payload.count {
            let end = min(offset + chunkMax, payload.count)
            try body(Array(payload[offset..<end]))
            offset = end
        }
    }

    private func headerAndBody(_ frame: WireFrame) throws(WireError) -> (header: [UInt8], body: [UInt8]) {
        try headerAndBody(frame) { payload, compressor in Self.worthTrying(payload, compressor) }
    }

    /// `worth(payload, compressor)` decides whether compressing a payload is tried at all.
    private func headerAndBody(
        _ frame: WireFrame,
        worth: (_ payload: [UInt8], _ compressor: any PayloadCompressor) -> Bool
    ) throws(WireError) -> (header: [UInt8], body: [UInt8]) {
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
        if let compressor, frame.compressionLevel != 0, body.count >= WireLimits.compressionBytesMin,
            worth(body, compressor)
        {
            let packed =
                if let level = frame.compressionLevel { compressor.compress(body, level: level) } else {
                    compressor.compress(body)
                }
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

    /// Whether compressing `payload` can pay: a payload longer than
    /// `compressionSampleBytes` is tried only if its first `compressionSampleBytes` shrink
    /// by at least 1/16. Encrypted, already-compressed or random data then costs a 4 KiB
    /// trial instead of a full pass (zstd level 1 runs at about 500 MB/s on such input,
    /// slower than the encryption that follows).
    static func worthTrying(_ payload: [UInt8], _ compressor: any PayloadCompressor) -> Bool {
        guard payload.count > WireLimits.compressionSampleBytes else { return true }
        let sample = Array(payload.prefix(WireLimits.compressionSampleBytes))
        return compressor.compress(sample).count <= sample.count - sample.count / 16
    }
}
