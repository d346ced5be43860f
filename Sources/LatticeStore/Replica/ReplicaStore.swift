import LatticeCore
import LatticeCrypto

/// The replicated CRDT keyspace of every tenant, on top of ``Store``.
///
/// Per tenant it keeps, all sealed with the tenant's key except the index:
/// - key → ``ReplicaKeyState`` (value and key version) in the `records` table (kind `crdt`);
/// - the tenant's ``CausalContext`` (version vector plus out-of-order dots), `tenant-state` slot 1;
/// - an index of key versions in the `dots` table: `tenant# | origin (16) | counter (8) | key hash`
///   → empty, one entry per (key, origin) holding that origin's highest counter on the key, so
///   "every key touched after counter N of origin R" is one range scan, O(difference);
/// - a digest for repair, `tenant-state` slot 2: the XOR over live keys of
///   BLAKE2b-256("lattice.digest.v1" | key length (2) | key | canonical value encoding). XOR makes
///   it order-free and updatable per write; equal states give equal digests on every node.
///
/// A local write returns the delta to replicate; a remote delta is joined in. Reads run on the
/// caller's thread and never wait for the writer.
public final class ReplicaStore: Sendable {
    /// This data directory's replica id: random, made when the directory was first used, never
    /// reused (a node that lost its data gets a new one, so it never reissues old dots).
    public let replica: ReplicaID
    public let store: Store

    static let replicaIDKey = Array("replica-id".utf8)
    static let contextSlot: UInt8 = 1
    static let digestSlot: UInt8 = 2
    static let digestBytes = 32

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

    // MARK: Writes

    /// Performs `operation` on `key` as this replica and returns the delta to push to peers,
    /// once the write is durable. `timestamp` (from the node's hybrid logical clock) orders
    /// LWW assignments. Throws `CRDTError` when the operation does not apply to the value.
    public func write(
        _ key: String,
        _ operation: CRDTOperation,
        tenant: String,
        at timestamp: HLCTimestamp
    ) async throws -> ReplicaDelta {
        let replica = self.replica
        return try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            let state = try tx.state(key) ?? ReplicaKeyState()
            let delta = try state.value.delta(
                for: operation,
                dot: tx.context.nextDot(for: replica),
                timestamp: timestamp
            )
            let applied = ReplicaDelta(key: key, delta: delta)
            try tx.apply(applied)
            try tx.finish()
            return applied
        }
    }

    /// Joins deltas received from a peer, in one durable commit. Idempotent, any order.
    public func apply(_ deltas: [ReplicaDelta], tenant: String) async throws {
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            for delta in deltas { try tx.apply(delta) }
            try tx.finish()
        }
    }

    /// Drops tombstones whose version every replica has seen (`stable`: the meet of every
    /// known replica's vector, this one included — causal stability, never wall-clock age).
    /// Returns how many were purged.
    @discardableResult
    public func collectGarbage(tenant: String, stable: VersionVector) async throws -> Int {
        try await store.write { w in
            var tx = try ReplicaTransaction(w, tenant: tenant)
            return try tx.collectGarbage(stable: stable)
        }
    }

    // MARK: Reads

    /// The value of `key`, or `nil` if it is absent or deleted.
    public func value(_ key: String, tenant: String) throws -> CRDTValue? {
        guard let state = try state(key, tenant: tenant), !state.isTombstone else { return nil }
        return state.value
    }

    /// The stored state of `key`, tombstones included.
    public func state(_ key: String, tenant: String) throws -> ReplicaKeyState? {
        try Store.validate(key: key)
        return try store.read { r in
            try ReplicaReader(r, tenant: tenant).state(key)
        }
    }

    /// The tenant's causal context.
    public func context(tenant: String) throws -> CausalContext {
        try store.read { r in try ReplicaReader(r, tenant: tenant).context() }
    }

    /// The tenant's repair digest (32 bytes; all zero for an empty tenant).
    public func digest(tenant: String) throws -> [UInt8] {
        try store.read { r in try ReplicaReader(r, tenant: tenant).digest() }
    }
}
