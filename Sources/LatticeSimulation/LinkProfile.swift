/// How one simulated link behaves. With `Options.links == .mixed`, each pair of nodes
/// gets one of `fast`, `slow` and `lossy`, fixed by the pair so runs stay reproducible.
///
/// Mixed links model TCP, as the real wire is: a lost packet costs a retransmission
/// (`retransmitMilliseconds`, doubling per further loss), not the message. The fault
/// tests use the harsher `Faults.loss`, which drops messages outright.
public struct LinkProfile: Hashable, Sendable {
    public var name: String
    public var delayMilliseconds: UInt64
    public var jitterMilliseconds: UInt64
    /// Per mille of packets lost (each loss delays the message by a retransmission).
    public var lossPermille: Int
    /// TCP's retransmission timeout on this link (RFC 6298's 200 ms floor as Linux applies it).
    public var retransmitMilliseconds: UInt64 = 200
    /// Per mille of messages during which the connection breaks: that message and everything
    /// in flight is lost, and the link is down until it reconnects.
    public var breakPermille: Int = 0
    public var reconnectMilliseconds: UInt64 = 2_000
    /// Serialisation delay: a message takes `bytes / bytesPerMillisecond` extra ms.
    public var bytesPerMillisecond: UInt64

    /// A rack neighbour: 1 ms, 1 GB/s.
    public static let fast = LinkProfile(
        name: "fast",
        delayMilliseconds: 1,
        jitterMilliseconds: 0,
        lossPermille: 0,
        bytesPerMillisecond: 1_000_000
    )
    /// Across an ocean on a thin uplink: 150 ms ± 50, 1 Mb/s.
    public static let slow = LinkProfile(
        name: "slow",
        delayMilliseconds: 150,
        jitterMilliseconds: 50,
        lossPermille: 0,
        bytesPerMillisecond: 125
    )
    /// A phone on a poor cell: 40 ms ± 30, 10 Mb/s, 10% loss.
    public static let lossy = LinkProfile(
        name: "lossy",
        delayMilliseconds: 40,
        jitterMilliseconds: 30,
        lossPermille: 100,
        bytesPerMillisecond: 1_250,
        breakPermille: 10
    )

    public init(
        name: String,
        delayMilliseconds: UInt64,
        jitterMilliseconds: UInt64,
        lossPermille: Int,
        retransmitMilliseconds: UInt64 = 200,
        bytesPerMillisecond: UInt64,
        breakPermille: Int = 0,
        reconnectMilliseconds: UInt64 = 2_000
    ) {
        self.name = name
        self.delayMilliseconds = delayMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.lossPermille = lossPermille
        self.retransmitMilliseconds = retransmitMilliseconds
        self.bytesPerMillisecond = max(1, bytesPerMillisecond)
        self.breakPermille = breakPermille
        self.reconnectMilliseconds = reconnectMilliseconds
    }

    static func mixed(_ a: Int, _ b: Int) -> LinkProfile {
        [fast, slow, lossy][(min(a, b) * 7 + max(a, b) * 3) % 3]
    }
}
