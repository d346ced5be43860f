import LatticeCore
import LatticeSync
import LatticeWire
import Synchronization

/// What the node's loop handles, one batch at a time.
enum NodeEvent: Sendable {
    case write(tenant: String, key: String, CRDTOperation, reply: WriteReply)
    case connectionUp(peer: String, connection: UInt64, outbound: OutboundQueue, address: String)
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
    var outbound: OutboundQueue
    var address: String
}

/// The frames the loop queues for one connection's writer, bounded by count
/// (`NodeLimits.outboundFramesQueuedMax`) and by payload bytes
/// (`NodeLimits.outboundBytesQueuedMax`): a peer that does not read cannot make the node hold
/// more than that for it.
final class OutboundQueue: Sendable {
    let frames: AsyncStream<WireFrame>
    private let continuation: AsyncStream<WireFrame>.Continuation
    private let queuedBytes = Atomic<Int>(0)
    private let bytesMax: Int

    init(framesMax: Int = NodeLimits.outboundFramesQueuedMax, bytesMax: Int = NodeLimits.outboundBytesQueuedMax) {
        (frames, continuation) = AsyncStream<WireFrame>.makeStream(bufferingPolicy: .bufferingOldest(framesMax))
        self.bytesMax = bytesMax
    }

    /// Queues `frame`; false, queuing nothing, when either bound would be passed.
    func enqueue(_ frame: WireFrame) -> Bool {
        let size = frame.payload.count
        guard queuedBytes.add(size, ordering: .relaxed).newValue <= bytesMax else {
            queuedBytes.subtract(size, ordering: .relaxed)
            return false
        }
        if case .dropped = continuation.yield(frame) {
            queuedBytes.subtract(size, ordering: .relaxed)
            return false
        }
        return true
    }

    /// The writer took `frame` off the queue.
    func dequeued(_ frame: WireFrame) { queuedBytes.subtract(frame.payload.count, ordering: .relaxed) }

    /// Payload bytes queued and not yet taken by the writer.
    var bytesQueued: Int { queuedBytes.load(ordering: .relaxed) }

    /// Ends the stream: the writer stops after the frames already queued.
    func finish() { continuation.finish() }
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
