import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One accepted admin connection and the uid the kernel reported for its peer.
struct AdminConnection: Sendable {
    var channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    /// Nil when `SO_PEERCRED` could not be read: treated as another user.
    var peerUID: UInt32?
}

/// The admin socket server: HTTP/1.1 + JSON over a Unix domain socket.
///
/// `start()` prepares the directory (0700), replaces a stale socket file, binds and sets
/// the socket to 0600; `run()` serves until `shutdown()` (or a graceful shutdown from
/// swift-service-lifecycle), then removes the socket file. Built-in routes: `GET /livez`,
/// `GET /readyz`, `GET /metrics`, `GET /v1/status`; the node adds the rest through the
/// router it passes in.
public final class AdminServer: Service, Sendable {
    private struct State {
        var listener: NIOAsyncChannel<AdminConnection, Never>?
        var boundInode: ino_t?
        var shutdownRequested = false
    }

    /// The server's settings.
    public let configuration: AdminServerConfiguration
    let router: AdminRouter
    let metrics: LatticeMetrics
    let logger: Logger
    private let group: any EventLoopGroup
    let connections = AdminConnections()
    private let state = Mutex(State())

    /// Makes a server. Routes in `router` replace built-in routes with the same method and
    /// pattern.
    public init(
        configuration: AdminServerConfiguration,
        router: AdminRouter = AdminRouter(),
        metrics: LatticeMetrics,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        readiness: @escaping @Sendable () async -> AdminReadiness,
        status: @escaping @Sendable () async -> JSONValue
    ) {
        self.configuration = configuration
        var all = AdminServer.builtInRoutes(metrics: metrics, readiness: readiness, status: status)
        for route in router.routes {
            all.add(route.method, route.pattern, route.handler)
        }
        self.router = all
        self.metrics = metrics
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// Prepares the socket path and binds. When this returns, clients can connect.
    public func start() async throws {
        let path = configuration.socketPath
        try AdminSocketPreparation.prepare(socketPath: path)
        let allowed = configuration.allowedUID
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .bind(unixDomainSocketPath: path) { channel in
                PeerCredentials.uid(of: channel).map(Optional.some).recover { _ in nil }.flatMapThrowing { uid in
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    let async = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel
                    )
                    return AdminConnection(channel: async, peerUID: uid)
                }
            }
        guard chmod(path, 0o600) == 0 else {
            let reason = POSIX.describe(errno)
            try? await listener.channel.close()
            throw AdminServerError(.system, "cannot chmod 600 \(path): \(reason)")
        }
        var status = stat()
        let inode: ino_t? = lstat(path, &status) == 0 ? status.st_ino : nil
        state.withLock {
            $0.listener = listener
            $0.boundInode = inode
        }
        logger.info("admin socket listening", metadata: ["path": "\(path)", "allowed_uid": "\(allowed)"])
    }

    /// Serves connections until shutdown, starting first if `start()` was not called.
    /// Conforms to swift-service-lifecycle's `Service`: a graceful shutdown stops it.
    public func run() async throws {
        if state.withLock({ $0.listener == nil && !$0.shutdownRequested }) {
            try await start()
        }
        guard let listener = state.withLock({ $0.listener }) else { return }
        try await withGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            group.addTask { await self.handle(connection) }
                        }
                    } catch {
                        self.logger.debug("admin accept loop ended", metadata: ["error": "\(error)"])
                    }
                }
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        removeSocketFile()
    }

    /// Stops accepting, closes idle connections (busy ones close after their response) and
    /// removes the socket file.
    public func shutdown() async {
        let listener = beginShutdown()
        if let listener {
            try? await listener.channel.closeFuture.get()
        }
        removeSocketFile()
    }

    @discardableResult
    private func beginShutdown() -> NIOAsyncChannel<AdminConnection, Never>? {
        let listener = state.withLock { state -> NIOAsyncChannel<AdminConnection, Never>? in
            state.shutdownRequested = true
            return state.listener
        }
        listener?.channel.close(promise: nil)
        for channel in connections.beginShutdown() {
            channel.close(promise: nil)
        }
        return listener
    }

    /// Unlinks the socket file if it is still the one this server bound (same inode).
    private func removeSocketFile() {
        let path = configuration.socketPath
        state.withLock { state in
            guard let inode = state.boundInode else { return }
            state.boundInode = nil
            var status = stat()
            if lstat(path, &status) == 0 && status.st_ino == inode {
                unlink(path)
                logger.info("admin socket removed", metadata: ["path": "\(path)"])
            }
        }
    }
}
