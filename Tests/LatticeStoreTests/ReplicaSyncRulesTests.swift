import LatticeCore
import LatticeSync
import Testing

@testable import LatticeStore

/// The sync rules of `Protocols/sync-v1.md`, one by one, on the LMDB replica store.
@Suite struct ReplicaSyncRulesTests {
    static let t = HLCTimestamp(rawValue: 1)

    // MARK: The complete vector

    @Test func completeVector_advancesOnLocalWrites() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        #expect(try a.replica.complete(tenant: "t").isEmpty)
        _ = try await a.replica.write("x", .increment(by: 1), tenant: "t", at: Self.t)
        _ = try await a.replica.write("y", .increment(by: 1), tenant: "t", at: Self.t)
        #expect(try a.replica.complete(tenant: "t") == VersionVector([a.replica.replica: 2]))
    }

    @Test func completeVector_advancesOnlyOnThePushThatIsExactlyNext() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        let first = try await a.replica.write("x", .add(.int(1)), tenant: "t", at: Self.t)
        let second = try await a.replica.write("y", .add(.int(2)), tenant: "t", at: Self.t)
        let third = try await a.replica.write("x", .add(.int(3)), tenant: "t", at: Self.t)
        let origin = a.replica.replica
        #expect(try await b.replica.apply(second, tenant: "t"))
        #expect(try b.replica.complete(tenant: "t")[origin] == 0, "dot 1 is missing, so 2 is not complete")
        #expect(try b.replica.context(tenant: "t").contains(second.dot), "the context knows dot 2 all the same")
        #expect(try await b.replica.apply(first, tenant: "t"))
        #expect(try b.replica.complete(tenant: "t")[origin] == 1, "only the push that is exactly next advances")
        #expect(try await b.replica.apply(third, tenant: "t"))
        #expect(try b.replica.complete(tenant: "t")[origin] == 1, "dot 3 arrived after 2 was skipped")
        #expect(try await b.replica.apply(first, tenant: "t"))  // a duplicate changes nothing
        #expect(try b.replica.complete(tenant: "t")[origin] == 1)
    }

    @Test func completeVector_advancesByAdoptingAnAnswersMarks() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        for i in 0..<5 { _ = try await a.replica.write("k\(i)", .increment(by: 1), tenant: "t", at: Self.t) }
        var answer = try a.replica.answer(tenant: "t", to: try b.replica.complete(tenant: "t"))
        let first = try a.replica.nextBatch(of: &answer, limit: 3)
        try await b.replica.receive(first, tenant: "t")
        #expect(try b.replica.complete(tenant: "t").isEmpty, "no mark yet")
        var last = try a.replica.nextBatch(of: &answer, limit: 3)
        let mark = try #require(last.mark)
        last.mark = nil
        try await b.replica.receive(last, tenant: "t")
        #expect(try b.replica.complete(tenant: "t").isEmpty, "every key arrived, but the marks are not adopted yet")
        try await b.replica.adopt(mark, tenant: "t")
        #expect(try b.replica.complete(tenant: "t") == a.replica.complete(tenant: "t"))
        #expect(try b.replica.context(tenant: "t") == a.replica.context(tenant: "t"))
    }

    @Test func completeVectorAndKeys_surviveARestart_theReceivingFlagDoesNot() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        _ = try await b.replica.write("mine", .assign(.int(7)), tenant: "t", at: Self.t)
        for i in 0..<4 {
            try await b.replica.apply(
                try await a.replica.write("k\(i)", .add(.int(1)), tenant: "t", at: Self.t),
                tenant: "t"
            )
        }
        var answer = try a.replica.answer(tenant: "t", to: VersionVector())
        try await b.replica.receive(try a.replica.nextBatch(of: &answer, limit: 1), tenant: "t")
        #expect(b.replica.isReceivingAnswer(tenant: "t"))
        let complete = try b.replica.complete(tenant: "t")
        let context = try b.replica.context(tenant: "t")
        let digest = try b.replica.digest(tenant: "t")
        let mine = try #require(try b.replica.value("mine", tenant: "t"))
        let values = try (0..<4).map { try b.replica.value("k\($0)", tenant: "t") }
        #expect(values.allSatisfy { $0 != nil })
        #expect(complete == VersionVector([a.replica.replica: 4, b.replica.replica: 1]))
        b.store.close()
        let reopened = try b.fixture.open()
        defer {
            reopened.close()
            b.fixture.remove()
        }
        let again = try await ReplicaStore.open(reopened)
        #expect(try again.complete(tenant: "t") == complete)
        #expect(try again.context(tenant: "t") == context)
        #expect(try again.digest(tenant: "t") == digest)
        #expect(try again.value("mine", tenant: "t") == mine)
        for i in 0..<4 { #expect(try again.value("k\(i)", tenant: "t") == values[i]) }
        #expect(!again.isReceivingAnswer(tenant: "t"), "a restart abandons the half-received answer")
        _ = try await again.write("after", .increment(by: 1), tenant: "t", at: Self.t)
        #expect(try again.complete(tenant: "t")[again.replica] == 2)
    }
}

@Suite("Replica store admission")
struct ReplicaStoreAdmissionTests {
    @Test func aPushClaimingOurOwnFutureCounters_isRefused_andTheStoreKeepsWriting() async throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try await store.createTenant("t")
        let rs = try await ReplicaStore.open(store)
        let t = HLCTimestamp(wallMilliseconds: 1, logical: 0)
        _ = try await rs.write("k", .increment(by: 1), tenant: "t", at: t)
        let liar = ReplicaID(high: 99, low: 99)
        let forged = KeyDelta(
            key: "k",
            dot: Dot(replica: liar, counter: 1),
            delta: Causal(store: .empty, context: CausalContext(vector: VersionVector([liar: 1, rs.replica: 1 << 60])))
        )
        let e = await #expect(throws: StoreError.self) { try await rs.apply(forged, tenant: "t") }
        #expect(e?.message.contains("never issued") == true)
        let next = try await rs.write("k", .increment(by: 1), tenant: "t", at: t)
        #expect(next.dot.counter == 2)
    }
}
