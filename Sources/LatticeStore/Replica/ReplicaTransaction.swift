import LatticeCore
import LatticeSync

/// One tenant's replica state inside one write: loads the tenant's context, complete vector and
/// digest once, changes keys one by one (record, index and digest), and saves the three at the
/// end. Every rule here is the rule of `TenantReplica`, LatticeSync's in-memory reference model.
struct ReplicaTransaction {
    let writer: StoreWriter
    let keys: TenantKeys
    private(set) var context: CausalContext
    private(set) var complete: VersionVector
    private var digest: [UInt8]

    init(_ writer: StoreWriter, tenant: String) throws {
        self.writer = writer
        keys = try writer.tenantKeys(tenant)
        let slots = TenantSlots(store: writer.store, keys: keys)
        context = try slots.context(writer.txn)
        complete = try slots.complete(writer.txn)
        digest = try slots.digest(writer.txn)
    }

    func state(_ key: String) throws -> KeyState? {
        try Store.validate(key: key)
        guard let payload = try writer.store.readRecord(writer.txn, key: key, keys: keys, kind: .crdt) else {
            return nil
        }
        return try KeyState(decoding: payload, what: "CRDT state of key '\(key.prefix(64))'")
    }

    /// Throws unless `admitted` (an `Admission` verdict on the input; see there for why).
    func admit(_ admitted: Bool, _ what: String) throws {
        guard admitted else {
            throw StoreError(
                .limitExceeded,
                "\(what) refused: it claims counters this replica never issued, or would grow the "
                    + "tenant's out-of-order dots past \(CoreLimits.cloudDotsMax); the sending peer is faulty"
            )
        }
    }

    // MARK: Writes and pushes

    /// Performs `operation` as `replica`; the complete vector moves to the new dot.
    mutating func write(
        _ key: String,
        _ operation: CRDTOperation,
        as replica: ReplicaID,
        at timestamp: HLCTimestamp
    ) throws -> KeyDelta {
        let current = try state(key)?.value ?? .empty
        let dot = context.nextDot(for: replica)
        let delta = KeyDelta(
            key: key,
            dot: dot,
            delta: try current.delta(for: operation, dot: dot, timestamp: timestamp)
        )
        try join(delta)
        complete[replica] = dot.counter
        return delta
    }

    /// Joins a pushed delta. A push carries all of its own dot's effects (its context lists
    /// what it replaced), so the origin's complete counter moves when pushes arrive in order.
    mutating func applyPush(_ d: KeyDelta) throws {
        try join(d)
        if complete[d.dot.replica] == d.dot.counter - 1 { complete[d.dot.replica] = d.dot.counter }
    }

    private mutating func join(_ d: KeyDelta) throws {
        try Store.validate(key: d.key)
        let old = try state(d.key)
        var new = old ?? KeyState()
        new.value.join(d.delta.store, d.delta.context, ownContext: context)
        new.version.merge(VersionVector(maxima: d.delta.context))
        context.formUnion(d.delta.context)
        try save(d.key, old: old, new: new)
    }

    // MARK: Answers and repair

    /// Joins one batch of an answer against the context as it stood before the batch; the
    /// received dots join the context afterwards, in one step. Adopts the marks if present.
    mutating func receive(_ batch: SyncBatch) throws {
        var received = [Dot]()
        for entry in batch.entries {
            try Store.validate(key: entry.key)
            let old = try state(entry.key)
            var new = old ?? KeyState()
            new.value.join(entry.state.value, batch.senderContext, ownContext: context)
            new.version.merge(entry.state.version)
            try save(entry.key, old: old, new: new)
            entry.state.value.forEachDot { received.append($0) }
        }
        context.formUnion(CausalContext(dots: received))
        if let mark = batch.mark { adopt(mark) }
    }

    /// Adopts an answer's completeness marks.
    mutating func adopt(_ mark: SyncBatch.Mark) {
        context.formUnion(mark.context)
        complete.merge(mark.complete)
    }

    /// Replaces whole key states; the context gains their dots, the complete vector is unchanged.
    mutating func replaceStates(_ states: [(key: String, state: KeyState)]) throws {
        var dots = [Dot]()
        for (key, state) in states {
            try Store.validate(key: key)
            try save(key, old: try self.state(key), new: state)
            state.value.forEachDot { dots.append($0) }
        }
        context.formUnion(CausalContext(dots: dots))
    }

