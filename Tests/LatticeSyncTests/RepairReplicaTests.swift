import LatticeCore
import LatticeSync
import Testing

/// Repair between in-memory replicas: divergence that causal delta sync cannot see.
@Suite("Repair between replicas")
struct RepairReplicaTests {
    static func ts(_ n: Int) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: 1_000 + UInt64(n), logical: 0) }

    /// Runs causal delta sync from `a` to `b`; returns the keys sent.
    @discardableResult
    static func sync(from a: TenantReplica, to b: inout TenantReplica) -> Int {
        var answer = a.answer(to: b.complete)
        var sent = 0
        while true {
            let batch = a.nextBatch(of: &answer, limit: 8)
            b.receive(batch)
            sent += batch.entries.count
            if batch.isLast { return sent }
        }
    }

    /// Reconciles the digests, then each side joins the other's entries for what it found.
    static func repair(_ a: inout TenantReplica, _ b: inout TenantReplica) throws -> (aSent: [String], bSent: [String])
    {
        let outcome = try RepairFixture.run(DigestIndex(a), DigestIndex(b))
        let fromA = a.repairEntries(for: outcome.aSends)
        let fromB = b.repairEntries(for: outcome.bSends)
        let appliedB = b.repairApply(fromA)
        let appliedA = a.repairApply(fromB)
        #expect(appliedA && appliedB)
        return (outcome.aSends, outcome.bSends)
    }

    @Test("a replica restored from an old backup that keeps writing is repaired where sync sees nothing")
    func restoredBackup_isRepaired() throws {
        let idA = ReplicaID(high: 1 << 56, low: 1)
        let idB = ReplicaID(high: 2 << 56, low: 2)
        var a = TenantReplica(replica: idA)
        var b = TenantReplica(replica: idB)
        for i in 0..<20 { _ = try a.write("shared/\(i)", .increment(by: Int64(i)), at: Self.ts(i)) }
        for i in 0..<5 { _ = try b.write("b/\(i)", .assign(.int(Int64(i))), at: Self.ts(100 + i)) }
        Self.sync(from: a, to: &b)
        Self.sync(from: b, to: &a)
        let backup = b  // B's backup, taken while in sync

        _ = try b.write("lost/1", .assign(.int(1)), at: Self.ts(200))  // b's dot 6
        _ = try b.write("shared/3", .increment(by: 100), at: Self.ts(201))  // b's dot 7
        Self.sync(from: b, to: &a)  // A now holds B's dots 6 and 7

        b = backup  // restored: same replica id, state and vectors rolled back
        _ = try b.write("after-restore/1", .add(.int(5)), at: Self.ts(300))  // reuses b's dot 6
        _ = try b.write("shared/4", .increment(by: 7), at: Self.ts(301))  // reuses b's dot 7

        // Causal delta sync sees nothing to send either way: both claim b up to 7.
        #expect(Self.sync(from: a, to: &b) == 0)
        #expect(Self.sync(from: b, to: &a) == 0)
        #expect(a.keys != b.keys)

        let (aSent, bSent) = try Self.repair(&a, &b)
        #expect(aSent == ["lost/1", "shared/3", "shared/4"])
        #expect(bSent == ["after-restore/1", "shared/3", "shared/4"])
        #expect(a.keys == b.keys)
        #expect(a["lost/1"] != nil && b["after-restore/1"] != nil)
        #expect(a["shared/3"] == b["shared/3"] && a["shared/4"] == b["shared/4"])
        // A second round finds nothing left.
        let again = try RepairFixture.run(DigestIndex(a), DigestIndex(b))
        #expect(again.aSends.isEmpty && again.bSends.isEmpty)
    }

    @Test("a stale state's context cannot delete the receiver's live entries")
    func staleSender_doesNotDeleteLiveEntries() throws {
        var a = TenantReplica(replica: ReplicaID(high: 1 << 56, low: 1))
        var b = TenantReplica(replica: ReplicaID(high: 2 << 56, low: 2))
        _ = try a.write("k", .add(.int(1)), at: Self.ts(1))
        Self.sync(from: a, to: &b)
        let backup = a
        _ = try a.write("k", .add(.int(2)), at: Self.ts(2))
        Self.sync(from: a, to: &b)
        a = backup
        _ = try a.write("other", .add(.int(3)), at: Self.ts(3))  // reuses a's dot 2
        _ = try Self.repair(&a, &b)
        // B's element 2 survives: A's key context for "k" only claims a's dot 1.
        #expect(b["k"] == a["k"])
        #expect(b["k"]?.set.elements == [.int(1), .int(2)])
    }

    @Test func repairApply_waitsWhileAnAnswerIsHalfReceived() throws {
        var a = TenantReplica(replica: ReplicaID(high: 1 << 56, low: 1))
        var b = TenantReplica(replica: ReplicaID(high: 2 << 56, low: 2))
        for i in 0..<4 { _ = try a.write("k\(i)", .increment(by: 1), at: Self.ts(i)) }
        var answer = a.answer(to: b.complete)
        b.receive(a.nextBatch(of: &answer, limit: 1))
        #expect(b.receivingAnswer)
        let before = b.keys
        let applied = b.repairApply(a.repairEntries(for: ["k3"]))
        #expect(!applied)
        #expect(b.keys == before)
    }
}
