import LatticeCore
import LatticeCrypto
import LatticeStore
import LatticeSync
import LatticeWire
import Logging
import NIOCore
import Synchronization

/// A Lattice node: an encrypted CRDT store that replicates with the peers in its
/// configuration. The embedding API.
///
/// ```swift
/// let node = try await LatticeNode.start(configuration)
/// try await node.write(tenant: "default", key: "greeting", .assign(.string("hello")))
/// for await change in node.changes() { print(change.key, change.value as Any) }
/// await node.shutdown()
/// ```
///
/// Writes return once durable on this node; they reach peers by eager push and anti-entropy
/// rounds. Reads are local and never wait for the network.
public final class LatticeNode: Sendable {
    public let configuration: NodeConfiguration
    /// This node's id (its public key in base64).
    public let id: String
    /// The replica id of the data directory (new when the directory was empty).
    public let replica: ReplicaID
    let core: NodeCore
    let server: TransportServer
    let transport: TransportConfiguration
    private let loop: Task<Void, Never>
    private let serverTask: Task<Void, Never>
    private let connectionIDs = ConnectionIDs()
    private let shutDown = Mutex(false)
    /// Where each peer is dialled: from the configuration until ``setAddress(ofPeer:host:port:)``.
    private let peerAddresses: Mutex<[String: (host: String, port: Int)]>

    /// The address peers connect to (the bound port when the configuration asked for port 0).
    public var listenAddress: (host: String, port: Int) {
        (configuration.listenHost, server.localAddress?.port ?? configuration.listenPort)
    }

