import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// The raw LMDB baselines the store benchmark compares against, written straight against the
/// C API (no wrapper, no encryption, no queue), so a ratio shows what the store's layers cost.
/// Exposed only to the benchmark suite, which cannot import `CLMDB` itself.
@_spi(Bench)
public final class RawLMDBBaseline {
    private let env: OpaquePointer
    private var dbi: MDB_dbi = 0
    /// Key length used by both sides: the store's LMDB keys are 8-byte tenant + 16-byte hash.
    public static let keyBytes = 24

    /// Opens a fresh environment in `directory` (which must exist and be empty), default
    /// (durable) sync, `MDB_NOTLS` like the store, with one named database.
    public init(directory: String, mapBytes: Int) throws {
        var env: OpaquePointer?
        try lmdbCheck(mdb_env_create(&env), "baseline: mdb_env_create")
        self.env = env!
        try lmdbCheck(mdb_env_set_mapsize(env, mapBytes), "baseline: mdb_env_set_mapsize")
        try lmdbCheck(mdb_env_set_maxdbs(env, 2), "baseline: mdb_env_set_maxdbs")
        try lmdbCheck(mdb_env_open(env, directory, UInt32(MDB_NOTLS), 0o600), "baseline: mdb_env_open \(directory)")
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, 0, &txn), "baseline: mdb_txn_begin")
        try lmdbCheck(mdb_dbi_open(txn, "bench", UInt32(MDB_CREATE), &dbi), "baseline: mdb_dbi_open")
        try lmdbCheck(mdb_txn_commit(txn), "baseline: mdb_txn_commit")
    }

    deinit { mdb_env_close(env) }

    /// The baseline key for `index`: 24 bytes, spread over the key space like a hash, and
    /// distinct for distinct indices (the first 8 bytes are a bijection of the index), so a
    /// baseline over N indices really holds N keys, as the store does.
    ///
    /// Each 8-byte word is the SplitMix64 output (Steele, Lea and Flood 2014) for the index's
    /// consecutive states. An earlier version derived every byte from the same 32 bits of one
    /// word and produced only about 46,000 distinct keys for 1,000,000 indices.
    public static func key(_ index: Int) -> [UInt8] {
        var key = [UInt8]()
        key.reserveCapacity(keyBytes)
        var state = UInt64(truncatingIfNeeded: index) &* 3
        for _ in 0..<keyBytes / 8 {
            state &+= 1
            let word = splitMix64(state)
            for shift in stride(from: 56, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        return key
    }

    /// The SplitMix64 output function of `state` (a bijection on 64-bit words).
    private static func splitMix64(_ state: UInt64) -> UInt64 {
        var z = state &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Records in the baseline's database (`mdb_stat` entries), to check a load holds every key.
    public func entries() throws -> Int {
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "baseline: mdb_txn_begin")
        defer { mdb_txn_abort(txn) }
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(txn, dbi, &stat), "baseline: mdb_stat")
        return stat.ms_entries
    }

    /// Puts keys `range` with `value`, `perTransaction` puts per durable commit. Returns seconds.
    public func batchedPuts(_ range: Range<Int>, value: [UInt8], perTransaction: Int) throws -> Double {
        let keys = range.map(Self.key)
        let clock = ContinuousClock()
        let start = clock.now
        var i = 0
        while i < keys.count {
            var txn: OpaquePointer?
            try lmdbCheck(mdb_txn_begin(env, nil, 0, &txn), "baseline: mdb_txn_begin")
            for key in keys[i..<min(i + perTransaction, keys.count)] {
                let rc = key.withMDBVal { k in value.withMDBVal { v in mdb_put(txn, dbi, &k, &v, 0) } }
                if rc != 0 { mdb_txn_abort(txn) }
                try lmdbCheck(rc, "baseline: mdb_put")
            }
            try lmdbCheck(mdb_txn_commit(txn), "baseline: mdb_txn_commit")
            i += perTransaction
        }
        return seconds(start.duration(to: clock.now))
    }

    /// Gets the keys with the given indices, renewing one read transaction every 1,000 gets, and
    /// copies each value out (as any reader that uses the value must; the store returns a copy).
    /// Returns seconds; throws if a key is missing.
    public func randomGets(_ indices: [Int]) throws -> Double {
        let keys = indices.map(Self.key)
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "baseline: mdb_txn_begin")
        defer { mdb_txn_abort(txn) }
        mdb_txn_reset(txn)
        let clock = ContinuousClock()
        let start = clock.now
        var checksum = 0
        for (n, key) in keys.enumerated() {
            if n % 1000 == 0 {
                if n > 0 { mdb_txn_reset(txn) }
                try lmdbCheck(mdb_txn_renew(txn), "baseline: mdb_txn_renew")
            }
            var data = MDB_val()
            try lmdbCheck(key.withMDBVal { k in mdb_get(txn, dbi, &k, &data) }, "baseline: mdb_get")
            let value = Array(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
            checksum &+= value.count
        }
        let elapsed = seconds(start.duration(to: clock.now))
        precondition(checksum > 0)
        return elapsed
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

extension Store {
    /// Loads `count` keys named by `name(i)` with `value` into `tenant`, 1,000 per write, for
    /// benchmarks that need a populated store without measuring the load.
    @_spi(Bench)
    public func benchLoad(
        tenant: String,
        count: Int,
        value: [UInt8],
        name: @escaping @Sendable (Int) -> String
    ) async throws {
        var start = 0
        while start < count {
            let range = start..<min(start + 1000, count)
            try await write { w in
                for i in range { try w.put(value, forKey: name(i), tenant: tenant) }
            }
            start = range.upperBound
        }
    }
}
