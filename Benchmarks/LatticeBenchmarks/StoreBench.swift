import Dispatch
import Foundation
import LatticeCore
import LatticeCrypto
@_spi(Bench) import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

/// `lattice bench store`: the store against raw LMDB through its C API, same disk, same run.
///
/// - Durable writes: raw LMDB commits 1,000 puts per durable transaction; the store takes
///   single-key writes from 8 concurrent writers (each keeping `storeWriteWindow` writes in
///   flight, as a replication node applying deltas does), encrypts each value and group-commits.
///   A second figure keeps one write in flight per writer (latency-bound: about 8 writes per fsync).
/// - Random gets over 1,000,000 keys (`--quick`: 20,000): raw `mdb_get` against `Store.get`
///   (keyed hash of the name, a pooled `MDB_NOTLS` snapshot, decryption, name check).
enum StoreBench {
    static let valueBytes = 100
    static let writers = 8
    static let storeWriteWindow = 128

    static let suite = BenchSuite(
        name: "store",
        summary: "Durable group-committed encrypted writes and random gets against raw LMDB"
    ) { options, emit in
        let sizes =
            options.quick
            ? (puts: 10_000, keys: 20_000, gets: 20_000) : (puts: 200_000, keys: 1_000_000, gets: 1_000_000)
        let root = options.workDirectory + "/lattice-bench-store-\(Random.uint64())"
        guard mkdir(root, 0o700) == 0 else { throw BenchStoreError("cannot create \(root)") }
        defer { removeTree(root) }
        try runWrites(root: root, puts: sizes.puts, emit: emit)
        try runGets(root: root, keys: sizes.keys, gets: sizes.gets, emit: emit)
    }

    private static func runWrites(root: String, puts: Int, emit: (BenchMeasurement) -> Void) throws {
        let value = [UInt8](repeating: 0x5a, count: valueBytes)
        let rawDir = root + "/raw-put"
        mkdir(rawDir, 0o700)
        let raw = try RawLMDBBaseline(directory: rawDir, mapBytes: 4 << 30)
        let rawRate = Double(puts) / (try raw.batchedPuts(0..<puts, value: value, perTransaction: 1000))
        guard try raw.entries() == puts else { throw BenchStoreError("raw baseline holds fewer than \(puts) keys") }
        let store = try openStore(root + "/store-put", root: root)
        defer { store.close() }
        let piped = try blocking { try await timedWrites(store, total: puts, window: storeWriteWindow, prefix: "p") }
        emit(
            BenchMeasurement(
                name: "store.put.durable.8writers.encrypted",
                value: Double(puts) / piped,
                unit: "ops/s",
                baseline: "lmdb.put.durable.1000pertxn",
                baselineValue: rawRate
            )
        )
        let unpipelined = min(puts, 4000)
        let single = try blocking { try await timedWrites(store, total: unpipelined, window: 1, prefix: "s") }
        emit(
            BenchMeasurement(
                name: "store.put.durable.8writers.1inflight",
                value: Double(unpipelined) / single,
                unit: "ops/s",
                baseline: "lmdb.put.durable.1000pertxn",
                baselineValue: rawRate
            )
        )
    }

    private static func runGets(root: String, keys: Int, gets: Int, emit: (BenchMeasurement) -> Void) throws {
        let value = [UInt8](repeating: 0x5a, count: valueBytes)
        var rng = SplitMix64(seed: 0x5eed)
        let order = (0..<gets).map { _ in Int(rng.next() % UInt64(keys)) }
        let rawDir = root + "/raw-get"
        mkdir(rawDir, 0o700)
        let raw = try RawLMDBBaseline(directory: rawDir, mapBytes: 4 << 30)
        _ = try raw.batchedPuts(0..<keys, value: value, perTransaction: 10_000)
        guard try raw.entries() == keys else { throw BenchStoreError("raw baseline holds fewer than \(keys) keys") }
        let rawRate = Double(gets) / (try raw.randomGets(order))
        let store = try openStore(root + "/store-get", root: root)
        defer { store.close() }
        try blocking { try await store.benchLoad(tenant: "bench", count: keys, value: value, name: keyName) }
        let names = order.map(keyName)
        let single = try Stopwatch.seconds {
            for name in names where try store.get(name, tenant: "bench")?.count != valueBytes {
                throw BenchStoreError("store lost \(name)")
            }
        }
        emit(
            BenchMeasurement(
                name: "store.get.random.encrypted",
                value: Double(gets) / single,
                unit: "ops/s",
                baseline: "lmdb.get.random",
                baselineValue: rawRate
            )
        )
        let batched = try Stopwatch.seconds {
            var i = 0
            while i < names.count {
                let slice = names[i..<min(i + 1000, names.count)]
                try store.read { r in
                    for name in slice where try r.get(name, tenant: "bench") == nil {
                        throw BenchStoreError("store lost \(name)")
                    }
                }
                i += 1000
            }
        }
        emit(
            BenchMeasurement(
                name: "store.get.random.encrypted.1000perread",
                value: Double(gets) / batched,
                unit: "ops/s",
                baseline: "lmdb.get.random",
                baselineValue: rawRate
            )
        )
    }

    @Sendable static func keyName(_ i: Int) -> String { "bench/key/\(i)" }

    private static func openStore(_ directory: String, root: String) throws -> Store {
        let key = try MasterKey.generate(at: directory + ".key")
        var config = StoreConfiguration()
        config.mapBytesInitial = 256 << 20
        let store = try Store.open(directory: directory, masterKey: key, configuration: config)
        try blocking { try await store.createTenant("bench") }
        return store
    }

    /// `total` durable writes from `writers` tasks, each keeping `window` writes in flight. Seconds.
    private static func timedWrites(_ store: Store, total: Int, window: Int, prefix: String) async throws -> Double {
        let value = [UInt8](repeating: 0x5a, count: valueBytes)
        let perWriter = total / writers
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { outer in
            for w in 0..<writers {
                outer.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var next = 0
                        while next < min(window, perWriter) {
                            let i = next
                            group.addTask { try await store.put(value, forKey: "\(prefix)/\(w)/\(i)", tenant: "bench") }
                            next += 1
                        }
                        while try await group.next() != nil {
                            guard next < perWriter else { continue }
                            let i = next
                            group.addTask { try await store.put(value, forKey: "\(prefix)/\(w)/\(i)", tenant: "bench") }
                            next += 1
                        }
                    }
                }
            }
            try await outer.waitForAll()
        }
        let d = start.duration(to: clock.now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Runs async `body` to completion from synchronous code (the suite runner is synchronous).
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = BlockingBox<T>()
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class BlockingBox<T>: @unchecked Sendable {
    // Written by the task before the semaphore is signalled; read after the wait.
    var result: Result<T, any Error>?
}

struct BenchStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Removes `path` and everything under it (a symlink is removed, not followed).
private func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