    private init(
        configuration: NodeConfiguration,
        core: NodeCore,
        server: TransportServer,
        transport: TransportConfiguration,
        replica: ReplicaID
    ) {
        self.configuration = configuration
        self.id = NodeIdentity.id(of: configuration.nodeKey.publicKey)
        self.core = core
        self.server = server
        self.transport = transport
        self.replica = replica
        peerAddresses = Mutex(Dictionary(uniqueKeysWithValues: configuration.peers.map { ($0.id, ($0.host, $0.port)) }))
        loop = Task { await core.run() }
        let handler = PeerConnectionHandler(core: core, ids: connectionIDs, logger: configuration.logger)
        serverTask = Task {
            do {
                try await server.run { connection in await handler.serve(connection) }
            } catch {
                configuration.logger.debug("transport server stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Opens the data directory, restores every tenant, binds the listen address and starts
    /// replicating. Throws `StoreError` for data directory problems and `NodeError` for an
    /// invalid configuration or an address in use.
    public static func start(_ configuration: NodeConfiguration) async throws -> LatticeNode {
        try validate(configuration)
        let store = try Store.open(
            directory: configuration.dataDirectory,
            masterKey: configuration.masterKey,
            configuration: configuration.store
        )
        do {
            let replicaStore = try await ReplicaStore.open(store)
            let existing = Set(store.tenantNames())
            for tenant in configuration.tenants where !existing.contains(tenant) {
                try await store.createTenant(tenant)
            }
            var replicas = [String: TenantReplica]()
            for tenant in configuration.tenants { replicas[tenant] = try replicaStore.loadReplica(tenant: tenant) }
            let policies = configuration.peers.map { PeerPolicy(id: $0.id, permissions: $0.permissions) }
            var engine = SyncEngine(
                replica: replicaStore.replica,
                restoring: replicas,
                peers: policies,
                firstRound: UInt64(NodeCore.wallMilliseconds()) << 16
            )
            var generator = SystemRandomNumberGenerator()
            engine.repairSecret = generator.next()
            let core = try NodeCore(configuration: configuration, store: replicaStore, engine: engine)
            let transport = TransportConfiguration(
                network: configuration.network,
                staticKeyPair: configuration.nodeKey,
                allowedPeerKeys: Set(configuration.peers.map(\.publicKey)),
                logger: configuration.logger
            )
            let server: TransportServer
            do {
                server = try await TransportServer.bind(
                    host: configuration.listenHost,
                    port: configuration.listenPort,
                    configuration: transport
                )
            } catch {
                throw NodeError(
                    .listen,
                    "cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(error); "
                        + "is another node using it? Choose another `listen` address"
                )
            }
            let node = LatticeNode(
                configuration: configuration,
                core: core,
                server: server,
                transport: transport,
                replica: replicaStore.replica
            )
            await core.attach { [weak node] peer in node?.dial(peer) }
            configuration.logger.info(
                "node started",
                metadata: [
                    "id": "\(node.id)", "replica": "\(replicaStore.replica)",
                    "listen": "\(configuration.listenHost):\(node.listenAddress.port)",
                    "tenants": "\(configuration.tenants.count)", "peers": "\(configuration.peers.count)",
                ]
            )
            return node
        } catch {
            store.close()
            throw error
        }
    }

    private static func validate(_ configuration: NodeConfiguration) throws {
        guard !configuration.tenants.isEmpty else {
            throw NodeError(.configuration, "the node serves no tenant; add at least one [[tenants]] entry")
        }
        var seen = Set<[UInt8]>()
        for peer in configuration.peers {
            guard peer.publicKey.count == X25519.keyBytes else {
                throw NodeError(
                    .configuration,
                    "peer \(peer.name ?? peer.host) has a \(peer.publicKey.count)-byte key; keys are 32 bytes"
                )
            }
            guard peer.publicKey != configuration.nodeKey.publicKey else {
                throw NodeError(
                    .configuration,
                    "peer \(peer.name ?? peer.id) has this node's own key; remove it from peers"
                )
            }
            guard seen.insert(peer.publicKey).inserted else {
                throw NodeError(.configuration, "peer key \(peer.id) is listed twice; keep one entry")
            }
        }
    }

    // MARK: Data

    /// Applies `operation` to `key` and returns once the write is durable here. Throws
    /// `NodeError` — `.unknownTenant` when the tenant is not served, `.rejected` when the
    /// operation does not fit the key's type, `.shutDown` after `shutdown()` — and the store's
    /// error when the write cannot be made durable.
    public func write(tenant: String, key: String, _ operation: CRDTOperation) async throws {
        try checkOpen()
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            core.inbox.post(.write(tenant: tenant, key: key, operation, reply: WriteReply(continuation: c)))
        }
    }

    /// The value of `key`, or `nil` when it is absent or deleted.
    public func value(tenant: String, key: String) async throws -> CRDTValue? {
        guard let found = await core.value(tenant: tenant, key: key) else {
            throw NodeError.unknownTenant(tenant)
        }
        return found
    }

    /// Live keys of `tenant` that start with `prefix`, in byte order, after `after`, at most `limit`.
    public func keys(
        tenant: String,
        prefix: String = "",
        after: String? = nil,
        limit: Int = .max
    ) async throws -> [String] {
        guard let live = await core.liveKeys(tenant: tenant, prefix: prefix, after: after.map { Array($0.utf8) }) else {
            throw NodeError.unknownTenant(tenant)
        }
        // Sorted here, off the node's actor.
        let sorted = live.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return Array(sorted.prefix(limit))
    }

    /// What the sync engine has counted so far (pushes applied, held and dropped, keys sent and
    /// received, refusals…): the numbers behind the node's `/metrics` sync families.
    public var syncCounters: SyncCounters {
        get async { await core.engine.counters }
    }

    /// Every change to this node's data from now on, local or from peers, in the order applied.
    /// Each observer gets its own sequence; one that falls far behind loses the oldest changes.
    public func changes() -> AsyncStream<NodeChange> { core.changes.subscribe() }

    /// Starts an anti-entropy round now with `peer` (an id), or with every connected peer.
    /// Returns how many rounds started.
    public func syncNow(peer: String? = nil) async -> Int {
        await withCheckedContinuation { c in core.inbox.post(.syncNow(peer: peer, reply: c)) }
    }

    /// Starts digest repair now with `peer` (an id), or with the next connected peer in turn:
    /// finds and exchanges the keys whose states differ even where vectors agree. Returns the
    /// sessions started (one per tenant the peer may read and write).
    public func repairNow(peer: String? = nil) async -> Int {
        await withCheckedContinuation { c in core.inbox.post(.repair(peer: peer, reply: c)) }
    }

    // MARK: Lifecycle

    /// Stops accepting connections and writes, lets the loop persist what it holds, closes every
    /// connection and the store. Idempotent.
    public func shutdown() async {
        let first = shutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        try? await server.close()
        serverTask.cancel()
        core.inbox.close()
        await loop.value
        await serverTask.value
        core.store.store.close()
        configuration.logger.info("node stopped", metadata: ["id": "\(id)"])
    }

    /// Returns once ``shutdown()`` has finished stopping the loop.
    public func waitUntilShutDown() async {
        await loop.value
    }

    private func checkOpen() throws {
        guard !shutDown.withLock({ $0 }) else {
            throw NodeError(.shutDown, "the node is shutting down; the write was not applied")
        }
    }

    // MARK: Connections

    /// Dials `peer` at `host:port` from now on (a peer that moved, or restarted on another port).
    /// Returns false for a peer not in the configuration.
    @discardableResult
    public func setAddress(ofPeer peer: String, host: String, port: Int) -> Bool {
        peerAddresses.withLock { addresses in
            guard addresses[peer] != nil else { return false }
            addresses[peer] = (host, port)
            return true
        }
    }

    func dial(_ peer: String) {
        guard let config = peerAddresses.withLock({ $0[peer] }) else { return }
        let transport = self.transport
        let handler = PeerConnectionHandler(core: core, ids: connectionIDs, logger: configuration.logger)
        let core = self.core
        Task {
            do {
                let connection = try await TransportClient.connect(
                    host: config.host,
                    port: config.port,
                    configuration: transport
                )
                await handler.serve(connection)
            } catch {
                core.inbox.post(
                    .dialFailed(peer: peer, reason: "cannot connect to \(config.host):\(config.port): \(error)")
                )
            }
        }
    }
}
