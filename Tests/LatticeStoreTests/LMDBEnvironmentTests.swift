import Dispatch
import Foundation
import Synchronization
import Testing

@testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LMDBEnvironmentTests {
    static func options(mapBytes: Int = 1 << 20, mapBytesMax: Int = 8 << 20) -> EnvironmentOptions {
        EnvironmentOptions(
            mapBytesInitial: mapBytes,
            mapBytesMax: mapBytesMax,
            readersMax: 16,
            databasesMax: 4,
            syncOnCommit: true
        )
    }

    static func withDatabase(
        _ options: EnvironmentOptions = options(),
        _ body: (LMDBEnvironment, Database) throws -> Void
    ) throws {
        let temp = TempDirectory()
        defer { temp.remove() }
        let env = try LMDBEnvironment(path: temp.child("env"), options: options)
        defer { env.close() }
        let txn = try env.beginWrite()
        let db = try env.openDatabase("t", create: true, in: txn.handle)
        try txn.commit()
        try body(env, db)
    }

    @Test func putThenGet_roundTripsAndCursorScansInKeyOrder() throws {
        try Self.withDatabase { env, db in
            let txn = try env.beginWrite()
            for i in [3, 1, 2] { try txn.put(db, [0x01, UInt8(i)], Array("v\(i)".utf8)) }
            try txn.put(db, [0x02, 0x00], [9])
            try txn.commit()
            let (value, keys): ([UInt8]?, [[UInt8]]) = try env.read { r in
                var keys: [[UInt8]] = []
                try r.scan(db, prefix: [0x01]) { k, _ in
                    keys.append(Array(k))
                    return true
                }
                return (try r.get(db, [0x01, 2]).map { Array($0) }, keys)
            }
            #expect(value == Array("v2".utf8))
            #expect(keys == [[1, 1], [1, 2], [1, 3]])
        }
    }

    @Test func openingTheSameDirectoryTwice_isRefused() throws {
        let temp = TempDirectory()
        defer { temp.remove() }
        let env = try LMDBEnvironment(path: temp.child("env"), options: Self.options())
        #expect {
            _ = try LMDBEnvironment(path: temp.child("env") + "/.", options: Self.options())
        } throws: { ($0 as? StoreError)?.code == .alreadyOpen }
        env.close()
        let again = try LMDBEnvironment(path: temp.child("env"), options: Self.options())
        again.close()
    }

    @Test func missingDatabase_isNotFound() throws {
        try Self.withDatabase { env, _ in
            let txn = try env.beginWrite()
            defer { txn.abort() }
            #expect {
                _ = try env.openDatabase("absent", create: false, in: txn.handle)
            } throws: { ($0 as? StoreError)?.code == .notFound }
        }
    }

    @Test func returnCodes_mapToDistinctTypedErrors() {
        #expect(StoreError(lmdb: -30792, "x").code == .mapFull)
        #expect(StoreError(lmdb: -30790, "x").code == .readersFull)
        #expect(StoreError(lmdb: -30798, "x").code == .notFound)
        #expect(StoreError(lmdb: -30796, "x").code == .corrupted)
        #expect(StoreError(lmdb: -30788, "x").code == .transactionFull)
        #expect(StoreError(lmdb: EIO, "x").code == .io)
    }

    @Test func mapFull_isSurfaced_thenGrowingLetsTheWriteThrough() throws {
        try Self.withDatabase(Self.options(mapBytes: 1 << 20, mapBytesMax: 4 << 20)) { env, db in
            let value = [UInt8](repeating: 7, count: 32 << 10)
            var written = 0
            var full: StoreError?
            while full == nil && written < 1000 {
                let txn = try env.beginWrite()
                do {
                    try txn.put(db, bigEndianBytes(UInt64(written)), value)
                    try txn.commit()
                    written += 1
                } catch {
                    txn.abort()
                    full = error as? StoreError
                }
            }
            #expect(full?.code == .mapFull)
            #expect(written > 0)
            try env.grow()
            #expect(env.mapBytes == 2 << 20)
            let txn = try env.beginWrite()
            try txn.put(db, bigEndianBytes(UInt64(written)), value)
            try txn.commit()
            let count = try env.read { r in
                var n = 0
                try r.scan(db, prefix: []) { _, _ in
                    n += 1
                    return true
                }
                return n
            }
            #expect(count == written + 1)
        }
    }

    @Test func growingPastTheMaximum_isStoreFullNamingTheLimit() throws {
        try Self.withDatabase(Self.options(mapBytes: 1 << 20, mapBytesMax: 2 << 20)) { env, _ in
            try env.grow()
            #expect {
                try env.grow()
            } throws: { error in
                let e = error as? StoreError
                return e?.code == .storeFull && e?.message.contains("2097152") == true
            }
        }
    }
}

