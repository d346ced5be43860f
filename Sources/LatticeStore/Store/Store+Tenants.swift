import LatticeCrypto

extension StoreLimits {
    /// Tenants one store holds. Their keys stay in memory (about 200 bytes each), and an edge
    /// node serves a handful while a hub serves thousands.
    public static let tenantsMax = 10_000
}

extension Store {
    // MARK: Public tenant operations

    /// Creates `name` with a fresh random data key, if it does not exist yet.
    public func createTenant(_ name: String) async throws {
        try Self.validateTenantName(name)
        try await write { try $0.createTenant(name) }
    }

    /// The tenants of this store, sorted.
    public func tenantNames() -> [String] {
        tenantCache.withLock { Array($0.byName.keys) }.sorted()
    }

    /// Crypto-shreds `name`: destroys its data key, so none of its records can be read from then
    /// on, then purges its records. A tenant created later under the same name starts empty with
    /// a new key and number.
    ///
    /// Three steps, each durable before the next: a purge marker is committed (the intent), the
    /// key is removed from the tenant key file (which is rewritten and its old version
    /// overwritten, see ``TenantKeyFile``), then the records are deleted in batches. If this
    /// throws or the process dies after the first step, the next ``open(directory:masterKey:configuration:)``
    /// finishes the shred.
    public func shredTenant(_ name: String) async throws {
        let number = try await write { try $0.markForShredding(name) }
        try await write { try $0.destroyTenantKey(name, number: number) }
        while try await write({ try $0.purgeStep(tenantNumber: number) }) == false {}
    }

    /// The keys of `name` for a read; throws `unknownTenant` if it does not exist.
    func tenantKeys(_ name: String) throws(StoreError) -> TenantKeys {
        guard let keys = tenantCache.withLock({ $0.lookUp(name) }) else { throw unknownTenant(name) }
        return keys
    }

    func unknownTenant(_ name: String) -> StoreError {
        StoreError(.unknownTenant, "tenant '\(name)' does not exist in \(directory); create it first")
    }

    static func validateTenantName(_ name: String) throws(StoreError) {
        guard !name.isEmpty, name.utf8.count <= StoreLimits.tenantNameBytesMax else {
            throw StoreError(
                .limitExceeded,
                "tenant name '\(name.prefix(64))' must be 1...\(StoreLimits.tenantNameBytesMax) UTF-8 bytes"
            )
        }
    }

    // MARK: Opening

    /// The tenants of the key file, keyed by name.
    static func loadTenants(_ keyFile: TenantKeyFile) -> [String: TenantKeys] {
        var tenants: [String: TenantKeys] = [:]
        for entry in keyFile.entries {
            tenants[entry.name] = TenantKeys(name: entry.name, number: entry.number, dataKey: entry.dataKey)
        }
        return tenants
    }

    /// Finishes shreds that were recorded (a purge marker committed) but whose key was not yet
    /// removed from the key file when the process stopped: the intent was durable, so the
    /// shred completes. Returns the purge markers found.
    static func finishShreds(_ env: LMDBEnvironment, _ tables: Tables, _ keyFile: TenantKeyFile) throws -> [UInt64] {
        let pending: [UInt64] = try env.read { txn in
            var numbers: [UInt64] = []
            try txn.scan(tables.meta, prefix: Tables.purgePrefix) { key, _ in
                guard key.count == Tables.purgePrefix.count + TenantKeys.numberBytes else {
                    throw StoreError(.corrupted, "a purge marker in \(env.path) is malformed; the store is damaged")
                }
                numbers.append(readBigEndian(key[Tables.purgePrefix.count...]))
                return true
            }
            return numbers
        }
        try keyFile.remove(Set(pending))
        return pending
    }

    /// Finishes purges a crash interrupted, before the store accepts writes.
    static func resumePurges(_ env: LMDBEnvironment, _ tables: Tables, _ pending: [UInt64]) throws {
        env.resetIdleSnapshots()  // so the purge can reuse the pages it frees (no read runs until it ends)
        for number in pending {
            var done = false
            while !done {
                let txn = try env.beginWrite()
                do {
                    let finished = try purgeStep(txn, tables, tenantNumber: number)
                    try txn.commit()
                    done = finished  // only once the step is durable
                } catch let error as StoreError where error.code == .mapFull || txn.failure?.code == .mapFull {
                    // Deleting dirties copy-on-write pages, so a purge of a full store needs
                    // room too: grow as the writer does. At the maximum, leave the purge
                    // pending (the data is already unreadable: its key is gone) and open
                    // anyway, so the operator can read, delete, or raise the limit.
                    txn.abort()
                    do { try env.grow() } catch { return }
                }
            }
        }
    }

    /// Deletes up to ``StoreLimits/purgeBatchRecordsMax`` records of a shredded tenant; when
    /// none remain, removes its purge marker and returns `true`.
    static func purgeStep(_ txn: WriteTransaction, _ tables: Tables, tenantNumber: UInt64) throws -> Bool {
        let prefix = bigEndianBytes(tenantNumber)
        var budget = StoreLimits.purgeBatchRecordsMax
        for table in tables.tenantScoped {
            try txn.withCursor(table) { cursor in
                while budget > 0, let (key, _) = try cursor.seek(atOrAfter: prefix), key.starts(with: prefix) {
                    try cursor.deleteCurrent()
                    budget -= 1
                }
            }
        }
        guard budget > 0 else { return false }
        try txn.delete(tables.meta, Tables.purgePrefix + prefix)
        return true
    }
}

extension StoreWriter {
    /// The keys of `name` as this write sees them.
    func tenantKeys(_ name: String) throws -> TenantKeys {
        try store.tenantKeys(name)
    }

    /// Adds `name` to the tenant key file (durably, before this returns) unless it exists.
    /// Touches no LMDB table: the key file alone records tenants and hands out their numbers.
    func createTenant(_ name: String) throws {
        guard store.tenantCache.withLock({ $0.byName[name] }) == nil else { return }
        let entry = try store.keyFile.add(name)
        let keys = TenantKeys(name: entry.name, number: entry.number, dataKey: entry.dataKey)
        store.tenantCache.withLock { $0.insert(keys) }
    }

    /// Commits a purge marker for `name` (the durable intent to shred it); returns its number.
    func markForShredding(_ name: String) throws -> UInt64 {
        let keys = try tenantKeys(name)
        try txn.put(store.tables.meta, Tables.purgePrefix + keys.prefix, [UInt8]())
        return keys.number
    }

    /// Removes tenant `number` from the key file (rewritten, its old version overwritten) and
    /// from memory. Its purge marker must already be durable.
    func destroyTenantKey(_ name: String, number: UInt64) throws {
        try store.keyFile.remove([number])
        store.tenantCache.withLock { $0.remove(name, number: number) }
    }

    func purgeStep(tenantNumber: UInt64) throws -> Bool {
        try Store.purgeStep(txn, store.tables, tenantNumber: tenantNumber)
    }
}
