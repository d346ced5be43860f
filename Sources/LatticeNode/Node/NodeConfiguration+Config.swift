import LatticeCrypto
import LatticeOps
import LatticeStore
import LatticeSync
import Logging

extension NodeConfiguration {
    /// The node configuration `lattice.toml` describes: reads the node and master key files
    /// (which must be 0600 and owned by this user). Throws `CryptoError` naming the key file
    /// and how to fix it.
    public init(config: LatticeConfig, logger: Logger) throws {
        let nodeKey = try X25519KeyPair.load(from: config.nodeKeyFile)
        let masterKey = try MasterKey.load(from: config.masterKeyFile)
        var store = StoreConfiguration()
        store.durability = config.sync.durability == .durable ? .durable : .relaxed(syncIntervalMs: 100)
        self.init(
            network: config.network,
            listenHost: config.listen.host,
            listenPort: config.listen.port,
            dataDirectory: config.dataDirectory,
            nodeKey: nodeKey,
            masterKey: masterKey,
            tenants: config.tenants.map(\.id),
            peers: config.peers.map { peer in
                Peer(
                    name: peer.name,
                    host: peer.address.host,
                    port: peer.address.port,
                    publicKey: peer.publicKey,
                    permissions: peer.permissions.mapValues { p in
                        var permission: Permission = []
                        if p.canRead { permission.insert(.read) }
                        if p.canWrite { permission.insert(.write) }
                        return permission
                    }
                )
            },
            preset: SchedulePreset.named(config.profile.rawValue) ?? .lan,
            store: store,
            logger: logger
        )
    }
}
