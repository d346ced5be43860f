import LatticeCrypto
import LatticeWire
import NIOCore
import NIOEmbedded
import Testing

@testable import LatticeNode

/// Frames written while the channel is not writable wait unsealed in the handler and go
/// out, in order, once it is; closing fails them.
@Suite struct TransportWritabilityTests {
    let server = TestNode()
    let client = TestNode()

    /// A client and a server `EmbeddedChannel` with the wire handlers, handshake done.
    func establishedPair() throws -> (client: EmbeddedChannel, server: EmbeddedChannel) {
        func channel(_ role: WireRole, _ configuration: TransportConfiguration) throws -> EmbeddedChannel {
            let channel = EmbeddedChannel()
            let promise = channel.eventLoop.makePromise(of: TransportPeer.self)
            promise.futureResult.whenFailure { _ in }
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(TransportMessageDecoder(role: role)),
                TransportHandler(role: role, configuration: configuration, peerPromise: promise)
            )
            return channel
        }
        let clientChannel = try channel(.initiator, client.configuration(allowing: [server]))
        let serverChannel = try channel(.responder, server.configuration(allowing: [client]))
        try serverChannel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try clientChannel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        // Handshake messages 1-3 and the admission message.
        for _ in 0..<4 {
            try shuttle(from: clientChannel, to: serverChannel)
            try shuttle(from: serverChannel, to: clientChannel)
        }
        #expect(client.counters.snapshot.handshakesCompleted == 1)
        #expect(server.counters.snapshot.handshakesCompleted == 1)
        return (clientChannel, serverChannel)
    }

    /// Moves every byte buffer `from` has written into `to`'s inbound side; returns how many.
    @discardableResult
    func shuttle(from: EmbeddedChannel, to: EmbeddedChannel) throws -> Int {
        var moved = 0
        while let buffer = try from.readOutbound(as: ByteBuffer.self) {
            try to.writeInbound(buffer)
            moved += 1
        }
        return moved
    }

    func frames(_ count: Int) -> [WireFrame] {
        (0..<count).map { WireFrame(type: .sync, payload: Random.bytes(count: 20_000 + $0 * 25_000)) }
    }

    @Test func framesWrittenWhileNotWritable_waitUnsealedThenGoOutInOrder() throws {
        let (clientChannel, serverChannel) = try establishedPair()
        clientChannel.isWritable = false
        clientChannel.pipeline.fireChannelWritabilityChanged()
        let sent = frames(3)
        let promises = sent.map { _ in clientChannel.eventLoop.makePromise(of: Void.self) }
        for (frame, promise) in zip(sent, promises) { clientChannel.write(frame, promise: promise) }
        clientChannel.flush()
        #expect(try shuttle(from: clientChannel, to: serverChannel) == 0, "nothing is sealed while not writable")

        clientChannel.isWritable = true
        clientChannel.pipeline.fireChannelWritabilityChanged()
        #expect(try shuttle(from: clientChannel, to: serverChannel) == 3)
        var received: [WireFrame] = []
        while let frame = try serverChannel.readInbound(as: WireFrame.self) { received.append(frame) }
        #expect(received == sent)
        for promise in promises { try promise.futureResult.wait() }
    }

    @Test func framesWrittenAfterOthersWait_queueBehindThemEvenWhenWritable() throws {
        let (clientChannel, serverChannel) = try establishedPair()
        clientChannel.isWritable = false
        let sent = frames(2)
        clientChannel.write(sent[0], promise: nil)
        clientChannel.isWritable = true  // writable again, but the event has not arrived yet
        clientChannel.write(sent[1], promise: nil)
        clientChannel.flush()
        #expect(try shuttle(from: clientChannel, to: serverChannel) == 0)
        clientChannel.pipeline.fireChannelWritabilityChanged()
        try shuttle(from: clientChannel, to: serverChannel)
        #expect(try serverChannel.readInbound(as: WireFrame.self) == sent[0])
        #expect(try serverChannel.readInbound(as: WireFrame.self) == sent[1])
    }

    @Test func waitingFrames_failWhenTheConnectionCloses() throws {
        let (clientChannel, _) = try establishedPair()
        clientChannel.isWritable = false
        let promise = clientChannel.eventLoop.makePromise(of: Void.self)
        clientChannel.writeAndFlush(frames(1)[0], promise: promise)
        try clientChannel.close().wait()
        #expect(throws: WireError.self) { try promise.futureResult.wait() }
    }
}
