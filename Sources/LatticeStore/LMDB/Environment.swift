import CLMDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How to open an LMDB environment.
struct EnvironmentOptions: Sendable {
    /// Map size to start with; the map doubles on `MDB_MAP_FULL` up to `mapBytesMax`.
    var mapBytesInitial: Int
    /// Largest map the environment may grow to.
    var mapBytesMax: Int
    /// Reader slots in the lock file (`mdb_env_set_maxreaders`).
    var readersMax: Int
    /// Named databases the environment may hold (`mdb_env_set_maxdbs`).
    var databasesMax: Int
    /// `false` opens with `MDB_NOSYNC`: commits are not flushed until `sync()`.
    var syncOnCommit: Bool
}

/// One LMDB environment (a data directory holding `data.mdb` and `lock.mdb`).
///
/// Read transactions use `MDB_NOTLS`, so any thread may run one; finished read transactions
/// are kept in a small pool, because `mdb_txn_renew` takes no lock while `mdb_txn_begin` locks
/// the reader table. A pooled transaction stays live (its snapshot open) while no write has
/// committed since it began: the next read then uses it as it is, skipping the renew, the reset
/// and LMDB's lookup of each named database in a fresh snapshot. A read uses a live snapshot
/// only if it is the newest committed one (its id equals the last committed transaction's), so
/// a read never sees older data than a fresh snapshot would. The writer thread resets the idle
/// live snapshots after each commit (``resetIdleSnapshots()``), so an idle pool never pins
/// pages a commit freed. Write transactions are begun only by the store's writer thread. Growing the map takes ``resizeLock`` exclusively, because remapping moves
/// the pages every live read points into; reads hold it shared.
///
/// A process may open an environment only once: LMDB's locks are per process (POSIX `fcntl`
/// locks), so a second handle in the same process would corrupt the lock state.
final class LMDBEnvironment: @unchecked Sendable {
    let handle: OpaquePointer
    let path: String
    let mapBytesMax: Int
    /// Reader slots of dead processes cleared by `mdb_reader_check` when the environment opened.
    let staleReadersCleared: Int
    let resizeLock = ReadWriteLock()
    /// Current map size. Written only under `resizeLock` held exclusively.
    private(set) var mapBytes: Int
    /// Set under `resizeLock` held exclusively; read under it shared.
    private var isClosed = false
    /// The most recently released read transaction (``PooledReader/bits``, 0 when empty), taken
    /// and returned with one atomic exchange: a thread that reads over and over finds it here
    /// and never takes `readerPoolLock`.
    private let hotReader = Atomic<UInt>(0)
    // Further idle read transactions, guarded by `readerPoolLock`.
    private var readerPool: [PooledReader] = []
    private let readerPoolLock = ConditionLock()
    private let readerPoolMax: Int
    private let identity: DirectoryIdentity

    /// Environments open in this process, by the directory's device and inode.
    private static let openDirectories = Mutex<Set<DirectoryIdentity>>([])

    init(path: String, options: EnvironmentOptions) throws(StoreError) {
        self.path = path
        try Self.makeDirectory(path)
        let identity = try DirectoryIdentity(path: path)
        self.identity = identity
        let inserted = Self.openDirectories.withLock { $0.insert(identity).inserted }
        guard inserted else {
            throw StoreError(
                .alreadyOpen,
                "data directory \(path) is already open in this process; share the open store instead of opening it twice"
            )
        }
        var env: OpaquePointer?
        do {
            try lmdbCheck(mdb_env_create(&env), "creating an LMDB environment for \(path)")
            try Self.configure(env!, path: path, options: options)
            var dead: Int32 = 0
            try lmdbCheck(mdb_reader_check(env, &dead), "clearing stale readers in \(path)")
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            handle = env!
            staleReadersCleared = Int(dead)
            mapBytes = info.me_mapsize
            mapBytesMax = max(options.mapBytesMax, info.me_mapsize)
            readerPoolMax = max(1, options.readersMax / 2)
        } catch {
            if let env { mdb_env_close(env) }
            _ = Self.openDirectories.withLock { $0.remove(identity) }
            throw error
        }
    }

