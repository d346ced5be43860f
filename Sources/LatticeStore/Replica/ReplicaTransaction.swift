import LatticeCore
import LatticeCrypto

/// One tenant's replica state inside one write: loads the tenant context and digest once,
/// applies deltas key by key (record, index and digest), and saves context and digest at the end.
struct ReplicaTransaction {
    let writer: StoreWriter
    let keys: TenantKeys
    private(set) var context: CausalContext
    private var digest: [UInt8]

    init(_ writer: StoreWriter, tenant: String) throws {
        self.writer = writer
        keys = try writer.tenantKeys(tenant)
        let slots = TenantSlots(store: writer.store, keys: keys)
        context = try slots.context(writer.txn)
        digest = try slots.digest(writer.txn)
    }

    func state(_ key: String) throws -> ReplicaKeyState? {
        try Store.validate(key: key)
        guard let payload = try writer.store.readRecord(writer.txn, key: key, keys: keys, kind: .crdt) else {
            return nil
        }
        return try ReplicaKeyState(decoding: payload, what: "CRDT state of key '\(key.prefix(64))'")
    }

    /// Joins `d` into its key and the tenant context (the rules of `TenantReplica.apply`).
    mutating func apply(_ d: ReplicaDelta) throws {
        let old = try state(d.key)
        var new = old ?? ReplicaKeyState()
        new.value.join(d.delta.store, d.delta.context, ownContext: context)
        new.version.merge(VersionVector(highestIn: d.delta.context))
        context.formUnion(d.delta.context)
        try save(d.key, old: old, new: new)
    }

    private mutating func save(_ key: String, old: ReplicaKeyState?, new: ReplicaKeyState) throws {
        let payload = new.encoded()
        guard payload.count <= StoreLimits.valueBytesMax else {
            throw StoreError(
                .limitExceeded,
                "CRDT state of key '\(key.prefix(64))' would be \(payload.count) bytes; the limit is "
                    + "StoreLimits.valueBytesMax = \(StoreLimits.valueBytesMax); split it across keys"
            )
        }
        try writer.putRecord(.crdt, payload, forKey: key, keys: keys)
        let tag = keys.keyTag(key)
        let oldVersion = old?.version ?? VersionVector()
        for entry in new.version.entries where oldVersion[entry.replica] != entry.counter {
            if oldVersion[entry.replica] > 0 {
                try writer.txn.delete(writer.store.tables.dots, indexKey(entry.replica, oldVersion[entry.replica], tag))
            }
            try writer.txn.put(writer.store.tables.dots, indexKey(entry.replica, entry.counter, tag), [UInt8]())
        }
        if let old, !old.isTombstone { xorDigest(key, old.value) }
        if !new.isTombstone { xorDigest(key, new.value) }
    }

    func indexKey(_ origin: ReplicaID, _ counter: UInt64, _ tag: [UInt8]) -> [UInt8] {
        keys.prefix + origin.bytes + bigEndianBytes(counter) + tag
    }

    private mutating func xorDigest(_ key: String, _ value: CRDTValue) {
        for (i, b) in TenantSlots.digestTerm(key, value).enumerated() { digest[i] ^= b }
    }

    /// Deletes tombstones every replica has seen: records and their index entries.
    mutating func collectGarbage(stable: VersionVector) throws -> Int {
        var doomed: [(tag: [UInt8], version: VersionVector)] = []
        try writer.txn.scan(writer.store.tables.records, prefix: keys.prefix) { lmdbKey, sealed in
            let what = "a CRDT record of tenant '\(keys.name)'"
            let plain = try keys.open(sealed, table: .records, lmdbKey: Array(lmdbKey), what: what)
            let header = try RecordPlaintext.Header(plain, what: what)
            guard header.kind == .crdt else { return true }
            let state = try ReplicaKeyState(decoding: plain[header.payload], what: what)
            if state.isTombstone && stable.dominates(state.version) {
                doomed.append((Array(lmdbKey[TenantKeys.numberBytes...]), state.version))
            }
            return true
        }
        for (tag, version) in doomed {
            try writer.txn.delete(writer.store.tables.records, keys.prefix + tag)
            for entry in version.entries {
                try writer.txn.delete(writer.store.tables.dots, indexKey(entry.replica, entry.counter, tag))
            }
        }
        return doomed.count
    }

    /// Saves the context and digest.
    func finish() throws {
        let slots = TenantSlots(store: writer.store, keys: keys)
        try slots.save(ReplicaStore.contextSlot, CRDTCodec.encode(context), writer.txn)
        try slots.save(ReplicaStore.digestSlot, digest, writer.txn)
    }
}

/// The per-tenant state slots (`tenant-state` table), sealed with the tenant key.
struct TenantSlots {
    let store: Store
    let keys: TenantKeys

    func lmdbKey(_ slot: UInt8) -> [UInt8] { keys.prefix + [slot] }

    func load(_ slot: UInt8, _ txn: some TransactionReading) throws -> [UInt8]? {
        let key = lmdbKey(slot)
        guard let sealed = try txn.get(store.tables.tenantState, key) else { return nil }
        return try keys.open(
            sealed,
            table: .tenantState,
            lmdbKey: key,
            what: "state slot \(slot) of tenant '\(keys.name)'"
        )
    }

    func save(_ slot: UInt8, _ plain: [UInt8], _ txn: WriteTransaction) throws {
        let key = lmdbKey(slot)
        try txn.put(store.tables.tenantState, key, keys.seal(plain, table: .tenantState, lmdbKey: key))
    }

    func context(_ txn: some TransactionReading) throws -> CausalContext {
        guard let bytes = try load(ReplicaStore.contextSlot, txn) else { return CausalContext() }
        do {
            return try CRDTCodec.decodeContext(bytes)
        } catch {
            throw StoreError(
                .corrupted,
                "the causal context of tenant '\(keys.name)' does not decode: \(error.message)"
            )
        }
    }

    func digest(_ txn: some TransactionReading) throws -> [UInt8] {
        let bytes = try load(ReplicaStore.digestSlot, txn) ?? [UInt8](repeating: 0, count: ReplicaStore.digestBytes)
        guard bytes.count == ReplicaStore.digestBytes else {
            throw StoreError(.corrupted, "the digest of tenant '\(keys.name)' is \(bytes.count) bytes, not 32")
        }
        return bytes
    }

    /// One key's share of the digest.
    static func digestTerm(_ key: String, _ value: CRDTValue) -> [UInt8] {
        let name = Array(key.utf8)
        var input = Array("lattice.digest.v1".utf8)
        input += [UInt8(name.count >> 8), UInt8(name.count & 0xff)] + name
        input += CRDTCodec.encode(value)
        return BLAKE2b.hash(input, outputCount: ReplicaStore.digestBytes)
    }
}
