import LatticeWire
import Logging
import NIOCore
import Synchronization

/// Hands out connection ids, so the loop can tell a connection's late events from its successor's.
final class ConnectionIDs: Sendable {
    private let next = Atomic<UInt64>(1)

    func make() -> UInt64 { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Runs one established connection: a reader that hands sync frames to the node's loop (waiting
/// for room, so a fast peer is slowed by TCP instead of growing memory) and a writer that drains
/// the frames the loop queues for the peer. The connection ends when either side ends.
struct PeerConnectionHandler: Sendable {
    let core: NodeCore
    let ids: ConnectionIDs
    let logger: Logger

    func serve(_ connection: TransportConnection) async {
        let peer = NodeIdentity.id(of: connection.peer.staticKey)
        let id = ids.make()
        let inbox = core.inbox
        let (frames, outbound) = AsyncStream<WireFrame>.makeStream(
            bufferingPolicy: .bufferingOldest(NodeLimits.outboundFramesQueuedMax)
        )
        var reason = "connection closed"
        do {
            reason = try await connection.run { inboundFrames, writer in
                inbox.post(
                    .connectionUp(peer: peer, connection: id, outbound: outbound, address: connection.peer.address)
                )
                return try await withThrowingTaskGroup(of: String.self) { group in
                    group.addTask {
                        for await frame in frames { try await writer.write(frame) }
                        return "closed by this node"
                    }
                    group.addTask {
                        for try await frame in inboundFrames {
                            guard frame.type == .sync else { continue }
                            await inbox.postAwaitingRoom(.received(peer: peer, connection: id, payload: frame.payload))
                        }
                        return "closed by the peer"
                    }
                    defer { group.cancelAll() }
                    let first = try await group.next() ?? "connection closed"
                    outbound.finish()
                    return first
                }
            }
        } catch {
            reason = "\(error)"
        }
        outbound.finish()
        inbox.post(.connectionDown(peer: peer, connection: id, reason: reason))
        logger.debug("connection ended", metadata: ["peer": "\(NodeIdentity.short(peer))", "reason": "\(reason)"])
    }
}
