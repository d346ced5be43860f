import Foundation
import LatticeCrypto
import LatticeStore
import LatticeSync
import Logging

/// Everything a node needs to run: who it is, where it keeps data, whom it talks to. Build one
/// from `lattice.toml` with `NodeConfiguration(config:)` (the `lattice node` command does), or
/// directly when embedding.
public struct NodeConfiguration: Sendable {
    /// Nodes of different networks fail the handshake (the name is in the Noise prologue).
    public var network: String
    /// A display name for logs and the admin socket.
    public var name: String?
    /// Address to accept peers on; port 0 picks a free port (see ``LatticeNode/listenAddress``).
    public var listenHost: String
    public var listenPort: Int
    /// The data directory (an LMDB environment, encrypted at rest with ``masterKey``).
    public var dataDirectory: String
    /// This node's static key pair: its identity on the wire.
    public var nodeKey: X25519KeyPair
    /// The key that wraps every tenant's data key.
    public var masterKey: MasterKey
    /// Tenants this node serves.
    public var tenants: [String]
    /// Peers, each with its address, key and permissions.
    public var peers: [Peer]
    /// Scheduling preset: `loopback`, `lan`, `wan` or `edge`.
    public var preset: SchedulePreset
    /// Store settings (durability, map size).
    public var store: StoreConfiguration
    public var logger: Logger

    public struct Peer: Sendable, Hashable {
        public var name: String?
        public var host: String
        public var port: Int
        /// The peer's static X25519 public key (32 bytes).
        public var publicKey: [UInt8]
        /// What the peer may do per tenant; a tenant missing here is invisible to the peer.
        public var permissions: [String: Permission]

        public init(name: String?, host: String, port: Int, publicKey: [UInt8], permissions: [String: Permission]) {
            self.name = name
            self.host = host
            self.port = port
            self.publicKey = publicKey
            self.permissions = permissions
        }

        /// The peer's id in the engine, the scheduler and the admin socket: its key in base64.
        public var id: String { NodeIdentity.id(of: publicKey) }
    }

    public init(
        network: String,
        name: String? = nil,
        listenHost: String = "127.0.0.1",
        listenPort: Int = 0,
        dataDirectory: String,
        nodeKey: X25519KeyPair,
        masterKey: MasterKey,
        tenants: [String],
        peers: [Peer] = [],
        preset: SchedulePreset = .lan,
        store: StoreConfiguration = StoreConfiguration(),
        logger: Logger = Logger(label: "lattice.node")
    ) {
        self.network = network
        self.name = name
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.dataDirectory = dataDirectory
        self.nodeKey = nodeKey
        self.masterKey = masterKey
        self.tenants = tenants
        self.peers = peers
        self.preset = preset
        self.store = store
        self.logger = logger
    }
}

/// How nodes name each other.
public enum NodeIdentity {
    /// A node's id: its static public key in standard base64 (what `lattice id` prints).
    public static func id(of publicKey: [UInt8]) -> String { Data(publicKey).base64EncodedString() }

    /// The first characters of an id, for log lines.
    public static func short(_ id: String) -> String { String(id.prefix(6)) + "…" }
}
