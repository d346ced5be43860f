import LatticeWire
import NIOCore

/// Splits the inbound byte stream into messages: `u16 length (big-endian) | body`.
///
/// The limit depends on the phase, which the decoder tracks by counting: the first
/// `inboundHandshakeMessages` messages are handshake messages (at most
/// `WireLimits.handshakeMessageBytesMax`), later ones are transport messages (at least
/// the 16-byte tag, at most 65,535 bytes). A prefix outside the limit fails at once,
/// before its body is buffered, so a peer can make the decoder hold at most one message.
struct TransportMessageDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    private let inboundHandshakeMessages: Int
    private var decoded = 0

    init(inboundHandshakeMessages: Int) {
        self.inboundHandshakeMessages = inboundHandshakeMessages
    }

    /// The lengths the next message may have.
    var allowedLengths: ClosedRange<Int> {
        decoded < inboundHandshakeMessages
            ? 1...WireLimits.handshakeMessageBytesMax
            : WireLimits.transportTagBytes...WireLimits.transportMessageBytesMax
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return nil }
        let allowed = allowedLengths
        guard allowed.contains(Int(length)) else {
            let phase = decoded < inboundHandshakeMessages ? "handshake" : "transport"
            throw WireError(
                .messageLength,
                "\(phase) message \(decoded) has length prefix \(length), outside \(allowed.lowerBound)..."
                    + "\(allowed.upperBound)"
            )
        }
        guard buffer.readableBytes >= 2 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        decoded += 1
        return buffer.readSlice(length: Int(length))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}
