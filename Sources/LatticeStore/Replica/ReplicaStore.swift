import LatticeCore
import LatticeCrypto
import LatticeSync
import Synchronization

/// The replicated CRDT keyspace of every tenant, on top of ``Store``: causal delta sync on disk,
/// with the rules of `TenantReplica` (LatticeSync's in-memory reference model) and
/// `Protocols/sync-v1.md`.
///
/// Per tenant it keeps, all sealed with the tenant's key except the index:
/// - key → `KeyState` (value and key version) in the `records` table (kind `crdt`);
/// - the tenant's `CausalContext` (the dots whose fate is known), `tenant-state` slot 1;
/// - a digest for repair, `tenant-state` slot 2: the XOR over live keys of
///   BLAKE2b-256("lattice.digest.v1" | key length (2) | key | canonical value encoding). XOR makes
///   it order-free and updatable per write; equal states give equal digests on every node;
/// - the **complete vector**, `tenant-state` slot 3: for each origin, the counter up to which
///   every dot's effects are applied here. Summaries carry it; it advances only on a local write,
///   an in-order push, or adopting a fully received answer's marks;
/// - an index of key versions in the `dots` table: `tenant# | origin (16) | counter (8) | key hash`
///   → empty, one entry per (key, origin) holding that origin's counter in the key version, so
///   "every key touched after counter N of origin R" is one range scan, O(difference).
///
/// Every change is one durable group commit: a call returns once its commit is durable.
/// Reads run on the caller's thread and never wait for the writer.
///
/// Sync steps of one tenant (receive, adopt, abandon, pushes) are meant to come from one
/// driver in order, as `SyncEngine` issues them; the store keeps them consistent if they race,
/// but their order is then the order their commits happen in.
public final class ReplicaStore: Sendable {
    /// This data directory's replica id: random, made when the directory was first used, never
    /// reused (a node that lost its data gets a new one, so it never reissues old dots).
    public let replica: ReplicaID
    public let store: Store
    /// Tenants with an inbound answer half received. In memory on purpose: after a restart the
    /// pull that sent the answer is gone, which is abandoning it — what arrived stays joined, no
    /// mark was adopted, and the next pull resends what is missing.
    private let receiving = Mutex<Set<String>>([])

    static let replicaIDKey = Array("replica-id".utf8)

    private init(store: Store, replica: ReplicaID) {
        self.store = store
        self.replica = replica
    }

    /// The replica layer of `store`, making this directory's replica id on first use.
    public static func open(_ store: Store) async throws -> ReplicaStore {
        let meta = store.tables.meta
        let fresh = Random.bytes(count: ReplicaID.byteCount)
        let bytes: [UInt8] = try await store.write { w in
            if let existing = try w.txn.get(meta, replicaIDKey) { return Array(existing) }
            try w.txn.put(meta, replicaIDKey, fresh)
            return fresh
        }
        guard let replica = ReplicaID(bytes: bytes) else {
            throw StoreError(.corrupted, "the replica id in \(store.directory) is not 16 bytes")
        }
        return ReplicaStore(store: store, replica: replica)
    }

    /// Gives the directory a new random replica id, keeping its data and vectors. Run it, with the
    /// node stopped, on a data directory restored from a backup of itself: the restored vectors
    /// are behind the counters the old id had already issued, so writing on under the old id
    /// would reissue dots peers already hold — and they would take those new writes for ones
    /// they know. Under a new id the old dots are simply another replica's: the node pulls what
    /// it lost from its peers and its new writes are new. Returns the old id (nil if none) and
    /// the new one.
    public static func renewReplicaID(_ store: Store) async throws -> (old: ReplicaID?, new: ReplicaID) {
        let meta = store.tables.meta
        let fresh = Random.bytes(count: ReplicaID.byteCount)
        let old: [UInt8]? = try await store.write { w in
            let existing = try w.txn.get(meta, replicaIDKey).map { Array($0) }
            try w.txn.put(meta, replicaIDKey, fresh)
            return existing
        }
        return (old.flatMap { ReplicaID(bytes: $0) }, ReplicaID(bytes: fresh)!)
    }

    // MARK: Writes and pushes

