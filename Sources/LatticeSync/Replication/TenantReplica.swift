import LatticeCore

/// One tenant's replicated keyspace, in memory: the reference model of causal delta sync.
///
/// All keys share one causal context (the tenant is one big OR-map), so a dot is unique
/// across the tenant and the context is a compact version vector plus a small cloud.
///
/// Two vectors, two jobs:
/// - `context` is the CRDT context: the dots whose fate (live or removed) this replica
///   knows. Joins use it. It can learn of a dot from another delta's context without
///   having applied that dot's own effects.
/// - `complete` is what sync summaries carry: for each origin, the counter up to which
///   every dot's effects are applied here. It advances only on a local write, an in-order
///   push from that origin, or a finished sync answer — so a peer never skips a key this
///   replica still needs. (Using the context instead loses writes: learn of dot x from a
///   delta's context, then receive late a dot y that x had replaced; y comes back, and no
///   vector shows it.)
///
/// The simulator runs many of these; the LMDB replica store implements the same rules on
/// disk, and its tests compare against this model.
public struct TenantReplica: Sendable {
    public let replica: ReplicaID
    public private(set) var context: CausalContext
    public private(set) var complete: VersionVector
    public private(set) var keys: [String: KeyState]
    /// An inbound answer is half received: pushes wait, so nothing interleaves between
    /// its batches and the marks its last batch carries.
    public private(set) var receivingAnswer = false

    public init(replica: ReplicaID) {
        self.replica = replica
        context = CausalContext()
        complete = VersionVector()
        keys = [:]
    }

    /// A replica restored from storage: its key states (tombstones included) and both vectors
    /// as they were persisted. No answer is half received after a restart.
    public init(replica: ReplicaID, context: CausalContext, complete: VersionVector, keys: [String: KeyState]) {
        self.replica = replica
        self.context = context
        self.complete = complete
        self.keys = keys
    }

    public subscript(key: String) -> CRDTValue? {
        guard let s = keys[key], !s.isTombstone else { return nil }
        return s.value
    }

    /// Live keys (tombstones excluded).
    public var liveKeys: [String] { keys.filter { !$0.value.isTombstone }.map(\.key) }

    // MARK: Local writes and eager push

    /// Performs `operation` on `key` as this replica and returns the delta to push.
    public mutating func write(
        _ key: String,
        _ operation: CRDTOperation,
        at timestamp: HLCTimestamp
    )
        throws(ReplicaError) -> KeyDelta
    {
        guard key.utf8.count <= CoreLimits.keyBytesMax else {
            throw ReplicaError(.invalidKey, "key is \(key.utf8.count) bytes; the limit is \(CoreLimits.keyBytesMax)")
        }
        let current = keys[key]?.value ?? .empty
        let dot = context.nextDot(for: replica)
        let delta: Causal<CRDTValue>
        do {
            delta = try current.delta(for: operation, dot: dot, timestamp: timestamp)
        } catch {
            throw ReplicaError(.rejected, "\(key.debugDescription): \(error.message)")
        }
        let kd = KeyDelta(key: key, dot: dot, delta: delta)
        join(kd)
        complete[replica] = dot.counter
        return kd
    }

    // MARK: What a replica takes in

    /// Whether a peer's context (or value) may be joined here: it claims none of this
    /// replica's own counters beyond those it issued — else one lying peer could push our
    /// next counter to the limit, or make us treat our future writes as already seen — and
    /// joining it keeps our dot cloud within `CoreLimits.cloudDotsMax`.
    public func admits(_ incoming: CausalContext) -> Bool { Admission(replica, context).admits(incoming) }

    /// Whether every part of `batch` passes `admits`.
    public func admits(_ batch: SyncBatch) -> Bool { Admission(replica, context).admits(batch) }

    /// Whether `d` passes `admits`.
    public func admits(_ d: KeyDelta) -> Bool { Admission(replica, context).admits(d) }

    /// Joins a pushed delta; idempotent and correct in any order. Returns false, changing
    /// nothing, while an inbound sync answer is half received (the caller retries after it,
    /// or drops the push — the next sync round carries the same write) or when the delta
    /// fails `admits` (the caller counts that as malformed input from the peer).
    @discardableResult
    public mutating func apply(_ d: KeyDelta) -> Bool {
        guard !receivingAnswer, admits(d) else { return false }
        join(d)
        // A push applies all of its own dot's effects (its context lists what it replaced),
        // so the origin's complete counter moves when the pushes arrive in order.
        if complete[d.dot.replica] == d.dot.counter - 1 { complete[d.dot.replica] = d.dot.counter }
        return true
    }

