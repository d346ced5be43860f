/// One directed link the shaping proxy serves: `from` dials `listenPort` on 127.0.0.1 and the
/// proxy forwards to `to`'s listen address, shaped by the link's profile in both directions
/// of each connection.
public struct ProxyLink: Sendable, Hashable {
    /// The node that dials.
    public var from: String
    /// The node dialled.
    public var to: String
    /// The proxy's port for this link on 127.0.0.1 (0: any free port, for tests).
    public var listenPort: Int
    /// Where `to` listens.
    public var target: HostPort
    /// The profile's name in the topology (`loopback` is unshaped).
    public var profileName: String
    /// How the link behaves.
    public var profile: TestnetLinkProfile

    /// Makes a link.
    public init(
        from: String,
        to: String,
        listenPort: Int,
        target: HostPort,
        profileName: String,
        profile: TestnetLinkProfile
    ) {
        self.from = from
        self.to = to
        self.listenPort = listenPort
        self.target = target
        self.profileName = profileName
        self.profile = profile
    }

    /// The undirected pair this link belongs to: a partition cuts both directions.
    var pair: NodePair { NodePair(from, to) }
}

/// Two node names without an order.
struct NodePair: Hashable, Sendable, CustomStringConvertible {
    let first: String
    let second: String

    init(_ a: String, _ b: String) {
        (first, second) = a <= b ? (a, b) : (b, a)
    }

    var description: String { "\(first) <-> \(second)" }
}

/// What the proxy reports about one directed link (`GET /v1/links` on its control socket).
public struct ProxyLinkStatus: Sendable, Hashable {
    /// The link.
    public var link: ProxyLink
    /// Whether a partition cuts it.
    public var isPartitioned: Bool
    /// Connections open now.
    public var openConnections: Int
    /// Connections accepted since the proxy started.
    public var acceptedConnections: Int
    /// Connections refused (partitioned, or the target did not answer).
    public var refusedConnections: Int
    /// Bytes delivered from `from` to `to`.
    public var bytesToTarget: Int
    /// Bytes delivered from `to` back to `from`.
    public var bytesFromTarget: Int
}

/// Limits of the shaping proxy.
public enum ProxyLimits {
    /// Bytes one direction of one proxied connection may hold (queued for shaping plus handed
    /// to the socket and not yet written) before the proxy stops reading from the sender.
    /// 1 MiB is twice the bandwidth-delay product of the fastest shaped profile in testnets/
    /// (100 Mbit/s × 40 ms = 500 KB), so the cap does not throttle a link below its profile.
    /// Worst case: the five-node testnet (20 directed links, two directions) holds 40 MiB; the
    /// 64-node maximum 8 GiB, only if every link is saturated at once.
    public static let connectionBufferedBytesMax = 1 << 20
    /// How long the proxy waits for a target node to accept before refusing the dialer.
    public static let targetConnectSecondsMax: Int64 = 5
}
