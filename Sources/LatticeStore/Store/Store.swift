import CLMDB
import LatticeCrypto
import Synchronization

/// An encrypted, group-committed key-value store over LMDB: the node's warm tier.
///
/// ## Layout on disk
///
/// One LMDB environment per data directory (`data.mdb`, `lock.mdb`, mode 0600 in a 0700
/// directory), holding these named databases. Integers are big-endian; `tenant#` is a tenant's
/// 8-byte number, allocated once and never reused.
///
/// | database       | key                                    | value                                      |
/// |----------------|----------------------------------------|--------------------------------------------|
/// | `meta`         | `format`                               | `03` (format version)                      |
/// |                | `master-check`                         | sealed(meta key, fixed text)               |
/// |                | `purge/` tenant#                       | empty: a shredded tenant still to purge    |
/// |                | `replica-id`                           | this directory's replica id (16 bytes)     |
/// | `records`      | tenant# , SipHash128(name key, key)    | sealed(seal key, kind ‖ len ‖ key ‖ value) |
/// | `dots`         | tenant# , origin (16) , counter (8) ,  | empty (a key version entry; see            |
/// |                | SipHash128(name key, key)              | ``ReplicaStore``)                          |
/// | `tenant-state` | tenant# , slot (1 byte)                | sealed(seal key, state): slot 1 the causal |
/// |                |                                        | context, slot 2 the repair digest, slot 3  |
/// |                |                                        | the complete vector                        |
///
/// SipHash128 is SipHash-2-4 with a 128-bit output (``KeyedSipHash128``), a keyed PRF: the
/// name key is secret, so the hashes reveal nothing about the names. A directory in another
/// format is refused with `unsupportedFormat`, naming it and saying what to do.
///
/// "sealed" is XChaCha20-Poly1305 with a random nonce: `nonce (24) | ciphertext | tag (16)`, and
/// additional data `"lattice.at-rest.v1" | table id (1 byte) | the record's LMDB key`. Because
/// the LMDB key holds the tenant number and the slot, a record moved to another key, tenant or
/// table fails to authenticate. The tenants themselves (name, number, random data key) and the
/// tenant-number counter are not in LMDB but in the tenant key file `tenant-keys` beside it
/// (``TenantKeyFile``), sealed with a key derived from the node master key (``MasterKey``), as is
/// the meta key; each tenant's seal and name keys are derived from its data key. Key names
/// therefore reach disk only sealed or as keyed hashes.
///
/// Crypto-shredding: ``shredTenant(_:)`` commits a purge marker, removes the tenant's data key
/// from the key file (rewritten whole, its previous version overwritten: LMDB would keep a
/// deleted key in a freed page), then purges its records in batches of
/// ``StoreLimits/purgeBatchRecordsMax``; an interrupted shred or purge finishes when the store opens.
///
/// ## Concurrency
///
/// Writes are synchronous closures run on one writer thread and committed in groups
/// (``write(_:)``); each write is acknowledged once its group's commit is durable. Reads
/// (``get(_:tenant:)``, ``read(_:)``) run on the caller's thread in an `MDB_NOTLS` snapshot and
/// never wait for the writer; only a map resize (rare, doubling) briefly pauses them.
public final class Store: Sendable {
    /// The data directory.
    public let directory: String
    let environment: LMDBEnvironment
    let writer: GroupCommitWriter
    let tables: Tables
    let secrets: MasterSecrets
    let keyFile: TenantKeyFile
    let tenantCache: Mutex<TenantTable>

    /// Reader slots of dead processes that were cleared when the store opened.
    public var staleReadersCleared: Int { environment.staleReadersCleared }

    /// The current map size in bytes.
    public var mapBytes: Int { environment.resizeLock.withShared { environment.mapBytes } }

    private init(
        environment: LMDBEnvironment,
        tables: Tables,
        secrets: MasterSecrets,
        keyFile: TenantKeyFile,
        configuration: StoreConfiguration
    ) {
        directory = environment.path
        self.environment = environment
        self.tables = tables
        self.secrets = secrets
        self.keyFile = keyFile
        tenantCache = Mutex(TenantTable(Self.loadTenants(keyFile)))
        var relaxedMs: Int?
        if case .relaxed(let ms) = configuration.durability { relaxedMs = ms }
        writer = GroupCommitWriter(
            environment: environment,
            limits: .init(
                queueDepthMax: configuration.writeQueueDepthMax,
                batchWritesMax: configuration.commitBatchWritesMax
            ),
            relaxedSyncIntervalMs: relaxedMs
        )
    }

