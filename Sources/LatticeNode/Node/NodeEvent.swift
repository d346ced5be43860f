import LatticeCore
import LatticeSync
import LatticeWire

/// What the node's loop handles, one batch at a time.
enum NodeEvent: Sendable {
    case write(tenant: String, key: String, CRDTOperation, reply: WriteReply)
    case connectionUp(peer: String, connection: UInt64, outbound: AsyncStream<WireFrame>.Continuation, address: String)
    case connectionDown(peer: String, connection: UInt64, reason: String)
    case received(peer: String, connection: UInt64, payload: [UInt8])
    case dialFailed(peer: String, reason: String)
    case tick(generation: UInt64)
    case roundTimeout(peer: String, startedAt: UInt64)
    case syncNow(peer: String?, reply: CheckedContinuation<Int, Never>)
    case collectGarbage
    /// Digest repair with `peer`, or with the next connected peer in turn; replies with the
    /// sessions started.
    case repair(peer: String?, reply: CheckedContinuation<Int, Never>?)
}

/// Where a write's outcome goes once its commit is durable (or failed).
struct WriteReply: Sendable {
    let continuation: CheckedContinuation<Void, any Error>
}

/// One connection to a peer, as the loop knows it.
struct PeerLink: Sendable {
    var connection: UInt64
    var outbound: AsyncStream<WireFrame>.Continuation
    var address: String
}

/// Traffic and history of one peer, for the admin socket.
struct PeerStats: Sendable {
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    var messagesIn: UInt64 = 0
    var messagesOut: UInt64 = 0
    var malformed: UInt64 = 0
    var lastError: String?
    var dialing = false
    /// Per tenant: dots the peer's last summary showed us missing, or that it lacks from us.
    var aheadOfUs: [String: UInt64] = [:]
}

/// A round this node started, until its pulls finish, it times out, or the link drops.
struct RoundState: Sendable {
    var startedAt: UInt64
    var awaitingConnection: Bool
    var tenantsPending = 0
    var bytes = 0
    var entries = 0
    var timeout: Duration
}
