/// Named limits of the store. Each bounds memory or disk use and is checked on every input.
public enum StoreLimits {
    /// Longest key name, in UTF-8 bytes. Matches the core's key limit so any key the CRDT layer
    /// accepts can be stored; LMDB's own 511-byte key limit does not apply because only the
    /// 16-byte keyed hash of the name is an LMDB key.
    public static let keyBytesMax = 1024
    /// Largest value, in bytes. Values larger than this belong split across keys: an edge device
    /// must be able to hold a value, its ciphertext and its decoded form in memory at once.
    public static let valueBytesMax = 1 << 20
    /// Longest tenant name, in UTF-8 bytes (names appear in config files and logs).
    public static let tenantNameBytesMax = 255
    /// Largest sealed record accepted from disk: anything larger is damaged, and is refused
    /// before it is decrypted into memory.
    static let recordBytesMax = 1 + 2 + keyBytesMax + valueBytesMax + 64 + 40
    /// Largest sealed tenant-state slot (the causal context, the complete vector). Peers
    /// cannot grow a context past `CoreLimits.replicasPerTenantMax` ids and
    /// `CoreLimits.cloudDotsMax` cloud dots (about 1.3 MB encoded), so 4 MiB is never reached
    /// by admitted input; a slot that would be larger is refused before it is written.
    static let stateSlotBytesMax = 4 << 20
    /// Records deleted per transaction while purging a shredded tenant, so a purge never holds
    /// the writer (or LMDB's dirty-page budget) for long.
    public static let purgeBatchRecordsMax = 1000
}

/// How a store is opened.
public struct StoreConfiguration: Sendable, Equatable {
    /// When a write is acknowledged.
    public enum Durability: Sendable, Equatable {
        /// After the group commit that holds it is on disk (`fdatasync`). The default.
        case durable
        /// After the commit reaches the page cache; the writer flushes at least every
        /// `syncIntervalMs`. A power loss can lose acknowledged writes from that window (a
        /// process crash cannot). Only for operators who name it in config.
        case relaxed(syncIntervalMs: Int)
    }

    /// When writes are acknowledged.
    public var durability: Durability = .durable
    /// Initial map size in bytes (virtual address space, not disk). Grows by doubling.
    public var mapBytesInitial: Int = 64 << 20
    /// Largest map the store grows to; past it writes fail with `storeFull` and reads keep working.
    public var mapBytesMax: Int = 16 << 30
    /// Reader slots in the lock file: concurrent reads across every process using the directory.
    public var readersMax: Int = 126
    /// Writes that may wait for the writer thread before further writers are suspended.
    /// 4,096 is four full batches: enough to keep the writer busy through one slow fsync.
    public var writeQueueDepthMax: Int = 4096
    /// Writes committed together in one transaction. Around 1,000 puts per commit is where a
    /// durable LMDB commit's fixed cost (the fsync) stops dominating.
    public var commitBatchWritesMax: Int = 1024

    public init() {}

    /// Throws `limitExceeded` naming the first field that is out of range.
    func validate() throws(StoreError) {
        func require(_ ok: Bool, _ field: String, _ rule: String) throws(StoreError) {
            guard ok else { throw StoreError(.limitExceeded, "StoreConfiguration.\(field) \(rule)") }
        }
        try require(mapBytesInitial >= 1 << 20, "mapBytesInitial", "must be at least 1 MiB")
        try require(mapBytesMax >= mapBytesInitial, "mapBytesMax", "must be at least mapBytesInitial")
        try require((1...4096).contains(readersMax), "readersMax", "must be 1...4096")
        try require((1...1 << 20).contains(writeQueueDepthMax), "writeQueueDepthMax", "must be 1...1048576")
        try require((1...65536).contains(commitBatchWritesMax), "commitBatchWritesMax", "must be 1...65536")
        if case .relaxed(let ms) = durability {
            try require((1...60_000).contains(ms), "durability", "relaxed syncIntervalMs must be 1...60000")
        }
    }
}
