import LatticeOps
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A TCP echo server on 127.0.0.1:0 that counts the connections it accepted.
final class EchoServer: Sendable {
    let channel: any Channel
    private let accepted: Counter

    var port: Int { channel.localAddress!.port! }
    var acceptedConnections: Int { accepted.value.withLock { $0 } }

    private init(channel: any Channel, accepted: Counter) {
        self.channel = channel
        self.accepted = accepted
    }

    static func start() async throws -> EchoServer {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                counter.value.withLock { $0 += 1 }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return EchoServer(channel: channel, accepted: counter)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Counter: Sendable {
        let value = Mutex(0)
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

typealias ByteChannel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

/// Connects to 127.0.0.1:`port`.
func connectClient(port: Int) async throws -> ByteChannel {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try ByteChannel(wrappingChannelSynchronously: channel)
            }
        }
}

/// Sends `payload` through `channel` in `chunkBytes` pieces and returns what comes back,
/// until `payload.count` bytes arrived or the connection ended.
func echo(_ payload: [UInt8], through channel: ByteChannel, chunkBytes: Int = 16 * 1024) async throws -> [UInt8] {
    try await channel.executeThenClose { inbound, outbound in
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var offset = 0
                while offset < payload.count {
                    let end = min(offset + chunkBytes, payload.count)
                    try await outbound.write(ByteBuffer(bytes: payload[offset..<end]))
                    offset = end
                }
                return nil
            }
            group.addTask {
                var received: [UInt8] = []
                for try await chunk in inbound {
                    received += chunk.readableBytesView
                    if received.count >= payload.count { break }
                }
                return received
            }
            var result: [UInt8] = []
            for try await value in group {
                if let value { result = value }
            }
            return result
        }
    }
}

/// Reads until the connection ends; returns the bytes read and whether it ended with an error
/// (a reset) rather than EOF.
func readUntilClosed(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async -> (bytes: Int, reset: Bool) {
    var bytes = 0
    do {
        for try await chunk in inbound { bytes += chunk.readableBytes }
        return (bytes, false)
    } catch {
        return (bytes, true)
    }
}

/// A deterministic generator for the shaper (SplitMix64, Steele et al. 2014).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func proxyLink(to port: Int, profile: TestnetLinkProfile = .loopback, name: String = "test") -> ProxyLink {
    ProxyLink(
        from: "a",
        to: "b",
        listenPort: 0,
        target: HostPort(host: "127.0.0.1", port: port),
        profileName: name,
        profile: profile
    )
}

/// A pattern that makes reordering or loss visible: byte i is a hash of i.
func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(state: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

let quietLogger = Logger(label: "proxy-test") { _ in SwiftLogNoOpLogHandler() }
