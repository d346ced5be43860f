import LatticeCore
import LatticeSync

/// One tenant's replica state inside a read snapshot.
struct ReplicaReader {
    /// A version-index key: tenant number (8) | origin (16) | counter (8) | key-name hash (16).
    static let indexKeyBytes = TenantKeys.numberBytes + ReplicaID.byteCount + 8 + TenantKeys.keyTagBytes

    let reader: StoreReader
    let keys: TenantKeys

    init(_ reader: StoreReader, tenant: String) throws {
        self.reader = reader
        keys = try reader.store.tenantKeys(tenant)
    }

    private var slots: TenantSlots { TenantSlots(store: reader.store, keys: keys) }

    func state(_ key: String) throws -> KeyState? {
        guard let payload = try reader.store.readRecord(reader.txn, key: key, keys: keys, kind: .crdt) else {
            return nil
        }
        return try KeyState(decoding: payload, what: "CRDT state of key '\(key.prefix(64))'")
    }

    func context() throws -> CausalContext { try slots.context(reader.txn) }
    func complete() throws -> VersionVector { try slots.complete(reader.txn) }
    func digest() throws -> [UInt8] { try slots.digest(reader.txn) }

    /// Calls `body` with every CRDT key and its state, in name-hash order, until it returns false.
    func forEachState(_ body: (String, KeyState) throws -> Bool) throws {
        try reader.txn.scan(reader.store.tables.records, prefix: keys.prefix) { lmdbKey, sealed in
            let what = "a CRDT record of tenant '\(keys.name)'"
            let plain = try keys.open(sealed, table: .records, lmdbKey: Array(lmdbKey), what: what)
            let header = try RecordPlaintext.Header(plain, what: what)
            guard header.kind == .crdt else { return true }
            guard let name = String(validating: plain[header.name], as: UTF8.self) else {
                throw StoreError(.corrupted, "\(what) has a malformed key name")
            }
            return try body(name, try KeyState(decoding: plain[header.payload], what: what))
        }
    }

    // MARK: Answers

    /// Up to `limit` entries of `answer` from its position, and where the next batch starts
    /// (`nil`: nothing is left, so this batch is the last).
    ///
    /// Duplicates across origins: the scan of origin R skips a key if an origin R' scanned
    /// earlier has `peer[R'] < version[R'] ≤ markComplete[R']`. Such a key was sent in R''s
    /// scan: the dot (R', version[R']) was complete when the answer started, so the key's
    /// version already held it then — an index entry above `peer[R']` that only moves up while
    /// R''s ascending scan runs, so the scan met it. A key that fails the test may be sent twice.
    func answerBatch(_ answer: ReplicaAnswer, limit: Int) throws -> (entries: [SyncEntry], next: [UInt8]?) {
        var entries = [SyncEntry]()
        var inBatch = Set<[UInt8]>()
        var next: [UInt8]?
        try scanIndex(above: answer.peer, from: answer.position) { indexKey, origin, tag in
            guard !inBatch.contains(tag) else { return true }
            let entry = try self.entry(tag: tag)
            let sentBefore = entry.state.version.entries.contains { e in
                e.replica < origin && answer.peer[e.replica] < e.counter && e.counter <= answer.mark.complete[e.replica]
            }
            guard !sentBefore else { return true }
            guard entries.count < limit else {
                next = indexKey
                return false
            }
            entries.append(entry)
            inBatch.insert(tag)
            return true
        }
        return (entries, next)
    }

    /// Calls `body` with each version-index entry whose counter is above `peer[origin]`, from
    /// `start` (inclusive), in index order, until it returns false. Entries at or below the
    /// peer's counter are skipped with one seek per origin, so the cost is O(origins · log n +
    /// entries visited).
    private func scanIndex(
        above peer: VersionVector,
        from start: [UInt8]?,
        _ body: ([UInt8], ReplicaID, [UInt8]) throws -> Bool
    ) throws {
        let prefix = keys.prefix
        try reader.txn.withCursor(reader.store.tables.dots) { cursor in
            var entry = try cursor.seek(atOrAfter: start ?? prefix)
            while let (rawKey, _) = entry, rawKey.starts(with: prefix) {
                guard rawKey.count == Self.indexKeyBytes else {
                    throw StoreError(.corrupted, "the version index of tenant '\(keys.name)' has a malformed key")
                }
                let key = Array(rawKey)
                let originBytes = key[prefix.count..<prefix.count + ReplicaID.byteCount]
                guard let origin = ReplicaID(bytes: originBytes) else { return }  // 16 bytes by the guard above
                let counterAt = prefix.count + ReplicaID.byteCount
                let counter = readBigEndian(key[counterAt..<counterAt + 8])
                let known = peer[origin]
                guard counter > known else {
                    // Jump to this origin's first counter above the peer's (or past the origin).
                    let target =
                        known == .max
                        ? [UInt8](repeating: 0xff, count: 8 + TenantKeys.keyTagBytes + 1)
                        : bigEndianBytes(known + 1)
                    entry = try cursor.seek(atOrAfter: prefix + originBytes + target)
                    continue
                }
                guard try body(key, origin, Array(key[(counterAt + 8)...])) else { return }
                entry = try cursor.next()
            }
        }
    }

    private func entry(tag: [UInt8]) throws -> SyncEntry {
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
        return SyncEntry(key: name, state: try KeyState(decoding: plain[header.payload], what: what))
    }
}
