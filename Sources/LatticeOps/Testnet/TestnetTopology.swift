/// A testnet: the nodes to run on one host and the links between them, each with a link
/// profile (latency, jitter, loss, bandwidth) that a userspace shaping proxy — or the
/// simulator — applies, since the kernel here has no netem. Read from `testnets/*.toml`
/// by `TopologyLoader`; the format is described in `testnets/README.md`.
public struct TestnetTopology: Sendable, Hashable {
    public var name: String
    public var description: String
    /// The sync preset every node runs.
    public var profile: NetworkProfile
    public var nodes: [String]
    /// Undirected links; a pair without one cannot talk.
    public var links: [TestnetLink]
    public var linkProfiles: [String: TestnetLinkProfile]

    /// The profile of the link between `a` and `b`, `nil` when they are not linked.
    public func link(_ a: String, _ b: String) -> TestnetLinkProfile? {
        links.first { ($0.a == a && $0.b == b) || ($0.a == b && $0.b == a) }.flatMap { linkProfiles[$0.profile] }
    }
}

public struct TestnetLink: Sendable, Hashable {
    public var a: String
    public var b: String
    public var profile: String
}

/// How one link behaves. All zero is an unshaped loopback link.
public struct TestnetLinkProfile: Sendable, Hashable {
    public var delayMilliseconds: UInt64 = 0
    public var jitterMilliseconds: UInt64 = 0
    /// Packet loss, in per mille (0.5% is 5).
    public var lossPermille: Int = 0
    /// `nil`: unshaped.
    public var bandwidthBitsPerSecond: UInt64?

    public init(
        delayMilliseconds: UInt64 = 0,
        jitterMilliseconds: UInt64 = 0,
        lossPermille: Int = 0,
        bandwidthBitsPerSecond: UInt64? = nil
    ) {
        self.delayMilliseconds = delayMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.lossPermille = lossPermille
        self.bandwidthBitsPerSecond = bandwidthBitsPerSecond
    }

    /// The profile every topology has: no shaping at all.
    public static let loopback = TestnetLinkProfile()
}

/// Limits on topology files: a testnet runs on one machine.
public enum TestnetLimits {
    /// Nodes in one testnet. Each is a process with its own store; 64 is far past what
    /// a 2-core machine runs usefully, and bounds the links at 2,016.
    public static let nodesMax = 64
    public static let linkProfilesMax = 64
    public static let nameBytesMax = 64
    /// Ten minutes of one-way delay is no network anyone tests against.
    public static let delayMillisecondsMax: UInt64 = 600_000
}
