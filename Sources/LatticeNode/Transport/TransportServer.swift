import LatticeWire
import NIOCore
import NIOPosix
import Synchronization

/// Listens for peers: every accepted connection runs the handshake on its own, and each
/// admitted one is handed to the `run` handler in a child task of its own. A connection
/// that fails is logged, counted and closed without touching the others.
public final class TransportServer: Sendable {
    private let serverChannel: NIOAsyncChannel<PendingConnection, Never>
    /// Shared with every connection this server accepts.
    public let configuration: TransportConfiguration
    private let pending: PendingHandshakes

    /// Handshakes in progress right now (at most `configuration.handshakesPendingMax`).
    public var handshakesInProgress: Int { pending.inProgress }

    /// The address the listener is bound to (with the port chosen by the kernel for port 0).
    public var localAddress: SocketAddress? { serverChannel.channel.localAddress }

    private init(
        serverChannel: NIOAsyncChannel<PendingConnection, Never>,
        configuration: TransportConfiguration,
        pending: PendingHandshakes
    ) {
        self.pending = pending
        self.serverChannel = serverChannel
        self.configuration = configuration
    }

    /// Binds a listener; accept connections with `run`.
    public static func bind(
        host: String,
        port: Int,
        configuration: TransportConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TransportServer {
        let pending = PendingHandshakes(limit: configuration.handshakesPendingMax)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: PendingConnection.receiveAllocator)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    guard pending.begin() else {
                        // Past the limit: close at once, before any handshake work or allocation.
                        configuration.counters.recordRefusedBusy()
                        configuration.logger.warning(
                            "transport: too many handshakes in progress; connection closed",
                            metadata: [
                                "peer": "\(child.remoteAddress.map(TransportHandler.describe) ?? "unknown")",
                                "handshakes_pending_max": "\(configuration.handshakesPendingMax)",
                            ]
                        )
                        child.close(promise: nil)
                        throw ChannelError.ioOnClosedChannel
                    }
                    let connection: PendingConnection
                    do {
                        connection = try PendingConnection.install(
                            on: child,
                            role: .responder,
                            configuration: configuration
                        )
                    } catch {
                        pending.end()  // the slot taken above, or it would stay taken for good
                        throw error
                    }
                    connection.peer.whenComplete { _ in pending.end() }
                    return connection
                }
            }
        return TransportServer(serverChannel: channel, configuration: configuration, pending: pending)
    }

    /// Accepts connections until `close()`; runs `handler` for each admitted peer,
    /// concurrently, and returns once the listener and every handler have finished.
    /// A handler's error closes its connection only.
    public func run(handler: @escaping @Sendable (TransportConnection) async throws -> Void) async throws {
        let logger = configuration.logger
        try await serverChannel.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await pending in inbound {
                    group.addTask {
                        guard let connection = try? await pending.established() else { return }
                        do {
                            try await handler(connection)
                        } catch {
                            logger.debug(
                                "transport: connection handler ended with an error",
                                metadata: ["peer": "\(connection.peer.address)", "error": "\(error)"]
                            )
                        }
                    }
                }
            }
        }
    }

    /// Stops listening; `run` returns once running handlers finish.
    public func close() async throws {
        try await serverChannel.channel.close()
    }
}

/// Dials peers.
public enum TransportClient {
    /// Connects, runs the handshake, and returns once the peer has admitted this node.
    ///
    /// - Throws: the `WireError` that ended the handshake (also logged and counted), or the
    ///   socket error when the peer cannot be reached.
    public static func connect(
        host: String,
        port: Int,
        configuration: TransportConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TransportConnection {
        let pending = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: PendingConnection.receiveAllocator)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PendingConnection.install(on: channel, role: .initiator, configuration: configuration)
                }
            }
        return try await pending.established()
    }
}

/// Counts handshakes in progress on one server, so a flood of half-open connections is refused
/// at accept time instead of growing memory (`TransportConfiguration.handshakesPendingMax`).
final class PendingHandshakes: Sendable {
    private let count = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Reserves a slot; false when `limit` handshakes are already in progress.
    func begin() -> Bool {
        while true {
            let current = count.load(ordering: .relaxed)
            guard current < limit else { return false }
            if count.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged {
                return true
            }
        }
    }

    func end() { count.wrappingSubtract(1, ordering: .relaxed) }

    var inProgress: Int { count.load(ordering: .relaxed) }
}
