import LatticeCrypto
import LatticeWire
import Logging
import NIOCore

/// Everything a listener or a dialler needs to run the wire protocol.
public struct TransportConfiguration: Sendable {
    /// The network name, as in the config; it is bound into the Noise prologue, so nodes of
    /// different networks fail the handshake.
    public var network: String
    /// Admission (allowed peer keys), versions, compression and limits.
    public var handshake: HandshakeConfiguration
    /// Builds the Noise XX handshake for one connection (with this node's static key and
    /// the prologue for `network`).
    public var makeHandshake: WireHandshakeFactory
    /// How long a connection may take to complete its handshake before it is closed.
    public var handshakeTimeout: TimeAmount
    /// Handshakes a server runs at once; connections past it are closed at accept, logged and
    /// counted (`TransportCounters.Snapshot.refusedBusy`). Each pending handshake holds a few KiB
    /// for at most `handshakeTimeout`, so this bounds what half-open connections can hold.
    public var handshakesPendingMax: Int = TransportConfiguration.handshakesPendingMaxDefault
    public static let handshakesPendingMaxDefault = 256
    /// Where log lines go; each names the peer address, the peer key prefix and the reason.
    public var logger: Logger
    /// Counters shared by every connection made with this configuration.
    public var counters: TransportCounters

    /// A handshake that has not finished after this long is closed: a real peer on a
    /// slow link needs two round trips, and an idle half-open connection must not hold a
    /// slot for long.
    public static let handshakeTimeoutDefault = TimeAmount.seconds(10)

    public init(
        network: String,
        handshake: HandshakeConfiguration,
        makeHandshake: @escaping WireHandshakeFactory,
        handshakeTimeout: TimeAmount = handshakeTimeoutDefault,
        logger: Logger = Logger(label: "lattice.transport"),
        counters: TransportCounters = TransportCounters()
    ) {
        self.network = network
        self.handshake = handshake
        self.makeHandshake = makeHandshake
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        self.counters = counters
    }

    /// The configuration of a node with `staticKeyPair` on `network` that admits
    /// `allowedPeerKeys`, speaks every supported version and compresses with zstd.
    public init(
        network: String,
        staticKeyPair: X25519KeyPair,
        allowedPeerKeys: Set<[UInt8]>,
        handshakeTimeout: TimeAmount = handshakeTimeoutDefault,
        logger: Logger = Logger(label: "lattice.transport"),
        counters: TransportCounters = TransportCounters()
    ) {
        self.init(
            network: network,
            handshake: HandshakeConfiguration(allowedPeerKeys: allowedPeerKeys, compressor: ZstdPayloadCompressor()),
            makeHandshake: LatticeNoise.handshakeFactory(network: network, staticKeyPair: staticKeyPair),
            handshakeTimeout: handshakeTimeout,
            logger: logger,
            counters: counters
        )
    }
}

/// An admitted peer, as the handshake established it.
public struct TransportPeer: Sendable, Hashable {
    /// The peer's static public key: its identity.
    public let staticKey: [UInt8]
    /// The wire version of this connection.
    public let version: UInt16
    /// What the peer announced.
    public let capabilities: WireCapabilities
    /// The peer's address, when the socket knows it.
    public let address: String
}
