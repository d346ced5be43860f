import LatticeCore

/// A node's replication logic, without I/O: events go in, outputs come out, and a thin
/// shell (the NIO node, or the simulator) carries the outputs out. Time arrives as an
/// argument; the engine owns no clock, socket or random source.
///
/// | event | outputs |
/// |---|---|
/// | `connected(peer)` | nothing; the scheduler decides when to `startRound` |
/// | `startRound(with:now:)` | a `summary` per tenant the peer may read and write, unless that tenant is already pulling |
/// | `receive(.summary)` from a peer that may read | the whole answer, in batches of `batchKeys` |
/// | `receive(.batch)` of the current pull, from a peer that may write | `changed`; the last batch ends the pull |
/// | `receive(.push)`, `receive(.pushes)` from a peer that may write | `changed`; held while a pull is half received |
/// | `write(...)` | `push` to every connected peer that may read, and `changed` |
/// | anything about a tenant the peer may not read | nothing at all (counted) |
public struct SyncEngine: Sendable {
    public enum Output: Hashable, Sendable {
        case send(to: String, SyncMessage)
        /// Keys whose value changed here (for change observers). Empty when only the tenant's
        /// context or complete vector changed: what there is to persist, nothing to observe.
        case changed(tenant: String, keys: [String])
        /// A pull from `peer` completed (marks adopted) after receiving `keys` keys.
        case pullFinished(peer: String, tenant: String, keys: Int)
        /// `peer`'s summary shows it has completed about `dots` dots we have not: worth
        /// pulling from it soon (the scheduler's "most missing first").
        case peerAhead(peer: String, tenant: String, dots: UInt64)
    }

    public let replica: ReplicaID
    public internal(set) var tenants: [String: TenantReplica]
    public internal(set) var counters = SyncCounters()
    var peers: [String: PeerState]
    /// For each tenant, the one pull in progress: answers from two peers must not
    /// interleave (see `TenantReplica.receivingAnswer`).
    private var pulls: [String: Pull] = [:]
    /// Per tenant, pushes that arrived while a pull's answer was half received, with their
    /// senders: applied once the answer completes (see `SyncEngine+Pushes`).
    var deferredPushes: [String: [(peer: String, delta: KeyDelta)]] = [:]
    /// Encoded delta bytes in `deferredPushes`, per tenant.
    var deferredPushBytes: [String: Int] = [:]
    /// Digest repair sessions in progress, per (peer, tenant).
    var repairs: [RepairKey: RepairInProgress] = [:]
    /// When each peer last started a repair session here, per tenant: kept across reconnects, so
    /// a peer cannot make this node index a tenant more often than once per
    /// `repairResponderIntervalMilliseconds`.
    var responderStarts: [RepairKey: UInt64] = [:]
    var nextRepairSession: UInt64 = 1
    /// Seeds the choices repair's sketch decoding makes (`RepairSession`). A node sets it to a
    /// random secret so a peer cannot craft differences that are slow to decode here; the
    /// engine stays deterministic for a given secret.
    public var repairSecret: UInt64 = 0
    private var nextRound: UInt64 = 1
    /// Keys per batch in answers this engine sends.
    public var batchKeys: Int = 256
    /// How long a pull may wait for its answer before it is abandoned.
    public var pullTimeoutMilliseconds: UInt64 = 30_000

    struct PeerState: Sendable {
        let policy: PeerPolicy
        var connected = false
        /// The peer's complete vector per tenant, from its latest summary (for GC).
        var complete: [String: VersionVector] = [:]
    }

    struct Pull: Sendable {
        let peer: String
        let round: UInt64
        let startedAt: UInt64
        var arrived = Set<UInt32>()
        var last: (sequence: UInt32, mark: SyncBatch.Mark)?
        var keys = 0

        /// Every batch up to the one carrying the mark has arrived.
        var isComplete: Bool {
            guard let last else { return false }
            return arrived.count == Int(last.sequence) + 1
        }
    }