    /// Performs `operation` on `key` as this replica and returns the delta to push to peers,
    /// once the write is durable. The complete vector moves to the new dot. `timestamp` (from
    /// the node's hybrid logical clock) orders LWW assignments. Throws `CRDTError` when the
    /// operation does not apply to the value.
    public func write(
        _ key: String,
        _ operation: CRDTOperation,
        tenant: String,
        at timestamp: HLCTimestamp
    ) async throws -> KeyDelta {
        let replica = self.replica
        return try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            let delta = try tx.write(key, operation, as: replica, at: timestamp)
            try tx.finish()
            return delta
        }
    }

    /// Joins pushed deltas, in order, in one durable commit; idempotent, any order. Each push
    /// whose counter is exactly one above its origin's complete counter advances it.
    /// Returns false, changing nothing, while an answer for `tenant` is half received
    /// (`Protocols/sync-v1.md` §2): retry after it, or drop them — the next pull carries them.
    @discardableResult
    public func apply(_ pushes: [KeyDelta], tenant: String) async throws -> Bool {
        try await store.write { [self] w in
            guard !isReceivingAnswer(tenant: tenant) else { return false }
            var tx = try ReplicaTransaction(w, tenant: tenant)
            for push in pushes {
                try tx.admit(Admission(replica, tx.context).admits(push), "push of key '\(push.key.prefix(64))'")
                try tx.applyPush(push)
            }
            try tx.finish()
            return true
        }
    }

    /// Joins one pushed delta; see ``apply(_:tenant:)-(([KeyDelta],_))``.
    @discardableResult
    public func apply(_ push: KeyDelta, tenant: String) async throws -> Bool {
        try await apply([push], tenant: tenant)
    }

    // MARK: Receiving answers

    /// Joins one batch of an answer: each value with the batch's sender context, each key
    /// version merged, the context gains the received dots. Until the marks are adopted, pushes
    /// for `tenant` are refused. A batch carrying marks adopts them in the same commit.
    /// If this throws, the answer is broken: call ``abandonAnswer(tenant:)``.
    public func receive(_ batch: SyncBatch, tenant: String) async throws {
        // Raised before the commit, so no push slips in between this batch and the next.
        receiving.withLock { _ = $0.insert(tenant) }
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            try tx.admit(Admission(self.replica, tx.context).admits(batch), "sync batch")
            try tx.receive(batch)
            try tx.finish()
        }
        if batch.mark != nil { endAnswer(tenant) }
    }

    /// Adopts a fully received answer's marks: the context and complete vector merge them.
    /// Only once every batch of the answer has arrived — the marks claim every key behind them.
    public func adopt(_ mark: SyncBatch.Mark, tenant: String) async throws {
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            try tx.admit(Admission(self.replica, tx.context).admits(mark), "sync marks")
            tx.adopt(mark)
            try tx.finish()
        }
        endAnswer(tenant)
    }

    /// Gives up on a half-received answer: what arrived stays joined (every join is valid on its
    /// own), no mark is adopted, pushes are accepted again.
    public func abandonAnswer(tenant: String) {
        endAnswer(tenant)
    }

    /// Whether an answer for `tenant` is half received (pushes are refused meanwhile).
    public func isReceivingAnswer(tenant: String) -> Bool {
        receiving.withLock { $0.contains(tenant) }
    }

    private func endAnswer(_ tenant: String) {
        receiving.withLock { _ = $0.remove(tenant) }
    }

    // MARK: Repair and garbage collection

    /// Replaces whole key states, as digest repair does after joining them itself: the context
    /// gains their dots, the complete vector is unchanged. One durable commit, O(entries).
    /// Returns false, changing nothing, while an answer for `tenant` is half received.
    @discardableResult
    public func replaceStates(_ states: [(key: String, state: KeyState)], tenant: String) async throws -> Bool {
        try await store.write { [self] w in
            guard !isReceivingAnswer(tenant: tenant) else { return false }
            var tx = try ReplicaTransaction(w, tenant: tenant)
            try tx.replaceStates(states)
            try tx.finish()
            return true
        }
    }

    /// Drops tombstones `stable` dominates. `stable` is the meet of the complete vectors of every
    /// replica of the tenant, this one included (causal stability, never wall-clock age).
    /// Returns how many were purged.
    @discardableResult
    public func collectGarbage(tenant: String, stable: VersionVector) async throws -> Int {
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            return try tx.collectGarbage(stable: stable)
        }
    }

    // MARK: Checkpoints of an in-memory replica

    /// Persists one step of a replica kept in memory (the node's `SyncEngine`): the states of the
    /// keys it changed (`nil` for keys it dropped) and its context and complete vector, in one
    /// durable commit. Returns once the commit is durable.
    public func checkpoint(
        tenant: String,
        states: [(key: String, state: KeyState?)],
        context: CausalContext,
        complete: VersionVector
    ) async throws {
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            try tx.checkpoint(states, context: context, complete: complete)
            try tx.finish()
        }
    }

    /// The tenant as a `TenantReplica` (every key state, tombstones included, and both vectors),
    /// from one read snapshot: how a node restores its in-memory replica at start.
    public func loadReplica(tenant: String) throws -> TenantReplica {
        try store.read { r in
            let reader = try ReplicaReader(r, tenant: tenant)
            var keys = [String: KeyState]()
            try reader.forEachState { key, state in
                keys[key] = state
                return true
            }
            return TenantReplica(
                replica: replica,
                context: try reader.context(),
                complete: try reader.complete(),
                keys: keys
            )
        }
    }

    // MARK: Reads

    /// The value of `key`, or `nil` if it is absent or deleted.
    public func value(_ key: String, tenant: String) throws -> CRDTValue? {
        guard let state = try state(key, tenant: tenant), !state.isTombstone else { return nil }
        return state.value
    }

    /// The stored state of `key`, tombstones included.
    public func state(_ key: String, tenant: String) throws -> KeyState? {
        try Store.validate(key: key)
        return try store.read { r in try ReplicaReader(r, tenant: tenant).state(key) }
    }

    /// Calls `body` with every key of `tenant` and its state (tombstones included), in an order
    /// of the store's choosing, until it returns false. One snapshot.
    public func forEachState(tenant: String, _ body: (String, KeyState) throws -> Bool) throws {
        try store.read { r in try ReplicaReader(r, tenant: tenant).forEachState(body) }
    }

    /// The tenant's causal context.
    public func context(tenant: String) throws -> CausalContext {
        try store.read { r in try ReplicaReader(r, tenant: tenant).context() }
    }

    /// The tenant's complete vector (what a summary carries).
    public func complete(tenant: String) throws -> VersionVector {
        try store.read { r in try ReplicaReader(r, tenant: tenant).complete() }
    }

    /// The tenant's repair digest (32 bytes; all zero for an empty tenant).
    public func digest(tenant: String) throws -> [UInt8] {
        try store.read { r in try ReplicaReader(r, tenant: tenant).digest() }
    }
}
