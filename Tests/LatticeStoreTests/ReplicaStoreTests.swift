import LatticeCore
import LatticeCrypto
import LatticeSync
import Testing

@testable import LatticeStore

/// A replica store in its own directory, with one tenant "t".
struct ReplicaFixture {
    let fixture: StoreFixture
    let store: Store
    let replica: ReplicaStore

    init() async throws {
        fixture = try StoreFixture()
        store = try fixture.open()
        try await store.createTenant("t")
        replica = try await ReplicaStore.open(store)
    }

    func close() {
        store.close()
        fixture.remove()
    }
}

/// A seeded random operation on one of a few keys, of the type that key always holds.
func randomOperation(_ rng: inout SplitMix64) -> (key: String, op: CRDTOperation) {
    let n = Int(rng.next() % 6)
    let element = Scalar.int(Int64(rng.next() % 5))
    switch n {
    case 0: return ("counter", .increment(by: Int64(rng.next() % 7) - 3))
    case 1: return ("register", .assign(.string("v\(rng.next() % 100)")))
    case 2: return ("set", .add(element))
    case 3: return ("set", .remove(element))
    case 4: return ("map", .update(field: "f\(rng.next() % 3)", .increment(by: 1)))
    default: return (["counter", "register", "set"][Int(rng.next() % 3)], .clear)
    }
}

extension ReplicaStore {
    /// Every batch of a whole answer to `peer`, `limit` keys per batch.
    func drainAnswer(tenant: String, to peer: VersionVector, limit: Int) throws -> [SyncBatch] {
        var answer = try self.answer(tenant: tenant, to: peer)
        var batches: [SyncBatch] = []
        repeat { batches.append(try nextBatch(of: &answer, limit: limit)) } while !answer.isFinished
        return batches
    }
}

@Suite struct ReplicaStoreTests {
    @Test func localWrites_matchTheInMemoryReferenceModel() async throws {
        let seed = Random.uint64()
        var rng = SplitMix64(seed: seed)
        let a = try await ReplicaFixture()
        defer { a.close() }
        var model = TenantReplica(replica: a.replica.replica)
        for step in 0..<200 {
            let (key, op) = randomOperation(&rng)
            let time = HLCTimestamp(wallMilliseconds: 1_000 + UInt64(step), logical: 0)
            let expected = try model.write(key, op, at: time)
            let delta = try await a.replica.write(key, op, tenant: "t", at: time)
            #expect(delta == expected, "seed \(seed) step \(step): \(key) \(op)")
        }
        #expect(try a.replica.context(tenant: "t") == model.context, "seed \(seed)")
        #expect(try a.replica.complete(tenant: "t") == model.complete, "seed \(seed)")
        for (key, state) in model.keys {
            let stored = try a.replica.state(key, tenant: "t")
            #expect(stored?.value == state.value && stored?.version == state.version, "seed \(seed) key \(key)")
        }
    }

    @Test func twoReplicasExchangingDeltas_converge_andAgreeOnTheDigest() async throws {
        let seed = Random.uint64()
        var rng = SplitMix64(seed: seed)
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        var toB: [KeyDelta] = []
        var toA: [KeyDelta] = []
        for step in 0..<150 {
            let (key, op) = randomOperation(&rng)
            let time = HLCTimestamp(wallMilliseconds: 1_000 + UInt64(step), logical: 0)
            let onA = rng.next() % 2 == 0
            do {
                if onA {
                    toB.append(try await a.replica.write(key, op, tenant: "t", at: time))
                } else {
                    toA.append(try await b.replica.write(key, op, tenant: "t", at: time))
                }
            } catch is CRDTError {
                continue  // a type conflict on a concurrent value: refused, as the model does
            }
            if rng.next() % 5 == 0 {  // deliver in shuffled order, sometimes twice
                try await b.replica.apply(toB.shuffled(using: &rng), tenant: "t")
                try await a.replica.apply(toA.shuffled(using: &rng), tenant: "t")
                if rng.next() % 2 == 0 { toB.removeAll() }
                toA.removeAll()
            }
        }
        try await b.replica.apply(toB, tenant: "t")
        try await a.replica.apply(toA, tenant: "t")
        #expect(try a.replica.context(tenant: "t") == b.replica.context(tenant: "t"), "seed \(seed)")
        for key in ["counter", "register", "set", "map"] {
            #expect(try a.replica.value(key, tenant: "t") == b.replica.value(key, tenant: "t"), "seed \(seed) \(key)")
        }
        #expect(try a.replica.digest(tenant: "t") == b.replica.digest(tenant: "t"), "seed \(seed)")
        #expect(try a.replica.digest(tenant: "t") != [UInt8](repeating: 0, count: 32))
    }