    /// Opens (creating if needed) the store in `directory` with the master key in `masterKeyFile`.
    public static func open(
        directory: String,
        masterKeyFile: String,
        configuration: StoreConfiguration = StoreConfiguration()
    ) throws -> Store {
        let key: MasterKey
        do {
            key = try MasterKey.load(from: masterKeyFile)
        } catch {
            throw StoreError(.keyFile, error.message)
        }
        return try open(directory: directory, masterKey: key, configuration: configuration)
    }

    /// Opens (creating if needed) the store in `directory`. Fails with `wrongMasterKey`, having
    /// written nothing, if the directory was created with another master key.
    public static func open(
        directory: String,
        masterKey: MasterKey,
        configuration: StoreConfiguration = StoreConfiguration()
    ) throws -> Store {
        try configuration.validate()
        let environment = try LMDBEnvironment(
            path: directory,
            options: EnvironmentOptions(
                mapBytesInitial: configuration.mapBytesInitial,
                mapBytesMax: configuration.mapBytesMax,
                readersMax: configuration.readersMax,
                databasesMax: Tables.count,
                syncOnCommit: configuration.durability == .durable
            )
        )
        do {
            let secrets = MasterSecrets(masterKey)
            // A new directory gets its (empty) key file before its tables: a directory whose
            // tables exist always has one, so a missing key file means damage, never "new".
            let tables = try Tables.openOrCreate(environment, secrets: secrets) { () throws(StoreError) in
                try TenantKeyFile.createIfMissing(directory: directory, sealKey: secrets.keyFileKey)
            }
            let keyFile = try TenantKeyFile.load(directory: directory, sealKey: secrets.keyFileKey)
            let pending = try finishShreds(environment, tables, keyFile)
            try resumePurges(environment, tables, pending)
            return Store(
                environment: environment,
                tables: tables,
                secrets: secrets,
                keyFile: keyFile,
                configuration: configuration
            )
        } catch {
            environment.close()
            throw error
        }
    }

    /// Commits queued writes, stops the writer and closes the environment. Later calls fail
    /// with `closed`. Idempotent.
    public func close() {
        writer.close()
        environment.close()
    }

    deinit { close() }

    // MARK: Transactions

    /// Runs `body` on the writer thread inside the next group commit and returns its result
    /// once that commit is durable (or, in relaxed mode, committed).
    ///
    /// `body` runs in its own transaction nested in the group's: if it throws, only its changes
    /// are undone and the rest of the group commits without running again. It must not block,
    /// and may run more than once (when the map has to grow): it must change nothing outside the
    /// ``StoreWriter`` it is given.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreWriter) throws -> T) async throws -> T {
        try await writer.admit()
        let box = ResultBox<T>()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writer.submit(
                WriteJob(
                    body: { [self] txn in box.value = try body(StoreWriter(store: self, txn: txn)) },
                    completion: { continuation.resume(with: $0) }
                )
            )
        }
        return box.value!
    }

    /// Runs `body` in a read-only snapshot on the calling thread. Never waits for the writer.
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try environment.read { txn in try body(StoreReader(store: self, txn: txn)) }
    }

    // MARK: Single operations

    /// Stores `value` under `key` in `tenant`, sealed, and returns once it is durable.
    ///
    /// The record is hashed and sealed here, in the caller's task, so the writer thread (which
    /// every write waits for) only stores it; it checks there that the tenant still has the
    /// keys the record was sealed with.
    public func put(_ value: [UInt8], forKey key: String, tenant: String) async throws {
        let record = try SealedRecord(value, forKey: key, keys: try tenantKeys(tenant))
        try await write { try $0.put(record) }
    }

    /// Deletes `key` from `tenant`; returns whether it existed.
    @discardableResult
    public func delete(_ key: String, tenant: String) async throws -> Bool {
        try await write { try $0.delete(key, tenant: tenant) }
    }

    /// The value under `key` in `tenant`, or `nil`. A damaged record throws `corrupted` (only
    /// for that key).
    public func get(_ key: String, tenant: String) throws -> [UInt8]? {
        try read { try $0.get(key, tenant: tenant) }
    }
}

/// Keys derived from the node master key, one per purpose.
struct MasterSecrets: Sendable {
    /// Seals the tenant key file.
    let keyFileKey: SecretBytes
    /// Seals the master-key check in `meta`.
    let metaKey: SecretBytes

    init(_ master: MasterKey) {
        keyFileKey = master.subkey("store.tenant-keys")
        metaKey = master.subkey("store.meta")
    }
}
