import LatticeCore
import LatticeSync
import Testing

@testable import LatticeStore

/// Answers (sender side), receiving them, repair replacement and GC on the replica store.
@Suite struct ReplicaAnswerTests {
    static let t = HLCTimestamp(rawValue: 1)

    @Test func answer_sendsAKeyTouchedBySeveralOriginsOnce() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        for key in ["shared", "onlyA"] {
            try await b.replica.apply(
                try await a.replica.write(key, .add(.int(1)), tenant: "t", at: Self.t),
                tenant: "t"
            )
        }
        _ = try await b.replica.write("shared", .add(.int(2)), tenant: "t", at: Self.t)
        _ = try await b.replica.write("onlyB", .add(.int(3)), tenant: "t", at: Self.t)
        for limit in [1, 2, 10] {
            let keys = try b.replica.drainAnswer(tenant: "t", to: VersionVector(), limit: limit).flatMap(\.entries)
                .map(\.key)
            #expect(keys.sorted() == ["onlyA", "onlyB", "shared"], "limit \(limit)")
        }
        let sinceA = try b.replica.drainAnswer(tenant: "t", to: VersionVector([a.replica.replica: 2]), limit: 10)
        #expect(sinceA.flatMap(\.entries).map(\.key).sorted() == ["onlyB", "shared"])
    }

    @Test func answer_readsEntriesAtBatchTime_butMarksTheStateWhenItStarted() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        for i in 0..<3 { _ = try await a.replica.write("k\(i)", .increment(by: 1), tenant: "t", at: Self.t) }
        let startContext = try a.replica.context(tenant: "t")
        var answer = try a.replica.answer(tenant: "t", to: VersionVector())
        let first = try a.replica.nextBatch(of: &answer, limit: 1)
        #expect(first.entries.map(\.key) == ["k0"] && first.mark == nil)
        _ = try await a.replica.write("k2", .increment(by: 10), tenant: "t", at: Self.t)  // not sent yet
        _ = try await a.replica.write("k3", .increment(by: 1), tenant: "t", at: Self.t)  // new
        var rest: [SyncBatch] = []
        repeat { rest.append(try a.replica.nextBatch(of: &answer, limit: 1)) } while !answer.isFinished
        #expect(rest.flatMap(\.entries).map(\.key) == ["k1", "k2", "k3"])
        #expect(rest.flatMap(\.entries).first { $0.key == "k2" }?.state.value.counter.value == 11, "fresh state")
        #expect(rest.last?.senderContext == (try a.replica.context(tenant: "t")), "the context when the batch was cut")
        let mark = try #require(rest.last?.mark)
        #expect(mark.complete == VersionVector([a.replica.replica: 3]), "writes after the start are not claimed")
        #expect(mark.context == startContext)
        #expect(rest.dropLast().allSatisfy { $0.mark == nil })
        let again = try a.replica.nextBatch(of: &answer, limit: 1)
        #expect(again.entries.isEmpty && again.mark == mark, "a finished answer repeats its marks")
    }

    @Test func answer_sendsOnlyTheDifference() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        try await a.store.write { w in
            var tx = try ReplicaTransaction(w, tenant: "t")
            for i in 0..<2_000 { _ = try tx.write("key\(i)", .increment(by: 1), as: a.replica.replica, at: Self.t) }
            try tx.finish()
        }
        let peer = try a.replica.complete(tenant: "t")
        _ = try await a.replica.write("key7", .increment(by: 1), tenant: "t", at: Self.t)
        _ = try await a.replica.write("new", .increment(by: 1), tenant: "t", at: Self.t)
        let keys = try a.replica.drainAnswer(tenant: "t", to: peer, limit: 256).flatMap(\.entries).map(\.key)
        #expect(keys == ["key7", "new"])
    }

    @Test func nextBatch_refusesALimitOutsideOneToTheBatchMaximum() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        var answer = try a.replica.answer(tenant: "t", to: VersionVector())
        for limit in [0, -1, SyncLimits.batchKeysMax + 1] {
            #expect(throws: StoreError.self) { try a.replica.nextBatch(of: &answer, limit: limit) }
        }
        #expect(try a.replica.nextBatch(of: &answer, limit: SyncLimits.batchKeysMax).isLast)
        #expect(throws: StoreError.self) { try a.replica.answer(tenant: "nope", to: VersionVector()) }
    }

    @Test func pushesAndRepairs_areRefusedWhileAnAnswerIsHalfReceived_untilAdoptedOrAbandoned() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        let c = try await ReplicaFixture()
        defer { c.close() }
        for i in 0..<3 { _ = try await a.replica.write("k\(i)", .increment(by: 1), tenant: "t", at: Self.t) }
        let push = try await c.replica.write("fromC", .increment(by: 1), tenant: "t", at: Self.t)
        var answer = try a.replica.answer(tenant: "t", to: VersionVector())
        try await b.replica.receive(try a.replica.nextBatch(of: &answer, limit: 1), tenant: "t")
        #expect(b.replica.isReceivingAnswer(tenant: "t"))
        let contextBefore = try b.replica.context(tenant: "t")
        #expect(try await b.replica.apply(push, tenant: "t") == false)
        #expect(try await b.replica.replaceStates([("r", KeyState())], tenant: "t") == false)
        #expect(try b.replica.context(tenant: "t") == contextBefore && b.replica.value("fromC", tenant: "t") == nil)
        b.replica.abandonAnswer(tenant: "t")
        #expect(try b.replica.complete(tenant: "t")[a.replica.replica] == 0, "an abandoned answer claims nothing")
        #expect(try b.replica.value("k0", tenant: "t") != nil, "what arrived stays joined")
        #expect(try await b.replica.apply(push, tenant: "t"))
        answer = try a.replica.answer(tenant: "t", to: try b.replica.complete(tenant: "t"))
        try await b.replica.receive(try a.replica.nextBatch(of: &answer, limit: 1), tenant: "t")
        #expect(try await b.replica.apply(push, tenant: "t") == false)
        try await b.replica.receive(try a.replica.nextBatch(of: &answer, limit: 5), tenant: "t")
        #expect(!b.replica.isReceivingAnswer(tenant: "t"), "the last batch's marks end the answer")
        #expect(try await b.replica.apply(push, tenant: "t"))
        #expect(try b.replica.complete(tenant: "t") == VersionVector([a.replica.replica: 3, c.replica.replica: 1]))
    }

    @Test func replaceStates_indexesTheKeysAndAddsTheirDots_butLeavesTheCompleteVector() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        _ = try await a.replica.write("x", .add(.int(1)), tenant: "t", at: Self.t)
        _ = try await a.replica.write("x", .add(.int(2)), tenant: "t", at: Self.t)
        let state = try #require(try a.replica.state("x", tenant: "t"))
        #expect(try await b.replica.replaceStates([("x", state)], tenant: "t"))
        #expect(try b.replica.state("x", tenant: "t") == state)
        #expect(try b.replica.complete(tenant: "t").isEmpty)
        let dots = try b.replica.context(tenant: "t")
        state.value.forEachDot { #expect(dots.contains($0)) }
        #expect(try b.replica.digest(tenant: "t") == a.replica.digest(tenant: "t"))
        let sent = try b.replica.drainAnswer(tenant: "t", to: VersionVector(), limit: 4).flatMap(\.entries)
        #expect(sent.map(\.key) == ["x"], "the version index lists replaced keys")
        #expect(try await b.replica.replaceStates([("x", KeyState())], tenant: "t"))
        #expect(try b.replica.drainAnswer(tenant: "t", to: VersionVector(), limit: 4).flatMap(\.entries).isEmpty)
        #expect(try b.replica.digest(tenant: "t") == [UInt8](repeating: 0, count: 32))
    }

    @Test func garbageCollection_purgesATombstoneOnceEveryCompleteVectorCoversIt() async throws {
        let a = try await ReplicaFixture()
        defer { a.close() }
        let b = try await ReplicaFixture()
        defer { b.close() }
        _ = try await a.replica.write("gone", .add(.int(1)), tenant: "t", at: Self.t)
        let clear = try await a.replica.write("gone", .clear, tenant: "t", at: Self.t)
        try await b.replica.apply(clear, tenant: "t")  // b learns of the delete, out of order
        var stable = try a.replica.complete(tenant: "t").meet(try b.replica.complete(tenant: "t"))
        #expect(try await a.replica.collectGarbage(tenant: "t", stable: stable) == 0, "b has not completed dot 2")
        try await b.replica.receive(
            try #require(try a.replica.drainAnswer(tenant: "t", to: b.replica.complete(tenant: "t"), limit: 8).last),
            tenant: "t"
        )
        stable = try a.replica.complete(tenant: "t").meet(try b.replica.complete(tenant: "t"))
        #expect(stable == VersionVector([a.replica.replica: 2]))
        #expect(try await a.replica.collectGarbage(tenant: "t", stable: stable) == 1)
        #expect(try await b.replica.collectGarbage(tenant: "t", stable: stable) == 1)
        #expect(try a.replica.state("gone", tenant: "t") == nil && b.replica.state("gone", tenant: "t") == nil)
    }
}