/// Reads reuse a pooled snapshot only while it is the newest: a commit made after a read
/// (through the writer thread or straight through LMDB) is always seen by the next read.
@Suite struct PooledSnapshotTests {
    @Test func aReadAfterACommit_seesIt_evenWhenTheSnapshotWasPooledLive() throws {
        try LMDBEnvironmentTests.withDatabase { env, db in
            for round in 0..<5 {
                let key = [UInt8(round)]
                #expect(try env.read { try $0.get(db, key).map(Array.init) } == nil)
                #expect(env.idleLiveSnapshots == 1)
                let txn = try env.beginWrite()  // not through the writer thread: nothing resets the pool
                try txn.put(db, key, [UInt8(round), 1])
                try txn.commit()
                #expect(try env.read { try $0.get(db, key).map(Array.init) } == [UInt8(round), 1])
            }
        }
    }

    @Test func aGroupCommit_resetsTheIdleSnapshots_soTheyPinNoPages() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        #expect(try store.get("k", tenant: "t") == nil)
        #expect(store.environment.idleLiveSnapshots == 1)
        try await store.put([7], forKey: "k", tenant: "t")
        #expect(store.environment.idleLiveSnapshots == 0)
        #expect(try store.get("k", tenant: "t") == [7])
        #expect(try store.get("k", tenant: "t") == [7])
        #expect(store.environment.idleLiveSnapshots == 1)
    }

    @Test func aReadThatOutlivesACommit_isPooledWithoutItsSnapshot() throws {
        try LMDBEnvironmentTests.withDatabase { env, db in
            try env.read { r in
                #expect(try r.get(db, [1]) == nil)
                let txn = try env.beginWrite()  // commits while the read still holds its snapshot
                try txn.put(db, [1], [1])
                try txn.commit()
            }
            #expect(env.idleLiveSnapshots == 0, "an outdated snapshot would pin the pages that commit freed")
            #expect(try env.read { try $0.get(db, [1]).map(Array.init) } == [1])
            #expect(env.idleLiveSnapshots == 1)
        }
    }

    @Test func growingTheMap_resetsTheIdleSnapshots() throws {
        try LMDBEnvironmentTests.withDatabase { env, db in
            _ = try env.read { try $0.get(db, [1]) }
            #expect(env.idleLiveSnapshots == 1)
            try env.grow()
            #expect(env.idleLiveSnapshots == 0)
            #expect(try env.read { try $0.get(db, [1]) } == nil)
        }
    }
}

/// Many threads reading while the writer commits: every thread's reads only move forward,
/// and once a write is acknowledged every read sees it (the hot slot, the pool and the
/// writer's resets hand read transactions between threads without losing one).
@Suite struct ConcurrentSnapshotTests {
    @Test func readsOnManyThreads_neverGoBackward_andSeeEveryAcknowledgedWrite() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var config = StoreConfiguration()
        config.durability = .relaxed(syncIntervalMs: 1000)  // commits, not fsyncs, are under test
        let store = try fixture.open(config)
        defer { store.close() }
        try await store.createTenant("t")
        try await store.put([0, 0], forKey: "k", tenant: "t")
        let acknowledged = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let writes = 100
        // Threads of their own, not Dispatch's or the cooperative pool's: the readers block, and
        // the writes' continuations must still find a thread to resume on.
        let readersDone = DispatchGroup()
        for thread in 0..<4 {
            readersDone.enter()
            Thread {
                defer { readersDone.leave() }
                var last = 0
                while last < writes {
                    let floor = acknowledged.load(ordering: .acquiring)
                    guard let bytes = try? store.get("k", tenant: "t"), bytes.count == 2 else {
                        failures.withLock { $0.append("thread \(thread): a read failed") }
                        return
                    }
                    let seen = Int(bytes[0]) << 8 | Int(bytes[1])
                    if seen < last || seen < floor {
                        failures.withLock { $0.append("thread \(thread) saw \(seen) after \(last), floor \(floor)") }
                        return
                    }
                    last = seen
                    sched_yield()  // leaves the writer a core on small machines
                }
            }.start()
        }
        for i in 1...writes {
            try await store.put([UInt8(i >> 8), UInt8(i & 0xff)], forKey: "k", tenant: "t")
            acknowledged.store(i, ordering: .releasing)
        }
        await withCheckedContinuation { done in readersDone.notify(queue: .global()) { done.resume() } }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    }
}