    /// `firstRound` must differ across restarts of the same replica (the shell passes
    /// something time-derived), so a late batch for a pull from before a crash cannot
    /// match a new pull.
    public init(replica: ReplicaID, tenants: [String], peers: [PeerPolicy], firstRound: UInt64 = 1) {
        self.init(
            replica: replica,
            restoring: Dictionary(uniqueKeysWithValues: tenants.map { ($0, TenantReplica(replica: replica)) }),
            peers: peers,
            firstRound: firstRound
        )
    }

    /// An engine over replicas restored from storage (a node restarting with its data). Every
    /// replica must belong to `replica`.
    public init(
        replica: ReplicaID,
        restoring replicas: [String: TenantReplica],
        peers: [PeerPolicy],
        firstRound: UInt64
    ) {
        precondition(replicas.values.allSatisfy { $0.replica == replica }, "restored replicas of another replica id")
        self.replica = replica
        nextRound = firstRound
        tenants = replicas
        self.peers = Dictionary(uniqueKeysWithValues: peers.map { ($0.id, PeerState(policy: $0)) })
    }

    public func value(tenant: String, key: String) -> CRDTValue? { tenants[tenant]?[key] }

    public func isConnected(_ peer: String) -> Bool { peers[peer]?.connected ?? false }

    // MARK: Connections

    public mutating func connected(_ peer: String) {
        peers[peer]?.connected = true
    }

    public mutating func disconnected(_ peer: String) {
        peers[peer]?.connected = false
        for (tenant, pull) in pulls where pull.peer == peer { abandonPull(tenant) }
        // Its repair sessions cannot go on; each holds a digest index of the tenant.
        repairs = repairs.filter { $0.key.peer != peer }
    }

    /// After a crash: every connection and pull is gone; data and vectors remain.
    public mutating func restart(firstRound: UInt64) {
        for id in peers.keys { peers[id]!.connected = false }
        for tenant in pulls.keys { abandonPull(tenant) }
        repairs = [:]
        nextRound = max(nextRound, firstRound)
    }

    /// When the pull of `tenant` in progress started, and from whom.
    public func pull(of tenant: String) -> (peer: String, startedAt: UInt64)? {
        pulls[tenant].map { ($0.peer, $0.startedAt) }
    }

    /// Abandons every pull from `peer` that started at or before `startedAt` (the shell's
    /// round timed out). Returns how many were abandoned.
    @discardableResult
    public mutating func abandonPulls(with peer: String, startedAtOrBefore startedAt: UInt64) -> Int {
        let stale = pulls.filter { $0.value.peer == peer && $0.value.startedAt <= startedAt }.map(\.key)
        for tenant in stale { abandonPull(tenant) }
        counters.pullsTimedOut += UInt64(stale.count)
        return stale.count
    }

    private mutating func abandonPull(_ tenant: String) {
        pulls[tenant] = nil
        tenants[tenant]?.abandonAnswer()
        // The callers that abandon (a disconnect, a timeout, a crash) have no outputs to report
        // changed keys with, so the node could not persist them: dropped, counted, and carried
        // by the next round with their senders.
        counters.pushesDropped += UInt64(deferredPushes.removeValue(forKey: tenant)?.count ?? 0)
        deferredPushBytes[tenant] = nil
    }

    // MARK: Rounds

    /// Starts pulling every eligible tenant from `peer`. Abandons pulls that timed out.
    public mutating func startRound(with peer: String, now: UInt64) -> [Output] {
        guard let state = peers[peer], state.connected else { return [] }
        var out = [Output]()
        for tenant in tenants.keys.sorted() where state.policy.may(.readWrite, tenant) {
            if let pull = pulls[tenant] {
                guard now >= pull.startedAt + pullTimeoutMilliseconds else { continue }
                counters.pullsTimedOut += 1
                abandonPull(tenant)
            }
            let round = nextRound
            nextRound += 1
            pulls[tenant] = Pull(peer: peer, round: round, startedAt: now)
            out.append(.send(to: peer, .summary(tenant: tenant, round: round, complete: tenants[tenant]!.complete)))
        }
        return out
    }

    // MARK: Local writes

