import LatticeWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import LatticeNode

@Suite struct TransportMessageDecoderTests {
    func prefixed(_ body: [UInt8]) -> [UInt8] { [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body }

    @Test func decoder_passesNIOVerifierByteByByteAndBatched() throws {
        let handshake = [UInt8](repeating: 1, count: 32)
        let transport = [UInt8](repeating: 2, count: 16)
        let big = [UInt8](repeating: 3, count: 300)
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (
                ByteBuffer(bytes: prefixed(handshake) + prefixed(transport) + prefixed(big)),
                [ByteBuffer(bytes: handshake), ByteBuffer(bytes: transport), ByteBuffer(bytes: big)]
            )
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            TransportMessageDecoder(inboundHandshakeMessages: 1)
        }
    }

    @Test func decoder_acceptsTheLargestTransportMessage() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(TransportMessageDecoder(inboundHandshakeMessages: 0))
        )
        let body = [UInt8](repeating: 9, count: WireLimits.transportMessageBytesMax)
        try channel.writeInbound(ByteBuffer(bytes: prefixed(body)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: body))
    }

    @Test func decoder_refusesAnOversizedHandshakePrefixBeforeItsBody() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(TransportMessageDecoder(inboundHandshakeMessages: 2))
        )
        let prefix = UInt16(WireLimits.handshakeMessageBytesMax + 1)
        #expect(throws: WireError.self) {
            try channel.writeInbound(ByteBuffer(bytes: [UInt8(prefix >> 8), UInt8(prefix & 0xFF)]))
        }
    }

    @Test func decoder_refusesTransportMessagesShorterThanTheTag() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(TransportMessageDecoder(inboundHandshakeMessages: 0))
        )
        #expect(throws: WireError.self) { try channel.writeInbound(ByteBuffer(bytes: prefixed([1, 2, 3]))) }
    }
}
