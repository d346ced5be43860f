import NIOCore
import Synchronization

/// The proxy's shared state: which pairs are partitioned, the open connections of every link
/// and the link counters. Admitting a connection and partitioning its pair take the same lock,
/// so a connection is either refused or closed by the partition, never missed.
final class ProxyLinkTable: Sendable {
    private struct Connection {
        var link: Int
        var channels: [any Channel]
    }

    private struct Counters {
        var accepted = 0
        var refused = 0
        var bytesToTarget = 0
        var bytesFromTarget = 0
    }

    private struct State {
        var partitioned: Set<NodePair> = []
        var connections: [UInt64: Connection] = [:]
        var nextConnectionID: UInt64 = 0
        var counters: [Counters]
        var isShutDown = false
    }

    let links: [ProxyLink]
    private let state: Mutex<State>

    init(links: [ProxyLink]) {
        self.links = links
        self.state = Mutex(State(counters: Array(repeating: Counters(), count: links.count)))
    }

    /// Whether a new connection on `link` may proceed; counts a refusal when not.
    func mayConnect(_ link: Int) -> Bool {
        state.withLock { state in
            let allowed = !state.isShutDown && !state.partitioned.contains(links[link].pair)
            if !allowed { state.counters[link].refused += 1 }
            return allowed
        }
    }

    /// Registers a connected pair of channels; nil (and a refusal counted) when the link was
    /// partitioned or the proxy shut down meanwhile.
    func register(_ link: Int, _ channels: [any Channel]) -> UInt64? {
        state.withLock { state in
            guard !state.isShutDown, !state.partitioned.contains(links[link].pair) else {
                state.counters[link].refused += 1
                return nil
            }
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            state.connections[id] = Connection(link: link, channels: channels)
            state.counters[link].accepted += 1
            return id
        }
    }

    func unregister(_ id: UInt64) {
        _ = state.withLock { $0.connections.removeValue(forKey: id) }
    }

    /// Counts a refusal that happened after `mayConnect` (the target did not answer).
    func countRefused(_ link: Int) {
        state.withLock { $0.counters[link].refused += 1 }
    }

    func countDelivered(_ link: Int, toTarget: Bool, bytes: Int) {
        state.withLock { state in
            if toTarget {
                state.counters[link].bytesToTarget += bytes
            } else {
                state.counters[link].bytesFromTarget += bytes
            }
        }
    }

    /// Marks the pair partitioned and returns the channels of its open connections (to close).
    func partition(_ pair: NodePair) -> [any Channel] {
        state.withLock { state in
            state.partitioned.insert(pair)
            return state.connections.values.filter { links[$0.link].pair == pair }.flatMap(\.channels)
        }
    }

    /// Lifts the partition of `pair`; false when it was not partitioned.
    func heal(_ pair: NodePair) -> Bool {
        state.withLock { $0.partitioned.remove(pair) != nil }
    }

    /// Lifts every partition and returns the pairs that were partitioned.
    func healAll() -> [NodePair] {
        state.withLock { state in
            defer { state.partitioned.removeAll() }
            return state.partitioned.sorted { ($0.first, $0.second) < ($1.first, $1.second) }
        }
    }

    /// Refuses every new connection from now on and returns the open connections' channels.
    func shutDown() -> [any Channel] {
        state.withLock { state in
            state.isShutDown = true
            return state.connections.values.flatMap(\.channels)
        }
    }

    func statuses() -> [ProxyLinkStatus] {
        state.withLock { state in
            links.indices.map { index in
                let counters = state.counters[index]
                return ProxyLinkStatus(
                    link: links[index],
                    isPartitioned: state.partitioned.contains(links[index].pair),
                    openConnections: state.connections.values.count { $0.link == index },
                    acceptedConnections: counters.accepted,
                    refusedConnections: counters.refused,
                    bytesToTarget: counters.bytesToTarget,
                    bytesFromTarget: counters.bytesFromTarget
                )
            }
        }
    }
}
