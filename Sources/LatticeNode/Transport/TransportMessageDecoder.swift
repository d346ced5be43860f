import LatticeWire
import NIOCore

/// Splits the inbound byte stream into messages: `u16 length (big-endian) | body`.
///
/// The limits depend on the phase, which the decoder tracks by counting: an initiator
/// reads one handshake message (XX message 2), a responder two (messages 1 and 3), each
/// between the fixed part of that message (`WireLimits.handshakeMessageBytesMin`) and
/// `WireLimits.handshakeMessageBytesMax`; later messages are transport messages (at least
/// the 16-byte tag, at most 65,535 bytes). A prefix outside the limits fails at once,
/// before its body is buffered, so a peer can make the decoder hold at most one message.
struct TransportMessageDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// The XX message numbers (0-based) this side reads during the handshake.
    private let handshakeMessages: [Int]
    private var decoded = 0

    init(role: WireRole) {
        handshakeMessages = role == .initiator ? [1] : [0, 2]
    }

    private var inboundHandshakeMessages: Int { handshakeMessages.count }

    /// The lengths the next message may have.
    var allowedLengths: ClosedRange<Int> {
        guard decoded < handshakeMessages.count else {
            return WireLimits.transportTagBytes...WireLimits.transportMessageBytesMax
        }
        return WireLimits.handshakeMessageBytesMin[handshakeMessages[decoded]]...WireLimits.handshakeMessageBytesMax
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