    private static func configure(_ env: OpaquePointer, path: String, options: EnvironmentOptions) throws(StoreError) {
        try lmdbCheck(mdb_env_set_maxreaders(env, UInt32(options.readersMax)), "setting readers for \(path)")
        try lmdbCheck(mdb_env_set_maxdbs(env, UInt32(options.databasesMax)), "setting databases for \(path)")
        try lmdbCheck(mdb_env_set_mapsize(env, options.mapBytesInitial), "setting the map size for \(path)")
        // No MDB_NOMEMINIT: LMDB must zero the unused parts of pages it writes, or stray heap
        // bytes (plaintext, keys) could reach the file. No MDB_WRITEMAP for the same reason.
        var flags = UInt32(MDB_NOTLS)
        if !options.syncOnCommit { flags |= UInt32(MDB_NOSYNC) }
        try lmdbCheck(mdb_env_open(env, path, flags, 0o600), "opening the LMDB environment in \(path)")
    }

    private static func makeDirectory(_ path: String) throws(StoreError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw StoreError(lmdb: errno, "creating data directory \(path)")
        }
    }

    deinit { close() }

    /// Closes the environment once every running read has finished. Idempotent.
    func close() {
        resizeLock.withExclusive {
            guard !isClosed else { return }
            isClosed = true
            if let hot = PooledReader(bits: hotReader.exchange(0, ordering: .acquiring)) { mdb_txn_abort(hot.txn) }
            for reader in readerPoolLock.withLock({ readerPool }) { mdb_txn_abort(reader.txn) }
            readerPoolLock.withLock { readerPool.removeAll() }
            mdb_env_close(handle)
            _ = Self.openDirectories.withLock { $0.remove(identity) }
        }
    }

    /// Flushes committed data to disk (`mdb_env_sync` forced), for environments opened without sync.
    func sync() throws(StoreError) {
        try resizeLock.withShared { () throws(StoreError) in
            guard !isClosed else { throw StoreError(.closed, "the store in \(path) is closed") }
            try lmdbCheck(mdb_env_sync(handle, 1), "flushing \(path) to disk")
        }
    }

    /// Runs `body` in a read-only snapshot. Any thread may call it; it never waits for the
    /// writer, only (briefly) for a map resize.
    func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        do {
            return try readOnce(body)
        } catch let error as StoreError where error.returnCode == MDB_MAP_RESIZED {
            try adoptResizedMap()
            return try readOnce(body)
        }
    }

    private func readOnce<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try resizeLock.withShared {
            guard !isClosed else { throw StoreError(.closed, "the store in \(path) is closed") }
            let txn = try takeReader()
            defer { releaseReader(txn) }
            return try body(ReadTransaction(handle: txn))
        }
    }

    private func takeReader() throws(StoreError) -> OpaquePointer {
        let hot = PooledReader(bits: hotReader.exchange(0, ordering: .acquiring))
        if let reader = hot ?? readerPoolLock.withLock({ readerPool.popLast() }) {
            if reader.isLive {
                if mdb_txn_id(reader.txn) == lastCommittedTransaction() { return reader.txn }
                mdb_txn_reset(reader.txn)
            }
            let rc = mdb_txn_renew(reader.txn)
            guard rc == 0 else {
                mdb_txn_abort(reader.txn)
                throw StoreError(lmdb: rc, "starting a read in \(path)")
            }
            return reader.txn
        }
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "starting a read in \(path)")
        return txn!
    }

    /// Pools `txn` with its snapshot still open while it is the newest (see the type's
    /// documentation); an older one is reset first, so an idle snapshot never pins pages a
    /// commit made while it was in use has freed (the writer's reset after that commit missed it).
    private func releaseReader(_ txn: OpaquePointer) {
        guard mdb_txn_id(txn) == lastCommittedTransaction() else {
            mdb_txn_reset(txn)
            pool(PooledReader(txn: txn, isLive: false))
            return
        }
        pool(PooledReader(txn: txn, isLive: true))
    }

    /// Keeps `reader` in the hot slot if it is free, else in the pool, else aborts it.
    private func pool(_ reader: PooledReader) {
        if hotReader.compareExchange(expected: 0, desired: reader.bits, ordering: .releasing).exchanged { return }
        let kept = readerPoolLock.withLock {
            guard readerPool.count < readerPoolMax else { return false }
            readerPool.append(reader)
            return true
        }
        if !kept { mdb_txn_abort(reader.txn) }
    }

    /// The id of the newest committed write transaction (by this process or another).
    private func lastCommittedTransaction() -> Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_last_txnid
    }

    /// Pooled read transactions that still hold a snapshot (for tests and diagnostics).
    var idleLiveSnapshots: Int {
        let hot = PooledReader(bits: hotReader.load(ordering: .acquiring))?.isLive == true ? 1 : 0
        return hot + readerPoolLock.withLock { readerPool.count(where: \.isLive) }
    }

    /// Resets the pooled read transactions that still hold a snapshot, so they pin no pages a
    /// later commit frees (and none stays open across a map resize). The writer thread calls it
    /// after each commit; reads that are running keep their snapshots.
    func resetIdleSnapshots() {
        if var hot = PooledReader(bits: hotReader.exchange(0, ordering: .acquiring)) {
            if hot.isLive {
                mdb_txn_reset(hot.txn)
                hot.isLive = false
            }
            pool(hot)
        }
        readerPoolLock.withLock {
            for i in readerPool.indices where readerPool[i].isLive {
                mdb_txn_reset(readerPool[i].txn)
                readerPool[i].isLive = false
            }
        }
    }

    /// Another process grew the map: adopt its size (`mdb_env_set_mapsize(env, 0)`).
    private func adoptResizedMap() throws(StoreError) {
        try resizeLock.withExclusive { () throws(StoreError) in
            resetIdleSnapshots()
            try lmdbCheck(mdb_env_set_mapsize(handle, 0), "adopting the grown map of \(path)")
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            mapBytes = info.me_mapsize
        }
    }

    /// Begins the write transaction. Only the writer thread calls this.
    func beginWrite() throws(StoreError) -> WriteTransaction {
        var txn: OpaquePointer?
        var rc = try resizeLock.withShared { () throws(StoreError) -> Int32 in
            guard !isClosed else { throw StoreError(.closed, "the store in \(path) is closed") }
            return mdb_txn_begin(handle, nil, 0, &txn)
        }
        if rc == MDB_MAP_RESIZED {
            try adoptResizedMap()
            rc = mdb_txn_begin(handle, nil, 0, &txn)
        }
        try lmdbCheck(rc, "starting a write in \(path)")
        return WriteTransaction(handle: txn!, path: path)
    }

    /// Doubles the map, up to ``mapBytesMax``. Throws `storeFull` when the map is already at
    /// its maximum. Only the writer thread calls this, with no write transaction open.
    func grow() throws(StoreError) {
        try resizeLock.withExclusive { () throws(StoreError) in
            guard mapBytes < mapBytesMax else {
                throw StoreError(
                    .storeFull,
                    "store \(path) is full: the map reached its maximum of \(mapBytesMax) bytes "
                        + "(Configuration.mapBytesMax); delete data or raise the maximum. Reads still work"
                )
            }
            let next = min(mapBytesMax, mapBytes > mapBytesMax / 2 ? mapBytesMax : mapBytes * 2)
            resetIdleSnapshots()  // LMDB resizes the map only with no transaction live in this process
            try lmdbCheck(mdb_env_set_mapsize(handle, next), "growing the map of \(path) to \(next) bytes")
            mapBytes = next
        }
    }

    /// Opens (or, with `create`, creates) the named database `name` inside `txn`.
    func openDatabase(_ name: String, create: Bool, in txn: OpaquePointer) throws(StoreError) -> Database {
        var dbi: MDB_dbi = 0
        let flags = create ? UInt32(MDB_CREATE) : 0
        try lmdbCheck(mdb_dbi_open(txn, name, flags, &dbi), "opening database '\(name)' in \(path)")
        return Database(dbi: dbi, name: name)
    }
}

/// An idle read transaction: live (its snapshot still open) or reset.
private struct PooledReader {
    let txn: OpaquePointer
    var isLive: Bool

    init(txn: OpaquePointer, isLive: Bool) {
        self.txn = txn
        self.isLive = isLive
    }

    /// The transaction's address with bit 0 set when live (an `MDB_txn` is malloc-aligned).
    var bits: UInt { UInt(bitPattern: Int(bitPattern: txn)) | (isLive ? 1 : 0) }

    /// The reader `bits` describes, or `nil` for 0.
    init?(bits: UInt) {
        guard let txn = OpaquePointer(bitPattern: Int(bitPattern: bits & ~1)) else { return nil }
        self.txn = txn
        isLive = bits & 1 == 1
    }
}

/// A named database inside an environment.
struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
    let name: String
}

/// A directory's device and inode: the same directory however its path is spelled.
private struct DirectoryIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(path: String) throws(StoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw StoreError(lmdb: errno, "inspecting data directory \(path)") }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
