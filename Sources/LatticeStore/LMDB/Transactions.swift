import CLMDB
import LatticeCrypto

/// Operations every transaction offers. Bytes handed out point into the memory map and are
/// valid only until the transaction ends; copy what must outlive it.
protocol TransactionReading {
    var handle: OpaquePointer { get }
}

extension TransactionReading {
    /// The value stored under `key`, or `nil`.
    func get(_ db: Database, _ key: some ContiguousKey) throws(StoreError) -> UnsafeRawBufferPointer? {
        var data = MDB_val()
        let rc = key.withMDBVal { k in mdb_get(handle, db.dbi, &k, &data) }
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "reading from database '\(db.name)'")
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    /// Like ``get(_:_:)``, and starts loading the value's cache lines at once
    /// (`lattice_mdb_prefetch`), for a caller with work to do before it reads the value.
    func getPrefetching(_ db: Database, _ key: some ContiguousKey) throws(StoreError) -> UnsafeRawBufferPointer? {
        guard let value = try get(db, key) else { return nil }
        lattice_mdb_prefetch(value.baseAddress, value.count)
        return value
    }

    /// Runs `body` with a cursor on `db`; the cursor is closed when `body` returns.
    func withCursor<T>(_ db: Database, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(handle, db.dbi, &cursor), "opening a cursor on '\(db.name)'")
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor!, database: db))
    }

    /// Calls `body` for each record whose key starts with `prefix`, in key order, from
    /// `start` (which must itself start with `prefix`; default: the prefix). `body` returns
    /// `false` to stop.
    func scan(
        _ db: Database,
        prefix: [UInt8],
        from start: [UInt8]? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            let origin = start ?? prefix
            // LMDB refuses an empty key, so an empty prefix starts at the first record.
            var entry = origin.isEmpty ? try cursor.first() : try cursor.seek(atOrAfter: origin)
            while let (key, value) = entry, key.starts(with: prefix) {
                guard try body(key, value) else { return }
                entry = try cursor.next()
            }
        }
    }
}

/// A read-only snapshot. Made by ``LMDBEnvironment/read(_:)``; never stored.
struct ReadTransaction: TransactionReading {
    let handle: OpaquePointer
}

/// The write transaction of one group commit, or one write's nested transaction inside it.
/// Only the writer thread touches it.
///
/// It remembers the first LMDB failure, because LMDB poisons a transaction after most errors
/// and a caller's closure might swallow the error: the writer then knows the closure failed.
final class WriteTransaction: TransactionReading {
    let handle: OpaquePointer
    let path: String
    /// The group's transaction, for a nested one.
    private let parent: WriteTransaction?
    private(set) var failure: StoreError?
    private(set) var isFinished = false
    /// Actions to run after the commit is durable (updating in-memory caches).
    private(set) var afterCommit: [() -> Void] = []

    init(handle: OpaquePointer, path: String, parent: WriteTransaction? = nil) {
        self.handle = handle
        self.path = path
        self.parent = parent
    }

    deinit { if !isFinished { mdb_txn_abort(handle) } }

    /// Begins a transaction nested in this one (`mdb_txn_begin` with a parent): its changes
    /// join this transaction when it commits and vanish when it aborts, leaving this one intact.
    func beginNested() throws(StoreError) -> WriteTransaction {
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(mdb_txn_env(handle), handle, 0, &txn), "starting a nested write in \(path)")
        return WriteTransaction(handle: txn!, path: path, parent: self)
    }

    /// Stores `value` under `key`, replacing what was there.
    func put(_ db: Database, _ key: some ContiguousKey, _ value: some ContiguousKey) throws(StoreError) {
        let rc = key.withMDBVal { k in value.withMDBVal { v in mdb_put(handle, db.dbi, &k, &v, 0) } }
        try record(rc, "writing to database '\(db.name)'")
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    func delete(_ db: Database, _ key: some ContiguousKey) throws(StoreError) -> Bool {
        let rc = key.withMDBVal { k in mdb_del(handle, db.dbi, &k, nil) }
        if rc == MDB_NOTFOUND { return false }
        try record(rc, "deleting from database '\(db.name)'")
        return true
    }

    /// Registers `action` to run once the outermost transaction's commit is durable.
    func onCommit(_ action: @escaping () -> Void) { afterCommit.append(action) }

    /// Records `rc` as this transaction's failure (first one wins) and throws it.
    func record(_ rc: Int32, _ what: @autoclosure () -> String) throws(StoreError) {
        guard rc != 0 else { return }
        let error = StoreError(lmdb: rc, what())
        if failure == nil { failure = error }
        throw error
    }

    /// Commits: durably for the outermost transaction, into the parent for a nested one (whose
    /// ``onCommit(_:)`` actions then wait for the parent's commit).
    func commit() throws(StoreError) {
        isFinished = true
        try lmdbCheck(mdb_txn_commit(handle), "committing a write to \(path)")
        if let parent { parent.afterCommit += afterCommit }
    }

    func abort() {
        guard !isFinished else { return }
        isFinished = true
        mdb_txn_abort(handle)
    }
}

/// A cursor over one database, valid inside ``TransactionReading/withCursor(_:_:)``.
struct Cursor {
    let handle: OpaquePointer
    let database: Database

    typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    /// Positions at the first key `>= key`.
    func seek(atOrAfter key: some ContiguousKey) throws(StoreError) -> Entry? {
        var k = MDB_val()
        var v = MDB_val()
        let rc = key.withMDBVal { probe in
            k = probe
            return mdb_cursor_get(handle, &k, &v, MDB_SET_RANGE)
        }
        return try entry(rc, k, v)
    }

    func first() throws(StoreError) -> Entry? { try move(MDB_FIRST) }
    func next() throws(StoreError) -> Entry? { try move(MDB_NEXT) }
    func last() throws(StoreError) -> Entry? { try move(MDB_LAST) }

    /// Deletes the record under the cursor (write transactions only).
    func deleteCurrent() throws(StoreError) {
        try lmdbCheck(mdb_cursor_del(handle, 0), "deleting through a cursor on '\(database.name)'")
    }

    private func move(_ op: MDB_cursor_op) throws(StoreError) -> Entry? {
        var k = MDB_val()
        var v = MDB_val()
        return try entry(mdb_cursor_get(handle, &k, &v, op), k, v)
    }

    private func entry(_ rc: Int32, _ k: MDB_val, _ v: MDB_val) throws(StoreError) -> Entry? {
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc, "moving a cursor on '\(database.name)'")
        return (
            UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
            UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
        )
    }
}

/// Bytes that can be handed to LMDB as an `MDB_val` without copying.
protocol ContiguousKey {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension ContiguousKey {
    func withMDBVal<R>(_ body: (inout MDB_val) throws -> R) rethrows -> R {
        try withUnsafeBytes { raw in
            var val = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
            return try body(&val)
        }
    }
}

extension Array: ContiguousKey where Element == UInt8 {}
extension ArraySlice: ContiguousKey where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousKey {}  // `withUnsafeBytes` comes from LatticeCrypto
