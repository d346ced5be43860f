import LatticeCore
import LatticeSync
import Synchronization

/// A key whose value changed on this node, by a local write or by data from a peer.
public struct NodeChange: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// Written through this node's API.
        case local
        /// Arrived from the peer with this id.
        case peer(String)
    }

    public var tenant: String
    public var key: String
    /// The value after the change; `nil` when the key is now deleted.
    public var value: CRDTValue?
    public var origin: Origin
}

/// Hands every change to every current observer. Each observer has its own bounded buffer:
/// one that falls more than ``NodeLimits/changeBufferMax`` changes behind loses the oldest
/// (counted in ``dropped``), so a stuck observer never grows the node's memory.
final class ChangeBroadcaster: Sendable {
    private struct State {
        var observers: [Int: AsyncStream<NodeChange>.Continuation] = [:]
        var nextID = 0
        var dropped: UInt64 = 0
    }

    private let state = Mutex(State())

    var dropped: UInt64 { state.withLock { $0.dropped } }

    func subscribe() -> AsyncStream<NodeChange> {
        let (stream, continuation) = AsyncStream<NodeChange>.makeStream(
            bufferingPolicy: .bufferingNewest(NodeLimits.changeBufferMax)
        )
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            s.observers[s.nextID] = continuation
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ changes: [NodeChange]) {
        guard !changes.isEmpty else { return }
        let observers = state.withLock { Array($0.observers.values) }
        var lost: UInt64 = 0
        for observer in observers {
            for change in changes {
                if case .dropped = observer.yield(change) { lost += 1 }
            }
        }
        if lost > 0 { state.withLock { $0.dropped += lost } }
    }

    func finish() {
        let observers = state.withLock { s in
            defer { s.observers = [:] }
            return Array(s.observers.values)
        }
        for observer in observers { observer.finish() }
    }
}

/// Limits of the node shell, each bounding memory that input from peers or API callers could grow.
public enum NodeLimits {
    /// Events queued for the node's loop before connection readers wait (TCP backpressure).
    public static let inboxEventsMax = 4_096
    /// Events the loop handles per durable commit.
    public static let eventsPerStepMax = 512
    /// Frames queued to one peer before the connection is judged too slow and closed (the
    /// next round resends what it lacked).
    public static let outboundFramesQueuedMax = 8_192
    /// Pushes held for one peer while its coalescing window is open; more are sent at once.
    /// They leave as one `pushes` message per tenant, so this is at most that message's limit.
    public static let pushesCoalescedMax = SyncLimits.pushesPerMessageMax
    /// Changes buffered per observer of ``LatticeNode/changes()``.
    public static let changeBufferMax = 10_000
}
