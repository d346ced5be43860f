import LatticeCrypto
import Synchronization
import Testing

@testable import LatticeStore

@Suite struct GroupCommitTests {
    @Test func concurrentWrites_areAllAcknowledgedAndReadable() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    for i in 0..<50 { try await store.put([UInt8(w), UInt8(i)], forKey: "k\(w)-\(i)", tenant: "t") }
                }
            }
            try await group.waitForAll()
        }
        for w in 0..<8 {
            for i in 0..<50 { #expect(try store.get("k\(w)-\(i)", tenant: "t") == [UInt8(w), UInt8(i)]) }
        }
    }

    @Test func aFailingWrite_failsAlone_andTheOthersInItsBatchCommit() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<64 {
                group.addTask {
                    do {
                        try await store.write { w in
                            try w.put([UInt8(i)], forKey: "k\(i)", tenant: "t")
                            if i % 8 == 3 { throw StoreError(.limitExceeded, "refused on purpose") }
                        }
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        for i in 0..<64 {
            #expect(results[i] == (i % 8 != 3))
            #expect(try store.get("k\(i)", tenant: "t") == (i % 8 == 3 ? nil : [UInt8(i)]))
        }
    }

    @Test func aSmallQueue_appliesBackpressure_withoutLosingWrites() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var config = StoreConfiguration()
        config.writeQueueDepthMax = 2
        config.commitBatchWritesMax = 2
        let store = try fixture.open(config)
        defer { store.close() }
        try await store.createTenant("t")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 { group.addTask { try await store.put([1], forKey: "k\(i)", tenant: "t") } }
            try await group.waitForAll()
        }
        let count = try store.read { r in
            var n = 0
            try r.forEachKey(tenant: "t") { _ in
                n += 1
                return true
            }
            return n
        }
        #expect(count == 100)
    }

    @Test func relaxedDurability_acknowledgesAndPersistsAcrossReopen() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var config = StoreConfiguration()
        config.durability = .relaxed(syncIntervalMs: 5)
        do {
            let store = try fixture.open(config)
            try await store.createTenant("t")
            try await store.put([42], forKey: "k", tenant: "t")
            store.close()
        }
        let store = try fixture.open()
        defer { store.close() }
        #expect(try store.get("k", tenant: "t") == [42])
    }

    @Test func writesAfterClose_failWithClosed() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        try await store.createTenant("t")
        store.close()
        await #expect {
            try await store.put([1], forKey: "k", tenant: "t")
        } throws: { ($0 as? StoreError)?.code == .closed }
        #expect {
            _ = try store.get("k", tenant: "t")
        } throws: { ($0 as? StoreError)?.code == .closed }
    }

    @Test func mapGrowsUnderWrites_andPastTheMaximumWritesFailWhileReadsWork() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var config = StoreConfiguration()
        config.mapBytesInitial = 1 << 20
        config.mapBytesMax = 4 << 20
        let store = try fixture.open(config)
        defer { store.close() }
        try await store.createTenant("t")
        let value = [UInt8](repeating: 1, count: 60 << 10)
        var stored = 0
        var failure: StoreError?
        while failure == nil && stored < 200 {
            do {
                try await store.put(value, forKey: "k\(stored)", tenant: "t")
                stored += 1
            } catch let error as StoreError {
                failure = error
            }
        }
        #expect(failure?.code == .storeFull)
        #expect(failure?.message.contains("\(4 << 20) bytes") == true)
        #expect(store.mapBytes == 4 << 20)
        #expect(stored > 20)  // far more than fit in the initial 1 MiB map
        #expect(try store.get("k0", tenant: "t") == value)
        #expect(try store.get("k\(stored - 1)", tenant: "t") == value)
        try await store.put([1], forKey: "small", tenant: "t")  // the environment still takes small writes
        #expect(try store.get("small", tenant: "t") == [1])
    }
}

/// Review M2: each write runs in its own nested transaction, so one that fails is undone alone
/// and the others in its group commit once, without running again.
@Suite struct NestedTransactionTests {
    @Test func aFailingWrite_abortsOnlyItsNestedTransaction_andTheGroupCommitsOnce() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        let probe = WriteProbe()
        let writes = 64
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            // Holds the writer thread until every other write is queued, so all land in one group.
            group.addTask {
                try await store.write { _ in
                    probe.holding.store(true, ordering: .releasing)
                    let ready = eventually(seconds: 60) { store.writer.queuedWrites == writes }
                    precondition(ready, "the writes were not queued within 60 s")
                }
                return (-1, true)
            }
            #expect(eventually(seconds: 60) { probe.holding.load(ordering: .acquiring) })
            for i in 0..<writes {
                group.addTask {
                    do {
                        try await store.write { w in
                            probe.runs.withLock { $0[i, default: 0] += 1 }
                            try w.put([UInt8(i)], forKey: "k\(i)", tenant: "t")
                            if i % 8 == 3 { throw StoreError(.limitExceeded, "refused on purpose") }
                        }
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let commitsBefore = 2  // createTenant's group and the holding write's group
        #expect(store.writer.groupCommits.load(ordering: .relaxed) == commitsBefore + 1)
        for i in 0..<writes {
            #expect(results[i] == (i % 8 != 3))
            #expect(probe.runs.withLock { $0[i] } == 1, "write \(i) ran more than once")
            #expect(try store.get("k\(i)", tenant: "t") == (i % 8 == 3 ? nil : [UInt8(i)]))
        }
    }

    @Test func aWriteThatSwallowsAnLMDBError_stillFailsAlone() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        let records = store.tables.records
        await #expect(throws: StoreError.self) {
            try await store.write { w in
                try w.put([1], forKey: "lost", tenant: "t")
                // An empty key is refused by LMDB (EINVAL); the closure hides the error.
                try? w.txn.put(records, [UInt8](), [UInt8(1)])
            }
        }
        try await store.put([2], forKey: "kept", tenant: "t")
        #expect(try store.get("lost", tenant: "t") == nil)
        #expect(try store.get("kept", tenant: "t") == [2])
    }
}

/// What the writes of a test did, shared with their closures.
private final class WriteProbe: Sendable {
    /// How often each write's closure ran.
    let runs = Mutex<[Int: Int]>([:])
    /// Set once the write holding the writer thread runs.
    let holding = Atomic<Bool>(false)
}
