import LatticeCrypto
import LatticeWire
import NIOCore
import NIOPosix

@testable import LatticeNode

/// A hand-driven peer for feeding a server bytes the real transport would never send.
struct RawPeer {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Connects to 127.0.0.1:`port` and runs `body`, closing afterwards.
    static func connect<R: Sendable>(port: Int, _ body: (inout RawPeer) async throws -> R) async throws -> R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(TransportMessageDecoder(role: .initiator))
                    )
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var peer = RawPeer(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&peer)
        }
    }

    /// Writes bytes exactly as given.
    func sendRaw(_ bytes: [UInt8]) async throws { try await outbound.write(ByteBuffer(bytes: bytes)) }

    /// Writes a 2-byte length prefix and `message`.
    func send(_ message: [UInt8]) async throws {
        try await sendRaw([UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message)
    }

    /// The next message's body, or nil when the server closed the connection.
    mutating func receive() async throws -> [UInt8]? {
        try await inbound.next().map { Array($0.readableBytesView) }
    }

    /// Runs the initiator's side of the handshake and waits for admission.
    mutating func handshake(_ driver: HandshakeDriver) async throws -> TransportSession {
        var driver = driver
        try await send(try driver.start())
        guard let message2 = try await receive(),
            case .established(let message3?, var established) = try driver.receive(message2)
        else { throw TimedOut(description: "raw handshake: no message 2 or not established") }
        try await send(message3)
        guard let admission = try await receive() else { throw TimedOut(description: "raw handshake: not admitted") }
        _ = try established.session.open(admission)
        return established.session
    }

    /// Drains inbound messages until the server closes the connection.
    mutating func waitForClose() async throws {
        while try await receive() != nil {}
    }
}

extension TestNode {
    /// A handshake driver for a raw initiator with this node's identity.
    func rawDriver(network: String = "test", allowing peers: [TestNode]) -> HandshakeDriver {
        let configuration = HandshakeConfiguration(
            allowedPeerKeys: Set(peers.map(\.publicKey)),
            compressor: ZstdPayloadCompressor()
        )
        let noise = NoiseHandshake(
            role: .initiator,
            prologue: LatticeNoise.prologue(network: network),
            staticKeyPair: keyPair
        )
        return HandshakeDriver(role: .initiator, handshake: noise, configuration: configuration)
    }
}