    /// Performs a local write. Returns the delta (what the shell persists before it
    /// acknowledges) and the outputs (pushes to peers, the change notification).
    public mutating func write(
        tenant: String,
        key: String,
        _ op: CRDTOperation,
        at timestamp: HLCTimestamp
    )
        throws(ReplicaError) -> (delta: KeyDelta, outputs: [Output])
    {
        guard tenants[tenant] != nil else {
            throw ReplicaError(.rejected, "tenant \(tenant.debugDescription) is not served by this node")
        }
        let delta = try tenants[tenant]!.write(key, op, at: timestamp)
        var out: [Output] = [.changed(tenant: tenant, keys: [key])]
        for (id, p) in peers.sorted(by: { $0.key < $1.key }) where p.connected && p.policy.may(.read, tenant) {
            out.append(.send(to: id, .push(tenant: tenant, delta)))
        }
        return (delta, out)
    }

    // MARK: Inbound messages

    /// Applies a peer's message. `now` (milliseconds, the same clock as `startRound`) paces the
    /// repair sessions a peer may start here.
    public mutating func receive(_ message: SyncMessage, from peer: String, now: UInt64) -> [Output] {
        guard let state = peers[peer] else {
            counters.unknownPeerMessages += 1
            return []
        }
        let tenant = message.tenant
        guard tenants[tenant] != nil, state.policy.may(.read, tenant) || state.policy.may(.write, tenant) else {
            // Not even an error: a peer learns nothing about tenants it may not read.
            counters.unreadableTenantMessages += 1
            return []
        }
        switch message {
        case let .summary(_, round, complete): return answer(tenant, round: round, complete: complete, to: peer)
        case let .batch(_, round, sequence, batch):
            return receiveBatch(tenant, round: round, sequence: sequence, batch, from: peer)
        case let .push(_, delta): return receivePushes(tenant, [delta], from: peer)
        case let .pushes(_, deltas): return receivePushes(tenant, deltas, from: peer)
        case .refused:
            counters.refusalsReceived += 1
            return []
        case let .repair(_, session, step): return receiveRepair(tenant, session: session, step, from: peer, now: now)
        case let .repairEntries(_, _, entries, _):
            return receiveRepairEntries(tenant, entries, from: peer)
        }
    }

    private mutating func answer(_ tenant: String, round: UInt64, complete: VersionVector, to peer: String) -> [Output]
    {
        guard peers[peer]!.policy.may(.read, tenant) else {
            counters.unreadableTenantMessages += 1
            return []
        }
        peers[peer]!.complete[tenant] = complete
        let replica = tenants[tenant]!
        var answer = replica.answer(to: complete)
        var out = [Output]()
        let ahead = complete.entries.reduce(UInt64(0)) { sum, e in
            sum + (e.counter > replica.complete[e.replica] ? e.counter - replica.complete[e.replica] : 0)
        }
        if ahead > 0 { out.append(.peerAhead(peer: peer, tenant: tenant, dots: ahead)) }
        var sequence: UInt32 = 0
        repeat {
            // The last batch takes whatever remains once the answer reaches its batch limit.
            let last = Int(sequence) + 1 >= SyncLimits.batchesPerAnswerMax
            let batch = replica.nextBatch(
                of: &answer,
                limit: max(last ? answer.remainingKeys : batchKeys, 1),
                bytesTarget: last ? .max : SyncLimits.entriesBytesTarget
            )
            counters.keysSent += UInt64(batch.entries.count)
            out.append(.send(to: peer, .batch(tenant: tenant, round: round, sequence: sequence, batch)))
            sequence += 1
        } while answer.remainingKeys > 0
        return out
    }

