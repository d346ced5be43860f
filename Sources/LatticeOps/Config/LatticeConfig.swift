/// A node's configuration after loading, environment overrides and validation.
/// Every path is absolute; every list has been checked for duplicates.
public struct LatticeConfig: Hashable, Sendable {
    /// The network name. Nodes only talk to nodes of the same network (it is part of the
    /// Noise prologue).
    public var network: String
    /// The data directory (LMDB environment, audit log).
    public var dataDirectory: String
    /// The TCP address peers connect to.
    public var listen: HostPort
    /// The admin socket path (HTTP/1.1 + JSON over a Unix socket).
    public var adminSocket: String
    /// The link preset the scheduler starts from.
    public var profile: NetworkProfile
    /// The node's static X25519 key pair file (must be mode 0600).
    public var nodeKeyFile: String
    /// The master key file that wraps the tenants' data keys (must be mode 0600).
    public var masterKeyFile: String
    /// The tenants this node serves, in file order.
    public var tenants: [TenantConfig]
    /// The peers this node admits and dials, in file order.
    public var peers: [PeerConfig]
    /// Replication settings.
    public var sync: SyncConfig

    /// Makes a configuration from already-validated parts.
    public init(
        network: String,
        dataDirectory: String,
        listen: HostPort,
        adminSocket: String,
        profile: NetworkProfile,
        nodeKeyFile: String,
        masterKeyFile: String,
        tenants: [TenantConfig],
        peers: [PeerConfig],
        sync: SyncConfig
    ) {
        self.network = network
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.adminSocket = adminSocket
        self.profile = profile
        self.nodeKeyFile = nodeKeyFile
        self.masterKeyFile = masterKeyFile
        self.tenants = tenants
        self.peers = peers
        self.sync = sync
    }
}

/// A `host:port` address. IPv6 literals are written in brackets: `[::1]:7400`.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    /// A host name or IP literal (without brackets).
    public var host: String
    /// The TCP port, 0...65535 (0 only for `listen`: the system picks one).
    public var port: Int

    /// Makes an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`; `nil` when the shape or the port is wrong.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, host.utf8.count <= ConfigLimits.hostBytesMax,
            !host.contains(where: { $0 == " " || $0 == "/" }),
            portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Link presets for the anti-entropy scheduler (see DESIGN.md "Scheduling").
public enum NetworkProfile: String, CaseIterable, Hashable, Sendable {
    /// Nodes on one host: rounds as fast as the CPU allows.
    case loopback
    /// A local network: low RTT, high bandwidth.
    case lan
    /// The internet: higher RTT and loss, larger batches.
    case wan
    /// Metered or battery-powered links: fewer wake-ups, stronger compression.
    case edge
}

/// A tenant: an isolated keyspace.
public struct TenantConfig: Hashable, Sendable {
    /// The tenant id: 1 to `ConfigLimits.tenantIDBytesMax` bytes of `a-z`, `0-9`, `_`, `-`.
    public var id: String

    /// Makes a tenant entry.
    public init(id: String) {
        self.id = id
    }
}

/// A peer this node admits (and dials).
public struct PeerConfig: Hashable, Sendable {
    /// Where to dial the peer.
    public var address: HostPort
    /// The peer's static X25519 public key (32 bytes): its identity.
    public var publicKey: [UInt8]
    /// A display name for logs and tables.
    public var name: String?
    /// What the peer may do, per tenant id. A tenant that is not listed is invisible to the peer.
    public var permissions: [String: PeerPermission]

    /// Makes a peer entry.
    public init(address: HostPort, publicKey: [UInt8], name: String?, permissions: [String: PeerPermission]) {
        self.address = address
        self.publicKey = publicKey
        self.name = name
        self.permissions = permissions
    }
}

/// What a peer may do in one tenant. Written `"read"`, `"write"` or `"read-write"`.
public enum PeerPermission: String, CaseIterable, Hashable, Sendable {
    /// The peer receives the tenant's data; its writes are refused and audited.
    case read
    /// The peer's writes are accepted; it is sent nothing of the tenant.
    case write
    /// Both.
    case readWrite = "read-write"

    /// Whether the peer may see the tenant's data.
    public var canRead: Bool { self != .write }
    /// Whether the peer's writes are accepted.
    public var canWrite: Bool { self != .read }
}

/// The `[sync]` table.
public struct SyncConfig: Hashable, Sendable {
    /// When a write is acknowledged.
    public var durability: Durability

    /// Makes sync settings.
    public init(durability: Durability = .durable) {
        self.durability = durability
    }
}

/// When a local write is acknowledged.
public enum Durability: String, CaseIterable, Hashable, Sendable {
    /// After its group commit reached the disk (fsync). The default.
    case durable
    /// Before the commit is synced: a crash or power loss can lose acknowledged writes.
    case relaxed
}
