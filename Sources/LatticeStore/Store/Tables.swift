import CLMDB
import LatticeCrypto

/// The named databases of a store (see ``Store`` for their layout).
struct Tables: Sendable {
    static let count = 4
    /// 2: tenants and their keys moved out of LMDB into the tenant key file (see ``TenantKeyFile``).
    /// 3: key names are hashed with SipHash-2-4-128 instead of keyed BLAKE2b-128 (see ``TenantKeys``).
    static let formatVersion: UInt8 = 3
    static let formatKey = Array("format".utf8)
    static let masterCheckKey = Array("master-check".utf8)
    static let purgePrefix = Array("purge/".utf8)
    private static let masterCheckText = Array("lattice master key check v1".utf8)

    let meta: Database
    let records: Database
    let dots: Database
    let tenantState: Database

    /// The tables every tenant's records live in, keyed by tenant number first.
    var tenantScoped: [Database] { [records, dots, tenantState] }

    /// Opens the tables of an existing store after checking the master key, or creates them in
    /// a fresh environment, calling `prepare` first. A wrong master key writes nothing.
    static func openOrCreate(
        _ env: LMDBEnvironment,
        secrets: MasterSecrets,
        prepare: () throws(StoreError) -> Void
    ) throws -> Tables {
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env.handle, nil, UInt32(MDB_RDONLY), &txn), "starting to open \(env.path)")
        do {
            let tables = try open(env, txn: txn!, create: false)
            try verify(ReadTransaction(handle: txn!), tables, secrets, path: env.path)
            // Committing a read-only transaction keeps its database handles open for the environment.
            try lmdbCheck(mdb_txn_commit(txn), "opening the databases of \(env.path)")
            return tables
        } catch let error as StoreError where error.code == .notFound {
            mdb_txn_abort(txn)
            try prepare()
            return try create(env, secrets: secrets)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
    }

    private static func open(_ env: LMDBEnvironment, txn: OpaquePointer, create: Bool) throws(StoreError) -> Tables {
        Tables(
            meta: try env.openDatabase("meta", create: create, in: txn),
            records: try env.openDatabase("records", create: create, in: txn),
            dots: try env.openDatabase("dots", create: create, in: txn),
            tenantState: try env.openDatabase("tenant-state", create: create, in: txn)
        )
    }

    private static func create(_ env: LMDBEnvironment, secrets: MasterSecrets) throws -> Tables {
        let txn = try env.beginWrite()
        defer { txn.abort() }
        if try env.openDatabaseIfPresent("meta", in: txn.handle) {
            throw StoreError(
                .corrupted,
                "data directory \(env.path) has a 'meta' database but is missing others; it is damaged"
            )
        }
        let tables = try open(env, txn: txn.handle, create: true)
        try txn.put(tables.meta, formatKey, [formatVersion])
        let check = XChaCha20Poly1305.seal(
            masterCheckText,
            additionalData: sealedRecordAD(.meta, masterCheckKey),
            key: secrets.metaKey
        )
        try txn.put(tables.meta, masterCheckKey, check)
        try txn.commit()
        return tables
    }

    private static func verify(_ txn: ReadTransaction, _ tables: Tables, _ secrets: MasterSecrets, path: String) throws
    {
        guard let format = try txn.get(tables.meta, formatKey), format.count == 1 else {
            throw StoreError(.corrupted, "data directory \(path) has no format version; it is damaged")
        }
        guard format[0] == formatVersion else { throw formatMismatch(format[0], path: path) }
        guard let check = try txn.get(tables.meta, masterCheckKey) else {
            throw StoreError(.corrupted, "data directory \(path) has no master key check; it is damaged")
        }
        do {
            _ = try XChaCha20Poly1305.open(
                check,
                additionalData: sealedRecordAD(.meta, masterCheckKey),
                key: secrets.metaKey
            )
        } catch {
            throw StoreError(
                .wrongMasterKey,
                "the master key does not open data directory \(path): it was created with another key. "
                    + "Nothing was written; use the key file this directory was created with"
            )
        }
    }

    /// The error for a directory written in another store format. Nothing converts between
    /// formats (there is no deployed data in older ones): the directory must be moved aside.
    static func formatMismatch(_ found: UInt8, path: String) -> StoreError {
        if found < formatVersion {
            return StoreError(
                .unsupportedFormat,
                "data directory \(path) was written in store format \(found), which this build cannot read "
                    + "(it reads format \(formatVersion) only; no conversion exists). Move the directory aside "
                    + "and start the node with an empty one: it fetches its data again from its peers (tenant "
                    + "keys live in the directory too, so a node that is the only holder of a tenant loses it)"
            )
        }
        return StoreError(
            .unsupportedFormat,
            "data directory \(path) was written in store format \(found) by a newer build; this build reads "
                + "format \(formatVersion) only. Run the newer build on it"
        )
    }
}

extension LMDBEnvironment {
    /// Whether the named database exists (opening it, without creating it, inside `txn`).
    func openDatabaseIfPresent(_ name: String, in txn: OpaquePointer) throws(StoreError) -> Bool {
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, 0, &dbi)
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc, "opening database '\(name)' in \(path)")
        return true
    }
}
