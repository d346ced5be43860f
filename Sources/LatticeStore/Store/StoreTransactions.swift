#if canImport(Glibc)
import Glibc
#endif

/// The store as one write transaction sees it. Valid only inside the closure given to
/// ``Store/write(_:)``; reads see this transaction's own earlier writes.
public struct StoreWriter {
    let store: Store
    let txn: WriteTransaction

    /// Stores `value` under `key` in `tenant`, sealed.
    public func put(_ value: [UInt8], forKey key: String, tenant: String) throws {
        try put(try SealedRecord(value, forKey: key, keys: try tenantKeys(tenant)))
    }

    /// Stores a record sealed before the write began, if its tenant still has the same keys
    /// (it may have been shredded, or shredded and created again, since).
    func put(_ record: SealedRecord) throws {
        guard try tenantKeys(record.keys.name) === record.keys else {
            throw StoreError(
                .unknownTenant,
                "tenant '\(record.keys.name)' was shredded while this write waited to be stored; it was not "
                    + "stored (write it again if the tenant was created again)"
            )
        }
        try txn.put(store.tables.records, record.lmdbKey, record.sealed)
    }

    /// The value under `key` in `tenant`, or `nil`.
    public func get(_ key: String, tenant: String) throws -> [UInt8]? {
        try Store.validate(key: key)
        return try store.readValue(txn, key: key, keys: try tenantKeys(tenant))
    }

    /// Deletes `key` from `tenant`; returns whether it existed.
    @discardableResult
    public func delete(_ key: String, tenant: String) throws -> Bool {
        try Store.validate(key: key)
        return try txn.delete(store.tables.records, try tenantKeys(tenant).recordKey(key))
    }

    func putRecord(_ kind: RecordPlaintext.Kind, _ payload: [UInt8], forKey key: String, keys: TenantKeys) throws {
        let lmdbKey = keys.recordKey(key)
        let plain = RecordPlaintext.encode(kind: kind, name: key, payload: payload)
        try txn.put(store.tables.records, lmdbKey, keys.seal(plain, table: .records, lmdbKey: lmdbKey))
    }
}

/// A `bytes` record sealed for its slot, ready to store.
struct SealedRecord: Sendable {
    let keys: TenantKeys
    let lmdbKey: [UInt8]
    let sealed: [UInt8]

    /// Checks the key and value against their limits and seals the record.
    init(_ value: [UInt8], forKey key: String, keys: TenantKeys) throws(StoreError) {
        try Store.validate(key: key)
        guard value.count <= StoreLimits.valueBytesMax else {
            throw StoreError(
                .limitExceeded,
                "value for key '\(key.prefix(64))' is \(value.count) bytes; the limit is "
                    + "StoreLimits.valueBytesMax = \(StoreLimits.valueBytesMax)"
            )
        }
        self.keys = keys
        lmdbKey = keys.recordKey(key)
        let plain = RecordPlaintext.encode(kind: .bytes, name: key, payload: value)
        sealed = keys.seal(plain, table: .records, lmdbKey: lmdbKey)
    }
}

/// The store as one read snapshot sees it. Valid only inside the closure given to ``Store/read(_:)``.
public struct StoreReader {
    let store: Store
    let txn: ReadTransaction

    /// The value under `key` in `tenant`, or `nil`.
    public func get(_ key: String, tenant: String) throws -> [UInt8]? {
        try Store.validate(key: key)
        return try store.readValue(txn, key: key, keys: try store.tenantKeys(tenant))
    }

    /// Calls `body` with each key name in `tenant` (in hash order, not name order) until it
    /// returns `false`. A damaged record throws `corrupted`.
    public func forEachKey(tenant: String, _ body: (String) throws -> Bool) throws {
        let keys = try store.tenantKeys(tenant)
        try txn.scan(store.tables.records, prefix: keys.prefix) { lmdbKey, sealed in
            let plain = try keys.open(sealed, table: .records, lmdbKey: lmdbKey, what: "a record of tenant '\(tenant)'")
            return try body(try RecordPlaintext.decode(plain, what: "a record of tenant '\(tenant)'").name)
        }
    }
}

extension Store {
    static func validate(key: String) throws(StoreError) {
        let count = key.utf8.count
        guard count >= 1, count <= StoreLimits.keyBytesMax else {
            throw StoreError(
                .limitExceeded,
                "key '\(key.prefix(64))' is \(count) bytes; keys must be 1...\(StoreLimits.keyBytesMax) "
                    + "UTF-8 bytes (StoreLimits.keyBytesMax)"
            )
        }
    }

    /// Opens the record of `key`, checking it is the record of that very name and of `kind`.
    func readRecord(
        _ txn: some TransactionReading,
        key: String,
        keys: TenantKeys,
        kind: RecordPlaintext.Kind
    ) throws -> ArraySlice<UInt8>? {
        try withRecord(txn, key: key, keys: keys, kind: kind) { Array($0) }?[...]
    }

    /// The value of `key`'s `bytes` record (a get is the store's hottest path: the record is
    /// decrypted straight from the page into a temporary buffer, and only the value is copied
    /// out, into the one array a read allocates).
    func readValue(_ txn: some TransactionReading, key: String, keys: TenantKeys) throws -> [UInt8]? {
        try withRecord(txn, key: key, keys: keys, kind: .bytes) { Array($0) }
    }

    /// Calls `body` with the payload of `key`'s record, decrypted into a temporary buffer that
    /// is wiped afterwards; `nil` if there is no record.
    private func withRecord<T>(
        _ txn: some TransactionReading,
        key: String,
        keys: TenantKeys,
        kind: RecordPlaintext.Kind,
        _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T? {
        try keys.withRecordKey(key) { lmdbKey throws -> T? in
            // The record's first bytes (the nonce) are read first; the rest only after the
            // HChaCha20 and ChaCha20 work, which the prefetch overlaps with its cache misses.
            guard let sealed = try txn.getPrefetching(tables.records, lmdbKey) else { return nil }
            // A local function, not a closure value: it is only built into a message on failure,
            // and a get allocates nothing for it.
            func what() -> String { "record of key '\(key.prefix(64))' in tenant '\(keys.name)'" }
            return try keys.withOpened(sealed, table: .records, lmdbKey: lmdbKey, what: what()) { plain in
                let record = try RecordPlaintext.Header(plain, what: what())
                guard Self.bytes(plain, record.name, equal: key) else {
                    throw StoreError(
                        .corrupted,
                        "\(what()) holds another key's name (a key-hash collision); it cannot be read"
                    )
                }
                guard record.kind == kind else {
                    throw StoreError(.wrongKind, "\(what()) holds \(record.kind) data, not \(kind)")
                }
                return try body(UnsafeRawBufferPointer(rebasing: plain[record.payload]))
            }
        }
    }

    /// Whether `bytes[range]` is the UTF-8 of `name` (one `memcmp`).
    private static func bytes(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, equal name: String) -> Bool {
        var name = name
        return name.withUTF8 { utf8 in
            utf8.count == range.count
                && (utf8.isEmpty || memcmp(raw.baseAddress! + range.lowerBound, utf8.baseAddress!, utf8.count) == 0)
        }
    }
}
