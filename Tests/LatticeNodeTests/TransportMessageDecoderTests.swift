import LatticeWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import LatticeNode

@Suite struct TransportMessageDecoderTests {
    func prefixed(_ body: [UInt8]) -> [UInt8] { [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body }

    /// An initiator's decoder that has already read its one handshake message (XX message 2).
    func initiatorInTransportPhase() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TransportMessageDecoder(role: .initiator)))
        try channel.writeInbound(ByteBuffer(bytes: prefixed(Array(repeating: 0, count: 96))))
        _ = try channel.readInbound(as: ByteBuffer.self)
        return channel
    }

    @Test func decoder_passesNIOVerifierByteByByteAndBatched() throws {
        let message2 = [UInt8](repeating: 1, count: 96)
        let tagOnly = [UInt8](repeating: 2, count: 16)
        let larger = [UInt8](repeating: 3, count: 300)
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (
                ByteBuffer(bytes: prefixed(message2) + prefixed(tagOnly) + prefixed(larger)),
                [ByteBuffer(bytes: message2), ByteBuffer(bytes: tagOnly), ByteBuffer(bytes: larger)]
            )
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            TransportMessageDecoder(role: .initiator)
        }
    }

    @Test func decoder_acceptsTheLargestTransportMessage() throws {
        let channel = try initiatorInTransportPhase()
        let body = [UInt8](repeating: 9, count: WireLimits.transportMessageBytesMax)
        try channel.writeInbound(ByteBuffer(bytes: prefixed(body)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: body))
    }

    @Test func decoder_refusesAnOversizedHandshakePrefixBeforeItsBody() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TransportMessageDecoder(role: .responder)))
        let prefix = UInt16(WireLimits.handshakeMessageBytesMax + 1)
        #expect(throws: WireError.self) {
            try channel.writeInbound(ByteBuffer(bytes: [UInt8(prefix >> 8), UInt8(prefix & 0xFF)]))
        }
    }

    @Test(arguments: [(WireRole.initiator, 95), (.responder, 31)])
    func decoder_refusesHandshakeMessagesShorterThanTheirFixedPart(role: WireRole, length: Int) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TransportMessageDecoder(role: role)))
        #expect(throws: WireError.self) {
            try channel.writeInbound(ByteBuffer(bytes: prefixed(Array(repeating: 0, count: length))))
        }
    }

    @Test func decoder_refusesTransportMessagesShorterThanTheTag() throws {
        let channel = try initiatorInTransportPhase()
        #expect(throws: WireError.self) { try channel.writeInbound(ByteBuffer(bytes: prefixed([1, 2, 3]))) }
    }
}