    private mutating func receiveBatch(
        _ tenant: String,
        round: UInt64,
        sequence: UInt32,
        _ batch: SyncBatch,
        from peer: String
    ) -> [Output] {
        if let refusal = refuseWrite(tenant, from: peer) { return refusal }
        guard var pull = pulls[tenant], pull.peer == peer, pull.round == round,
            pull.arrived.insert(sequence).inserted
        else {
            counters.unsolicitedBatches += 1
            return []
        }
        guard tenants[tenant]!.admits(batch) else {
            // A peer claiming our own future counters, or a context past its limits.
            counters.malformedRefused += 1
            abandonPull(tenant)
            return []
        }
        var entries = batch
        entries.mark = nil
        tenants[tenant]!.receive(entries)
        counters.keysReceived += UInt64(batch.entries.count)
        if let mark = batch.mark { pull.last = (sequence, mark) }
        pull.keys += batch.entries.count
        var out: [Output] = batch.entries.isEmpty ? [] : [.changed(tenant: tenant, keys: batch.entries.map(\.key))]
        if pull.isComplete {
            let before = (tenants[tenant]!.context, tenants[tenant]!.complete)
            tenants[tenant]!.adopt(pull.last!.mark)
            if out.isEmpty && (before.0 != tenants[tenant]!.context || before.1 != tenants[tenant]!.complete) {
                out.append(.changed(tenant: tenant, keys: []))
            }
            pulls[tenant] = nil
            out.append(.pullFinished(peer: peer, tenant: tenant, keys: pull.keys))
            out += applyDeferredPushes(tenant)
        } else {
            pulls[tenant] = pull
        }
        return out
    }

    /// `nil` when `peer` may write `tenant`; otherwise the refusal to send (only to a peer
    /// that may read the tenant — others learn nothing).
    mutating func refuseWrite(_ tenant: String, from peer: String) -> [Output]? {
        let policy = peers[peer]!.policy
        guard !policy.may(.write, tenant) else { return nil }
        counters.writesRefused += 1
        guard policy.may(.read, tenant) else { return [] }
        return [
            .send(
                to: peer,
                .refused(
                    tenant: tenant,
                    code: "write_denied",
                    message: "this node does not accept writes to \(tenant) from you"
                )
            )
        ]
    }

    // MARK: Garbage collection

    /// Purges tombstones every replica of each tenant has completed: this node and every
    /// configured peer that may read the tenant. A peer whose vector is unknown blocks GC.
    @discardableResult
    public mutating func collectGarbage() -> Int {
        var purged = 0
        for tenant in tenants.keys where tenants[tenant]!.keys.values.contains(where: \.isTombstone) {
            // The meet costs O(peers × replicas): only worth it when there is something to purge.
            var stable = tenants[tenant]!.complete
            var known = true
            for p in peers.values where p.policy.may(.read, tenant) {
                guard let v = p.complete[tenant] else {
                    known = false
                    break
                }
                stable = stable.meet(v)
            }
            if known { purged += tenants[tenant]!.collectGarbage(stable: stable) }
        }
        return purged
    }
}

/// What the engine counted; the node reports these as metrics.
public struct SyncCounters: Hashable, Sendable {
    public var keysSent: UInt64 = 0
    public var keysReceived: UInt64 = 0
    public var pushesApplied: UInt64 = 0
    /// Pushes held while a pull's answer was half received (applied when it completes).
    public var pushesDeferred: UInt64 = 0
    /// Pushes not applied: held past `SyncEngine.deferredPushesMax` or `deferredPushBytesMax`,
    /// or held by a pull that was abandoned. The next round with their sender carries them.
    public var pushesDropped: UInt64 = 0
    /// Repair entries dropped because a pull's answer was half received (the next repair
    /// session finds those keys again).
    public var repairEntriesDropped: UInt64 = 0
    public var writesRefused: UInt64 = 0
    public var unreadableTenantMessages: UInt64 = 0
    public var unsolicitedBatches: UInt64 = 0
    public var unknownPeerMessages: UInt64 = 0
    public var refusalsReceived: UInt64 = 0
    public var pullsTimedOut: UInt64 = 0
    /// Pushes and batches refused by `TenantReplica.admits`.
    public var malformedRefused: UInt64 = 0
    /// Repair sessions started here, and sessions that ended with an error (dropped).
    public var repairsStarted: UInt64 = 0
    public var repairsFailed: UInt64 = 0
    /// Repair sessions a peer started sooner than `repairResponderIntervalMilliseconds` after
    /// its previous one for the tenant: dropped without an answer.
    public var repairsThrottled: UInt64 = 0
    /// Keys whose states repair sent and joined.
    public var repairKeysSent: UInt64 = 0
    public var repairKeysJoined: UInt64 = 0
}
