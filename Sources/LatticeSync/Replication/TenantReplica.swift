import LatticeCore

/// One tenant's replicated keyspace, in memory: the reference model of causal delta sync.
///
/// All keys share one causal context (the tenant is one big OR-map), so a dot is unique
/// across the tenant and the context is a compact version vector plus a small cloud.
/// The simulator runs many of these; the LMDB replica store implements the same rules
/// on disk, and its tests compare against this model.
public struct TenantReplica: Sendable {
    public let replica: ReplicaID
    public private(set) var context: CausalContext
    public private(set) var keys: [String: KeyState]

    public init(replica: ReplicaID) {
        self.replica = replica
        context = CausalContext()
        keys = [:]
    }

    public subscript(key: String) -> CRDTValue? {
        guard let s = keys[key], !s.isTombstone else { return nil }
        return s.value
    }

    /// Live keys (tombstones excluded).
    public var liveKeys: [String] { keys.filter { !$0.value.isTombstone }.map(\.key) }

    // MARK: Local writes and eager push

    /// Performs `operation` on `key` as this replica and returns the delta to push.
    public mutating func write(_ key: String, _ operation: CRDTOperation, at timestamp: HLCTimestamp)
        throws(ReplicaError) -> KeyDelta
    {
        guard key.utf8.count <= CoreLimits.keyBytesMax else {
            throw ReplicaError(.invalidKey, "key is \(key.utf8.count) bytes; the limit is \(CoreLimits.keyBytesMax)")
        }
        let current = keys[key]?.value ?? .empty
        let delta: Causal<CRDTValue>
        do {
            delta = try current.delta(for: operation, dot: context.nextDot(for: replica), timestamp: timestamp)
        } catch {
            throw ReplicaError(.rejected, "\(key.debugDescription): \(error.message)")
        }
        let kd = KeyDelta(key: key, delta: delta)
        apply(kd)
        return kd
    }

    /// Joins a pushed delta. Idempotent, and correct in any order.
    public mutating func apply(_ d: KeyDelta) {
        var state = keys[d.key] ?? KeyState()
        state.value.join(d.delta.store, d.delta.context, ownContext: context)
        state.version.merge(VersionVector(maxima: d.delta.context))
        keys[d.key] = state
        context.formUnion(d.delta.context)
    }

    // MARK: Causal delta sync

    /// The keys a peer with context `peer` lacks, at most `limit` of them, after `cursor`.
    ///
    /// Only the peer's vector is consulted, not its cloud: a key whose latest dot sits in
    /// the peer's cloud may still carry earlier effects the peer missed, so it is resent.
    /// Cost here is O(keys); the on-disk store answers the same question with one range
    /// scan per origin over its (origin, counter) index, O(difference).
    public func batch(for peer: CausalContext, after cursor: String? = nil, limit: Int) -> SyncBatch {
        precondition(limit > 0, "a sync batch must hold at least one key")
        let missing = keys.filter { $0.value.isMissing(from: peer.vector) }.map(\.key)
            .filter { k in cursor.map { $0.utf8.lexicographicallyPrecedes(k.utf8) } ?? true }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let page = missing.prefix(limit)
        let isLast = page.count == missing.count
        return SyncBatch(
            entries: page.map { SyncEntry(key: $0, state: keys[$0]!) },
            senderContext: context,
            isLast: isLast,
            cursor: isLast ? nil : page.last)
    }

    /// Joins one batch; on the last one, adopts the sender's context.
    public mutating func receive(_ batch: SyncBatch) {
        var received = [Dot]()
        for entry in batch.entries {
            var state = keys[entry.key] ?? KeyState()
            state.value.join(entry.state.value, batch.senderContext, ownContext: context)
            state.version.merge(entry.state.version)
            keys[entry.key] = state
            entry.state.value.forEachDot { received.append($0) }
        }
        // Joined in one step after the loop: each key was joined against the context as it
        // stood before this batch, which is what the sender's context was compared with.
        context.formUnion(CausalContext(dots: received))
        if batch.isLast { context.formUnion(batch.senderContext) }
    }

    // MARK: Garbage collection by causal stability

    /// Drops tombstones and key-version entries that every replica has seen. `stable` is
    /// the meet (entrywise minimum) of the vectors of every known replica, this one
    /// included — never a wall-clock age: a replica that was offline for a month still
    /// holds the vector that keeps its missing deletes alive.
    /// Returns the number of tombstones purged.
    @discardableResult
    public mutating func collectGarbage(stable: VersionVector) -> Int {
        var purged = 0
        for (key, state) in keys {
            if state.isTombstone && stable.dominates(state.version) {
                keys[key] = nil
                purged += 1
            }
        }
        return purged
    }
}

/// A write or sync step the replica refused.
public struct ReplicaError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }
        /// The key name is not acceptable (too long).
        public static let invalidKey = Code(name: "invalid_key")
        /// The operation does not apply to the key's value (type mismatch, limit).
        public static let rejected = Code(name: "rejected")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
