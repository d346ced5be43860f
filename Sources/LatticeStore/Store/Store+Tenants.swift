import LatticeCrypto

extension StoreLimits {
    /// Tenants one store holds. Their keys stay in memory (about 200 bytes each), and an edge
    /// node serves a handful while a hub serves thousands.
    public static let tenantsMax = 10_000
}

/// A tenant created or shredded by a transaction that has not committed yet; lookups inside
/// that transaction see it before the shared cache does.
enum TenantOverride {
    case created(TenantKeys)
    case shredded
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
        tenantCache.withLock { Array($0.keys) }.sorted()
    }

    /// Crypto-shreds `name`: destroys its wrapped data key in one durable commit, so none of its
    /// records can be read from then on, then purges its records. A tenant created later under
    /// the same name starts empty with a new key.
    public func shredTenant(_ name: String) async throws {
        let number = try await write { try $0.destroyTenantKey(name) }
        while try await write({ try $0.purgeStep(tenantNumber: number) }) == false {}
    }

    /// The keys of `name` for a read; throws `unknownTenant` if it does not exist.
    func tenantKeys(_ name: String) throws(StoreError) -> TenantKeys {
        guard let keys = tenantCache.withLock({ $0[name] }) else { throw unknownTenant(name) }
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

    static func tenantContext(_ tag: some Collection<UInt8>, _ number: UInt64) -> [UInt8] {
        [SealedTable.tenants.rawValue] + tag + bigEndianBytes(number)
    }

    /// Unwraps every tenant's data key. A row that fails to unwrap is damaged: opening fails
    /// rather than silently hiding a tenant.
    static func loadTenants(
        _ env: LMDBEnvironment,
        _ tables: Tables,
        _ secrets: MasterSecrets
    ) throws
        -> [String: TenantKeys]
    {
        try env.read { txn in
            var tenants: [String: TenantKeys] = [:]
            try txn.scan(tables.tenants, prefix: []) { tag, value in
                let keys = try unwrapTenant(tag: Array(tag), row: value, secrets: secrets, path: env.path)
                tenants[keys.name] = keys
                return true
            }
            return tenants
        }
    }

    static func unwrapTenant(
        tag: [UInt8],
        row: UnsafeRawBufferPointer,
        secrets: MasterSecrets,
        path: String
    )
        throws(StoreError) -> TenantKeys
    {
        let damaged = StoreError(
            .corrupted,
            "a tenant key record in \(path) is damaged; that tenant's data cannot be read"
        )
        guard row.count > TenantKeys.numberBytes + XChaCha20Poly1305.keyBytes else { throw damaged }
        let number = readBigEndian(row[..<TenantKeys.numberBytes])
        let wrapped = Array(row[TenantKeys.numberBytes...])
        guard let inner = try? KeyWrap.unwrap(wrapped, with: secrets.wrapKey, context: tenantContext(tag, number))
        else { throw damaged }
        let keyBytes = XChaCha20Poly1305.keyBytes
        let parts: (SecretBytes, String)? = inner.withUnsafeBytes { raw in
            guard raw.count > keyBytes, let name = String(validating: raw[keyBytes...], as: UTF8.self) else {
                return nil
            }
            return (SecretBytes(Array(raw[..<keyBytes])), name)
        }
        guard let (dataKey, name) = parts else { throw damaged }
        return TenantKeys(name: name, number: number, dataKey: dataKey)
    }

    /// Finishes purges a crash interrupted, before the store accepts writes.
    static func resumePurges(_ env: LMDBEnvironment, _ tables: Tables) throws {
        let pending: [UInt64] = try env.read { txn in
            var numbers: [UInt64] = []
            try txn.scan(tables.meta, prefix: Tables.purgePrefix) { key, _ in
                numbers.append(readBigEndian(key[Tables.purgePrefix.count...]))
                return true
            }
            return numbers
        }
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
    /// The keys of `name` as this transaction sees them.
    func tenantKeys(_ name: String) throws -> TenantKeys {
        switch txn.tenantOverrides[name] {
        case .created(let keys): return keys
        case .shredded: throw store.unknownTenant(name)
        case nil: return try store.tenantKeys(name)
        }
    }

    func createTenant(_ name: String) throws {
        if case .created = txn.tenantOverrides[name] { return }
        if txn.tenantOverrides[name] == nil, store.tenantCache.withLock({ $0[name] }) != nil { return }
        guard store.tenantCache.withLock({ $0.count }) < StoreLimits.tenantsMax else {
            throw StoreError(.limitExceeded, "store \(store.directory) already holds \(StoreLimits.tenantsMax) tenants")
        }
        let tables = store.tables
        let number = try txn.get(tables.meta, Tables.tenantNextKey).map { readBigEndian($0) } ?? 1
        try txn.put(tables.meta, Tables.tenantNextKey, bigEndianBytes(number + 1))
        let dataKey = SecretBytes(randomCount: XChaCha20Poly1305.keyBytes)
        let tag = BLAKE2b.hash(Array(name.utf8), outputCount: TenantKeys.keyTagBytes, key: store.secrets.tenantNameKey)
        let inner = dataKey.withUnsafeBytes { SecretBytes(Array($0) + Array(name.utf8)) }
        let wrapped = KeyWrap.wrap(inner, with: store.secrets.wrapKey, context: Store.tenantContext(tag, number))
        try txn.put(tables.tenants, tag, bigEndianBytes(number) + wrapped)
        let keys = TenantKeys(name: name, number: number, dataKey: dataKey)
        txn.tenantOverrides[name] = .created(keys)
        let store = self.store
        txn.onCommit { store.tenantCache.withLock { $0[name] = keys } }
    }

    /// Deletes the wrapped key of `name` and marks its records for purging; returns its number.
    func destroyTenantKey(_ name: String) throws -> UInt64 {
        let keys = try tenantKeys(name)
        let tables = store.tables
        let tag = BLAKE2b.hash(Array(name.utf8), outputCount: TenantKeys.keyTagBytes, key: store.secrets.tenantNameKey)
        try txn.delete(tables.tenants, tag)
        try txn.put(tables.meta, Tables.purgePrefix + keys.prefix, [])
        txn.tenantOverrides[name] = .shredded
        let store = self.store
        txn.onCommit { store.tenantCache.withLock { $0[name] = nil } }
        return keys.number
    }

    func purgeStep(tenantNumber: UInt64) throws -> Bool {
        try Store.purgeStep(txn, store.tables, tenantNumber: tenantNumber)
    }
}