    @Test func answerToAVector_sendsExactlyTheKeysTouchedAfterIt_batchByBatch() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        for i in 0..<10 {
            _ = try await a.replica.write("k\(i)", .increment(by: 1), tenant: "t", at: HLCTimestamp(rawValue: 1))
        }
        let me = a.replica.replica
        let all = try a.replica.drainAnswer(tenant: "t", to: VersionVector(), limit: 100)
        #expect(Set(all.flatMap(\.entries).map(\.key)) == Set((0..<10).map { "k\($0)" }))
        #expect(all.count == 1)
        let paged = try a.replica.drainAnswer(tenant: "t", to: VersionVector([me: 5]), limit: 2)
        #expect(paged.map(\.entries.count) == [2, 2, 1])
        #expect(paged.flatMap(\.entries).map(\.key) == ["k5", "k6", "k7", "k8", "k9"])
        #expect(paged.map(\.isLast) == [false, false, true])
        let none = try a.replica.drainAnswer(tenant: "t", to: VersionVector([me: 10]), limit: 5)
        #expect(none.count == 1 && none[0].entries.isEmpty && none[0].isLast)
    }

    @Test func overwritingAKey_movesItsIndexEntry_soOldCountersDoNotListIt() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let t = HLCTimestamp(rawValue: 1)
        _ = try await a.replica.write("x", .assign(.int(1)), tenant: "t", at: t)
        _ = try await a.replica.write("y", .assign(.int(1)), tenant: "t", at: t)
        _ = try await a.replica.write("x", .assign(.int(2)), tenant: "t", at: t)
        let me = a.replica.replica
        #expect(
            try a.replica.drainAnswer(tenant: "t", to: VersionVector([me: 2]), limit: 10).flatMap(\.entries).map(\.key)
                == ["x"]
        )
        let indexEntries = try a.store.environment.read { txn in
            var n = 0
            try txn.scan(a.store.tables.dots, prefix: []) { _, _ in
                n += 1
                return true
            }
            return n
        }
        #expect(indexEntries == 2)  // one per (key, origin)
    }

    @Test func replicaID_persistsAcrossReopen_andDiffersBetweenDirectories() async throws {
        let a = try await ReplicaFixture()
        let b = try await ReplicaFixture()
        defer { b.close() }
        #expect(a.replica.replica != b.replica.replica)
        let id = a.replica.replica
        a.store.close()
        let reopened = try a.fixture.open()
        defer {
            reopened.close()
            a.fixture.remove()
        }
        #expect(try await ReplicaStore.open(reopened).replica == id)
    }

    @Test func aDeletedKey_isATombstoneUntilEveryReplicaHasSeenIt() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let t = HLCTimestamp(rawValue: 1)
        _ = try await a.replica.write("k", .add(.int(1)), tenant: "t", at: t)
        _ = try await a.replica.write("k", .clear, tenant: "t", at: t)
        #expect(try a.replica.value("k", tenant: "t") == nil)
        #expect(try a.replica.state("k", tenant: "t")?.isTombstone == true)
        let me = a.replica.replica
        #expect(try await a.replica.collectGarbage(tenant: "t", stable: VersionVector([me: 1])) == 0)
        #expect(try await a.replica.collectGarbage(tenant: "t", stable: VersionVector([me: 2])) == 1)
        #expect(try a.replica.state("k", tenant: "t") == nil)
        #expect(try a.replica.drainAnswer(tenant: "t", to: VersionVector(), limit: 10).flatMap(\.entries).isEmpty)
    }

    @Test func digest_equalsTheXorOfEveryLiveKeysTerm() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let t = HLCTimestamp(rawValue: 1)
        _ = try await a.replica.write("a", .increment(by: 3), tenant: "t", at: t)
        _ = try await a.replica.write("b", .assign(.string("x")), tenant: "t", at: t)
        _ = try await a.replica.write("c", .add(.int(1)), tenant: "t", at: t)
        _ = try await a.replica.write("c", .clear, tenant: "t", at: t)
        _ = try await a.replica.write("a", .increment(by: 1), tenant: "t", at: t)
        var expected = [UInt8](repeating: 0, count: 32)
        for key in ["a", "b"] {
            let term = TenantSlots.digestTerm(key, try #require(try a.replica.value(key, tenant: "t")))
            for i in 0..<32 { expected[i] ^= term[i] }
        }
        #expect(try a.replica.digest(tenant: "t") == expected)
    }
}
