import LatticeCore

/// Where a ``ReplicaStore/changes(tenant:since:after:limit:)`` scan stopped; pass it back to
/// continue. Opaque: a position in the version index.
public struct ReplicaScanCursor: Hashable, Sendable {
    let indexKey: [UInt8]
}

/// One page of keys a peer lacks.
public struct ReplicaChanges: Sendable {
    /// Keys with their stored state (tombstones included: they carry deletes).
    public var entries: [(key: String, state: ReplicaKeyState)]
    /// `nil` when the scan is complete.
    public var cursor: ReplicaScanCursor?
}

extension ReplicaStore {
    /// The keys a peer whose vector is `peer` lacks — every key touched after `peer[R]` by some
    /// origin `R` — at most `limit` of them, continuing from `cursor`. One range scan of the
    /// version index per origin: the cost follows the difference, not the tenant's size.
    /// A key may appear in two pages when several origins touched it; joining is idempotent.
    public func changes(
        tenant: String,
        since peer: VersionVector,
        after cursor: ReplicaScanCursor? = nil,
        limit: Int
    ) throws -> ReplicaChanges {
        guard limit > 0 else { throw StoreError(.limitExceeded, "a changes page must hold at least one key") }
        return try store.read { r in
            try ReplicaReader(r, tenant: tenant).changes(since: peer, after: cursor, limit: limit)
        }
    }
}

/// One tenant's replica state inside a read snapshot.
struct ReplicaReader {
    let reader: StoreReader
    let keys: TenantKeys

    init(_ reader: StoreReader, tenant: String) throws {
        self.reader = reader
        keys = try reader.store.tenantKeys(tenant)
    }

    private var slots: TenantSlots { TenantSlots(store: reader.store, keys: keys) }

    func state(_ key: String) throws -> ReplicaKeyState? {
        guard let payload = try reader.store.readRecord(reader.txn, key: key, keys: keys, kind: .crdt) else {
            return nil
        }
        return try ReplicaKeyState(decoding: payload, what: "CRDT state of key '\(key.prefix(64))'")
    }

    func context() throws -> CausalContext { try slots.context(reader.txn) }
    func digest() throws -> [UInt8] { try slots.digest(reader.txn) }

    func changes(since peer: VersionVector, after cursor: ReplicaScanCursor?, limit: Int) throws -> ReplicaChanges {
        let context = try context()
        var origins = Set(context.vector.replicas)
        for dot in context.cloud { origins.insert(dot.replica) }
        var seen = Set<[UInt8]>()
        var entries: [(key: String, state: ReplicaKeyState)] = []
        var resume: ReplicaScanCursor?
        let dots = reader.store.tables.dots
        for origin in origins.sorted() {
            let originPrefix = keys.prefix + origin.bytes
            var start = originPrefix + bigEndianBytes(peer[origin] + 1)
            if let cursor {
                guard cursor.indexKey.count >= originPrefix.count else { continue }
                let cursorOrigin = Array(cursor.indexKey[..<originPrefix.count])
                if cursorOrigin.lexicographicallyPrecedes(originPrefix) == false && cursorOrigin != originPrefix {
                    continue  // this origin was finished in an earlier page
                }
                if cursorOrigin == originPrefix && start.lexicographicallyPrecedes(cursor.indexKey) {
                    start = cursor.indexKey
                }
            }
            try reader.txn.scan(dots, prefix: originPrefix, from: start) { indexKey, _ in
                if entries.count == limit {
                    resume = ReplicaScanCursor(indexKey: Array(indexKey))
                    return false
                }
                let tag = Array(indexKey.suffix(TenantKeys.keyTagBytes))
                guard seen.insert(tag).inserted else { return true }
                entries.append(try entry(tag: tag))
                return true
            }
            if resume != nil { break }
        }
        return ReplicaChanges(entries: entries, cursor: resume)
    }

    private func entry(tag: [UInt8]) throws -> (key: String, state: ReplicaKeyState) {
        let lmdbKey = keys.prefix + tag
        let what = "a CRDT record of tenant '\(keys.name)'"
        guard let sealed = try reader.txn.get(reader.store.tables.records, lmdbKey) else {
            throw StoreError(.corrupted, "the version index of tenant '\(keys.name)' points at a missing record")
        }
        let plain = try keys.open(sealed, table: .records, lmdbKey: lmdbKey, what: what)
        let header = try RecordPlaintext.Header(plain, what: what)
        guard let name = String(validating: plain[header.name], as: UTF8.self) else {
            throw StoreError(.corrupted, "\(what) has a malformed key name")
        }
        return (name, try ReplicaKeyState(decoding: plain[header.payload], what: what))
    }
}