    private mutating func join(_ d: KeyDelta) {
        var state = keys[d.key] ?? KeyState()
        state.value.join(d.delta.store, d.delta.context, ownContext: context)
        state.version.merge(VersionVector(maxima: d.delta.context))
        keys[d.key] = state
        context.formUnion(d.delta.context)
    }

    // MARK: Causal delta sync

    /// Starts answering a peer whose complete vector is `peer`: every key with an effect
    /// the peer has not completed. Cost here is O(keys); the on-disk store answers the same
    /// question with one range scan per origin over its (origin, counter) index.
    public func answer(to peer: VersionVector) -> SyncAnswer {
        let missing = keys.filter { $0.value.isMissing(from: peer) }.map(\.key)
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return SyncAnswer(pending: missing[...], markContext: context, markComplete: complete)
    }

    /// The next at most `limit` keys of `answer`; the last batch carries the marks.
    public func nextBatch(
        of answer: inout SyncAnswer,
        limit: Int,
        bytesTarget: Int = SyncLimits.entriesBytesTarget
    ) -> SyncBatch {
        precondition(limit > 0, "a sync batch must hold at least one key")
        var entries: [SyncEntry] = []
        var bytes = 0
        var taken = 0
        for k in answer.pending.prefix(limit) {
            if let state = keys[k] {
                let size = SyncEntry.encodedBytes(key: k, state: state)
                if !entries.isEmpty && bytes + size > bytesTarget { break }
                entries.append(SyncEntry(key: k, state: state))
                bytes += size
            }
            taken += 1
        }
        answer.pending = answer.pending.dropFirst(taken)
        let mark =
            answer.pending.isEmpty
            ? SyncBatch.Mark(context: answer.markContext, complete: answer.markComplete) : nil
        return SyncBatch(entries: entries, senderContext: context, mark: mark)
    }

    /// Joins one batch of an answer; on the last one, adopts its marks. Returns false,
    /// changing nothing, when the batch fails `admits`.
    @discardableResult
    public mutating func receive(_ batch: SyncBatch) -> Bool {
        guard admits(batch) else { return false }
        var received = [Dot]()
        for entry in batch.entries {
            var state = keys[entry.key] ?? KeyState()
            state.value.join(entry.state.value, batch.senderContext, ownContext: context)
            state.version.merge(entry.state.version)
            keys[entry.key] = state
            entry.state.value.forEachDot { received.append($0) }
        }
        // Each key was joined against the context as it stood before this batch; the
        // received dots join it afterwards, in one step.
        context.formUnion(CausalContext(dots: received))
        receivingAnswer = true
        if let mark = batch.mark { adopt(mark) }
        return true
    }

    /// Adopts an answer's completeness marks. Only once every batch of the answer has been
    /// received: the marks claim that every key behind them has arrived.
    public mutating func adopt(_ mark: SyncBatch.Mark) {
        context.formUnion(mark.context)
        complete.merge(mark.complete)
        receivingAnswer = false
    }

    /// Replaces whole key states, as digest repair does after joining them itself; the
    /// context gains their dots and the complete vector is unchanged. O(entries).
    public mutating func replaceStates(_ states: [(key: String, state: KeyState)]) {
        var dots = [Dot]()
        for (key, state) in states {
            keys[key] = state
            state.value.forEachDot { dots.append($0) }
        }
        context.formUnion(CausalContext(dots: dots))
    }

    /// Gives up on a half-received answer (its peer went away or timed out). What arrived
    /// stays joined — every join is valid on its own — but no mark was adopted, so the
    /// complete vector still shows what is missing and the next answer resends it.
    public mutating func abandonAnswer() {
        receivingAnswer = false
    }

    // MARK: Garbage collection by causal stability

    /// Drops tombstones that every replica has completed. `stable` is the meet (entrywise
    /// minimum) of the complete vectors of every known replica, this one included — never
    /// a wall-clock age: a replica offline for a month still holds the vector that keeps
    /// its missing deletes alive. Returns the number of tombstones purged.
    @discardableResult
    public mutating func collectGarbage(stable: VersionVector) -> Int {
        var purged = 0
        for (key, state) in keys where state.isTombstone && stable.dominates(state.version) {
            keys[key] = nil
            purged += 1
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
