import LatticeCore

/// A repair session in progress with one peer for one tenant.
struct RepairInProgress: Sendable {
    var id: UInt64
    var session: RepairSession
    var startedAt: UInt64
}

/// Sessions are kept apart by who started them, so two nodes that start repair with each other
/// at the same moment run two independent sessions.
struct RepairKey: Hashable, Sendable {
    var peer: String
    var tenant: String
    /// This node started the session.
    var ours: Bool
}

/// Session ids on the wire: the initiator sends its id as is (below 2^63); the responder sends
/// it with the top bit set. So a receiver knows whose session a message belongs to.
enum RepairSessionID {
    static let responderFlag: UInt64 = 1 << 63

    static func fromResponder(_ id: UInt64) -> UInt64 { id | responderFlag }
}

// Digest repair (`Protocols/sync-v1.md` §5): a slower round that finds what vectors cannot see
// (a record lost or damaged on disk, a replica restored with vectors ahead of its data) by
// set reconciliation over (key, state hash) with sketches from which the difference is read
// back (`RepairSession`), then exchanges exactly the states that differ. Cost grows with the number of differences, not with the number of keys.
//
// Permissions: a peer takes part only for tenants it may read and write; the responder answers
// only a peer that may read; entries are joined only from a peer that may write.
extension SyncEngine {
    /// How long a repair session may stay unfinished before a new one replaces it.
    public static let repairTimeoutMilliseconds: UInt64 = 120_000

    /// The least time between two repair sessions one peer starts here for one tenant. Each
    /// costs this node an index of the tenant and a sketch of every item (O(n) work for a message
    /// of a few hundred bytes), so a peer that restarts sessions in a loop would otherwise keep a
    /// core busy. Nodes start repair every few minutes (`repairInterval`, 300 s by default).
    public static let repairResponderIntervalMilliseconds: UInt64 = 5_000

    /// Starts a repair session with `peer` for every tenant it may read and write that has none
    /// running (or whose session timed out).
    public mutating func startRepair(with peer: String, now: UInt64) -> [Output] {
        guard let state = peers[peer], state.connected else { return [] }
        var out = [Output]()
        for tenant in tenants.keys.sorted() where state.policy.may(.readWrite, tenant) {
            let key = RepairKey(peer: peer, tenant: tenant, ours: true)
            if let running = repairs[key], now < running.startedAt + Self.repairTimeoutMilliseconds { continue }
            do {
                let id = nextRepairSession & ~RepairSessionID.responderFlag
                nextRepairSession += 1
                var session = try RepairSession(index: DigestIndex(tenants[tenant]!), session: id, secret: repairSecret)
                let first = try session.start()
                repairs[key] = RepairInProgress(id: id, session: session, startedAt: now)
                counters.repairsStarted += 1
                out.append(.send(to: peer, .repair(tenant: tenant, session: id, first)))
            } catch {
                counters.repairsFailed += 1
            }
        }
        return out
    }

    /// Repair sessions in progress, started by either side.
    public var repairsInProgress: Int { repairs.count }

    mutating func receiveRepair(
        _ tenant: String,
        session wireID: UInt64,
        _ message: RepairMessage,
        from peer: String,
        now: UInt64
    )
        -> [Output]
    {
        guard peers[peer]!.policy.may(.read, tenant) else {
            counters.unreadableTenantMessages += 1
            return []
        }
        // A reply in a session we started carries the responder flag; anything else is a step of
        // the peer's session, which we answer as responder.
        let ours = wireID & RepairSessionID.responderFlag != 0
        let id = wireID & ~RepairSessionID.responderFlag
        let key = RepairKey(peer: peer, tenant: tenant, ours: ours)
        var running: RepairInProgress
        if let existing = repairs[key], existing.id == id {
            running = existing
        } else if ours {
            // A reply in a session we no longer run (timed out or replaced): ignore it.
            counters.unsolicitedBatches += 1
            return []
        } else {
            // The peer starts a session: it replaces our responder session with it for the
            // tenant, if any; a session we started is separate and unaffected. At most one per
            // `repairResponderIntervalMilliseconds` (a message with a new id is the start).
            if let last = responderStarts[key], now < last &+ Self.repairResponderIntervalMilliseconds {
                counters.repairsThrottled += 1
                return []
            }
            responderStarts[key] = now
            do {
                running = RepairInProgress(
                    id: id,
                    session: try RepairSession(index: DigestIndex(tenants[tenant]!), session: id, secret: repairSecret),
                    startedAt: 0
                )
            } catch {
                counters.repairsFailed += 1
                return []
            }
        }
        let reply: RepairMessage?
        do {
            reply = try running.session.receive(message)
        } catch {
            counters.repairsFailed += 1
            repairs[key] = nil
            return []
        }
        var out = [Output]()
        let replyID = ours ? id : RepairSessionID.fromResponder(id)
        if let reply { out.append(.send(to: peer, .repair(tenant: tenant, session: replyID, reply))) }
        guard running.session.isFinished else {
            repairs[key] = running
            return out
        }
        repairs[key] = nil
        return out + repairTransfer(tenant, session: replyID, keys: running.session.keysToSend, to: peer)
    }

    /// The states the session found the peer lacks, in batches; always at least one message
    /// (`last`), so the peer knows the transfer ended.
    private mutating func repairTransfer(
        _ tenant: String,
        session: UInt64,
        keys: [String],
        to peer: String
    )
        -> [Output]
    {
        let entries = tenants[tenant]!.repairEntries(for: keys)
        counters.repairKeysSent += UInt64(entries.count)
        let size = max(1, batchKeys)
        var out = [Output]()
        var start = 0
        repeat {
            // Up to `batchKeys` entries and `SyncLimits.entriesBytesTarget` bytes (at least one).
            var end = start
            var bytes = 0
            while end < entries.count && end - start < size {
                let entryBytes = entries[end].encoded().count
                if end > start && bytes + entryBytes > SyncLimits.entriesBytesTarget { break }
                bytes += entryBytes
                end += 1
            }
            let chunk = Array(entries[start..<end])
            out.append(
                .send(
                    to: peer,
                    .repairEntries(tenant: tenant, session: session, entries: chunk, last: end == entries.count)
                )
            )
            start = end
        } while start < entries.count
        return out
    }

    /// Joins a peer's repair entries. Their session id and `last` flag are not checked
    /// (repair-v3 §10): entries join idempotently, so a late or unmatched transfer does no harm.
    mutating func receiveRepairEntries(_ tenant: String, _ entries: [RepairEntry], from peer: String) -> [Output] {
        if let refusal = refuseWrite(tenant, from: peer) { return refusal }
        guard !entries.isEmpty else { return [] }
        let admission = Admission(replica, tenants[tenant]!.context)
        guard entries.allSatisfy({ admission.admits($0.context) }) else {
            counters.malformedRefused += 1
            return []
        }
        guard tenants[tenant]!.repairApply(entries) else {
            // A pull is half received; the next repair round finds these keys again.
            counters.repairEntriesDropped += UInt64(entries.count)
            return []
        }
        counters.repairKeysJoined += UInt64(entries.count)
        return [.changed(tenant: tenant, keys: entries.map(\.key))]
    }
}
