import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The testnet's userspace shaping proxy (the kernel here has no netem).
///
/// It listens on 127.0.0.1, one port per directed link A→B, and forwards every connection to
/// B's listen address, delaying both directions as the link's profile says (`LinkShaper`).
/// `partition(a, b)` closes the pair's open connections in both directions and refuses new
/// ones until `heal`. Connections are refused by closing them right after accept with a TCP
/// reset, so a dialing node sees "connection reset" at once rather than a hang.
public final class ShapingProxy: Sendable {
    private let table: ProxyLinkTable
    private let group: any EventLoopGroup
    private let logger: Logger
    private let bufferedBytesMax: Int
    private let listeners = Mutex<[any Channel]>([])

    /// Makes a proxy for `links`; nothing listens until `start()`.
    public init(
        links: [ProxyLink],
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        bufferedBytesMax: Int = ProxyLimits.connectionBufferedBytesMax
    ) {
        self.table = ProxyLinkTable(links: links)
        self.group = eventLoopGroup
        self.logger = logger
        self.bufferedBytesMax = bufferedBytesMax
    }

    /// The links, in the order given.
    public var links: [ProxyLink] { table.links }

    /// Binds one listener per link and returns the bound ports in link order (a link with
    /// port 0 gets a free one). Throws when a port is taken.
    @discardableResult
    public func start() async throws -> [Int] {
        var ports: [Int] = []
        for index in table.links.indices {
            let link = table.links[index]
            let channel: any Channel
            do {
                channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 64)
                    .childChannelOption(.autoRead, value: false)
                    .childChannelInitializer { [self] child in
                        child.eventLoop.makeCompletedFuture {
                            try child.pipeline.syncOperations.addHandler(ProxyAcceptHandler(proxy: self, link: index))
                        }
                    }
                    .bind(host: "127.0.0.1", port: link.listenPort)
                    .get()
            } catch {
                await shutdown()
                throw TestnetError(
                    .system,
                    "the proxy cannot listen on 127.0.0.1:\(link.listenPort) for \(link.from) -> \(link.to): \(error);"
                        + " another program took the port; run `lattice testnet up` again to pick new ports"
                )
            }
            listeners.withLock { $0.append(channel) }
            ports.append(channel.localAddress?.port ?? link.listenPort)
        }
        return ports
    }

    /// Cuts the link between `a` and `b` in both directions: closes its connections and
    /// refuses new ones until `heal`. Returns how many connections were closed.
    @discardableResult
    public func partition(_ a: String, _ b: String) throws(TestnetError) -> Int {
        let pair = try linkedPair(a, b)
        let channels = table.partition(pair)
        for channel in channels { Self.reset(channel) }
        logger.notice("partitioned", metadata: ["link": "\(pair)", "closed_connections": "\(channels.count / 2)"])
        return channels.count / 2
    }

    /// Lifts the partition between `a` and `b`; returns false when there was none.
    @discardableResult
    public func heal(_ a: String, _ b: String) throws(TestnetError) -> Bool {
        let pair = try linkedPair(a, b)
        let healed = table.heal(pair)
        logger.notice("healed", metadata: ["link": "\(pair)", "was_partitioned": "\(healed)"])
        return healed
    }

    /// Lifts every partition; returns the pairs that were partitioned, as `[a, b]`.
    @discardableResult
    public func healAll() -> [[String]] {
        let pairs = table.healAll()
        logger.notice("healed all links", metadata: ["links": "\(pairs.map(\.description))"])
        return pairs.map { [$0.first, $0.second] }
    }

    /// Every link's state and counters, in link order.
    public func statuses() -> [ProxyLinkStatus] { table.statuses() }

    /// Closes the listeners and every open connection.
    public func shutdown() async {
        for channel in table.shutDown() { channel.close(promise: nil) }
        let channels = listeners.withLock { listeners in
            defer { listeners.removeAll() }
            return listeners
        }
        for channel in channels { try? await channel.close() }
    }

    private func linkedPair(_ a: String, _ b: String) throws(TestnetError) -> NodePair {
        let pair = NodePair(a, b)
        guard table.links.contains(where: { $0.pair == pair }) else {
            let names = Set(table.links.flatMap { [$0.from, $0.to] }).sorted().joined(separator: ", ")
            throw TestnetError(
                .unknownNode,
                "no link between \(a) and \(b) in this testnet; its nodes are \(names), and only linked pairs"
                    + " can be partitioned or healed"
            )
        }
        return pair
    }

    /// Closes with SO_LINGER 0, so the other end gets a reset rather than an orderly close.
    static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}

extension ShapingProxy {
    /// Connects an accepted connection on `link` to the link's target and wires the two
    /// channels together. Runs on the accepted channel's event loop.
    func connect(_ inbound: any Channel, link index: Int) {
        let link = table.links[index]
        guard table.mayConnect(index) else {
            logger.info("refused: link partitioned", metadata: ["link": "\(link.from) -> \(link.to)"])
            Self.reset(inbound)
            return
        }
        ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.autoRead, value: false)
            .connectTimeout(.seconds(ProxyLimits.targetConnectSecondsMax))
            .connect(host: link.target.host, port: link.target.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let outbound):
                    wire(inbound, outbound, link: index)
                case .failure(let error):
                    table.countRefused(index)
                    logger.info(
                        "refused: target unreachable",
                        metadata: [
                            "link": "\(link.from) -> \(link.to)", "target": "\(link.target)", "error": "\(error)",
                        ]
                    )
                    Self.reset(inbound)
                }
            }
    }

    private func wire(_ inbound: any Channel, _ outbound: any Channel, link index: Int) {
        guard let id = table.register(index, [inbound, outbound]) else {
            Self.reset(inbound)
            Self.reset(outbound)
            return
        }
        let table = self.table
        let profile = table.links[index].profile
        do {
            try inbound.pipeline.syncOperations.addHandler(
                ShapedForwarder(peer: outbound, profile: profile, bufferedBytesMax: bufferedBytesMax) {
                    table.countDelivered(index, toTarget: true, bytes: $0)
                }
            )
            try outbound.pipeline.syncOperations.addHandler(
                ShapedForwarder(peer: inbound, profile: profile, bufferedBytesMax: bufferedBytesMax) {
                    table.countDelivered(index, toTarget: false, bytes: $0)
                }
            )
        } catch {
            inbound.close(promise: nil)
            outbound.close(promise: nil)
        }
        for channel in [inbound, outbound] {
            channel.closeFuture.whenComplete { _ in table.unregister(id) }
            channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
        }
    }
}

/// The first handler of an accepted proxy connection: connects to the target once active.
private final class ProxyAcceptHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let proxy: ShapingProxy
    private let link: Int

    init(proxy: ShapingProxy, link: Int) {
        self.proxy = proxy
        self.link = link
    }

    func channelActive(context: ChannelHandlerContext) {
        proxy.connect(context.channel, link: link)
        context.fireChannelActive()
    }
}