    // MARK: Checkpoints

    /// Makes the tenant's stored state equal a replica's in memory: `states` replace their keys'
    /// states (`nil` removes the key, as GC does), and the context and complete vector become the
    /// given ones. The shell that keeps the authoritative state in a `SyncEngine` persists each
    /// step this way, so every rule stays the engine's.
    mutating func checkpoint(
        _ states: [(key: String, state: KeyState?)],
        context: CausalContext,
        complete: VersionVector
    ) throws {
        for (key, state) in states {
            try Store.validate(key: key)
            let old = try self.state(key)
            if let state {
                try save(key, old: old, new: state)
            } else if let old {
                let tag = keys.keyTag(key)
                _ = try writer.txn.delete(writer.store.tables.records, keys.prefix + tag)
                try reindex(tag, old: old.version, new: VersionVector())
                if !old.isTombstone { xorDigest(key, old.value) }
            }
        }
        self.context = context
        self.complete = complete
    }

    // MARK: Records, index and digest

    private mutating func save(_ key: String, old: KeyState?, new: KeyState) throws {
        let payload = new.encoded()
        guard payload.count <= StoreLimits.valueBytesMax else {
            throw StoreError(
                .limitExceeded,
                "CRDT state of key '\(key.prefix(64))' would be \(payload.count) bytes; the limit is "
                    + "StoreLimits.valueBytesMax = \(StoreLimits.valueBytesMax); split it across keys"
            )
        }
        try writer.putRecord(.crdt, payload, forKey: key, keys: keys)
        try reindex(keys.keyTag(key), old: old?.version ?? VersionVector(), new: new.version)
        if let old, !old.isTombstone { xorDigest(key, old.value) }
        if !new.isTombstone { xorDigest(key, new.value) }
    }

    /// Keeps one index entry per (key, origin), at the origin's counter in the key version.
    private func reindex(_ tag: [UInt8], old: VersionVector, new: VersionVector) throws {
        let dots = writer.store.tables.dots
        for origin in Set(old.replicas).union(new.replicas) where old[origin] != new[origin] {
            if old[origin] > 0 { _ = try writer.txn.delete(dots, indexKey(origin, old[origin], tag)) }
            if new[origin] > 0 { try writer.txn.put(dots, indexKey(origin, new[origin], tag), [UInt8]()) }
        }
    }

    func indexKey(_ origin: ReplicaID, _ counter: UInt64, _ tag: [UInt8]) -> [UInt8] {
        keys.prefix + origin.bytes + bigEndianBytes(counter) + tag
    }

    private mutating func xorDigest(_ key: String, _ value: CRDTValue) {
        for (i, b) in TenantSlots.digestTerm(key, value).enumerated() { digest[i] ^= b }
    }

    // MARK: Garbage collection

    /// Deletes tombstones `stable` dominates: records and their index entries. Scans the
    /// tenant's records (O(keys)); GC runs rarely, off the sync path.
    mutating func collectGarbage(stable: VersionVector) throws -> Int {
        var doomed: [(tag: [UInt8], version: VersionVector)] = []
        try writer.txn.scan(writer.store.tables.records, prefix: keys.prefix) { lmdbKey, sealed in
            let what = "a CRDT record of tenant '\(keys.name)'"
            let plain = try keys.open(sealed, table: .records, lmdbKey: Array(lmdbKey), what: what)
            let header = try RecordPlaintext.Header(plain, what: what)
            guard header.kind == .crdt else { return true }
            let state = try KeyState(decoding: plain[header.payload], what: what)
            if state.isTombstone && stable.dominates(state.version) {
                doomed.append((Array(lmdbKey[TenantKeys.numberBytes...]), state.version))
            }
            return true
        }
        for (tag, version) in doomed {
            _ = try writer.txn.delete(writer.store.tables.records, keys.prefix + tag)
            try reindex(tag, old: version, new: VersionVector())
        }
        return doomed.count
    }

    /// Saves the context, the complete vector and the digest.
    func finish() throws {
        let slots = TenantSlots(store: writer.store, keys: keys)
        try slots.save(TenantSlots.context, CRDTCodec.encode(context), writer.txn)
        try slots.saveComplete(complete, writer.txn)
        try slots.save(TenantSlots.digest, digest, writer.txn)
    }
}
