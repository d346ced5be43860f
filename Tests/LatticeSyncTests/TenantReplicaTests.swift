import LatticeCore
import LatticeSync
import PropertyBased
import Testing

/// Causal delta sync between in-memory replicas: the rules every store implements.
@Suite("Causal delta sync")
struct TenantReplicaTests {
    static func replica(_ i: Int) -> TenantReplica {
        TenantReplica(replica: ReplicaID(high: UInt64(i + 1) << 56, low: 42))
    }

    static func ts(_ n: Int) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: 1_000 + UInt64(n), logical: 0) }

    /// Runs a whole answer to `b`'s complete vector, `limit` keys per batch. Returns keys sent.
    @discardableResult
    static func sync(from a: TenantReplica, to b: inout TenantReplica, limit: Int = 3) -> Int {
        var answer = a.answer(to: b.complete)
        var sent = 0
        while true {
            let batch = a.nextBatch(of: &answer, limit: limit)
            b.receive(batch)
            sent += batch.entries.count
            if batch.isLast { return sent }
        }
    }

    static func liveValues(_ r: TenantReplica) -> [String: CRDTValue] {
        Dictionary(uniqueKeysWithValues: r.liveKeys.map { ($0, r[$0]!) })
    }

    static func randomOperation(_ rng: inout SplitMix64, key: String) -> CRDTOperation {
        switch key.utf8.last! % 3 {
        case 0:
            return Int.random(in: 0...5, using: &rng) == 0
                ? .clear : .increment(by: Int64.random(in: -3...9, using: &rng))
        case 1:
            let e = Scalar.int(Int64.random(in: 0...4, using: &rng))
            return Bool.random(using: &rng) ? .add(e) : .remove(e)
        default:
            return Int.random(in: 0...4, using: &rng) == 0
                ? .clear : .assign(.int(Int64.random(in: 0...99, using: &rng)))
        }
    }

    @Test("replicas converge under random writes, lost/duplicated/reordered pushes and batched syncs")
    func convergesUnderRandomExchanges() async {
        await propertyCheck(count: 120, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            var replicas = (0..<4).map(Self.replica)
            var inFlight: [(to: Int, delta: KeyDelta)] = []
            for step in 0..<80 {
                let i = Int.random(in: 0..<4, using: &rng)
                switch Int.random(in: 0...9, using: &rng) {
                case 0...4:
                    let key = "k\(Int.random(in: 0...7, using: &rng))"
                    guard let d = try? replicas[i].write(key, Self.randomOperation(&rng, key: key), at: Self.ts(step))
                    else { continue }
                    for j in 0..<4 where j != i && Int.random(in: 0...2, using: &rng) > 0 { inFlight.append((j, d)) }
                case 5...7 where !inFlight.isEmpty:
                    let p = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &rng))
                    replicas[p.to].apply(p.delta)
                    if Bool.random(using: &rng) { replicas[p.to].apply(p.delta) }  // duplicate
                default:
                    let j = Int.random(in: 0..<4, using: &rng)
                    if i != j {
                        Self.sync(from: replicas[j], to: &replicas[i], limit: Int.random(in: 1...4, using: &rng))
                    }
                }
            }
            // Heal: two full rounds of all-pairs sync reach every replica.
            for _ in 0..<2 {
                for i in 0..<4 { for j in 0..<4 where i != j { Self.sync(from: replicas[j], to: &replicas[i]) } }
            }
            let reference = Self.liveValues(replicas[0])
            for r in replicas {
                #expect(Self.liveValues(r) == reference, "seed \(seed)")
                #expect(r.context == replicas[0].context, "seed \(seed)")
            }
        }
    }

    @Test func pushDeliveredOutOfOrder_thenSync_losesNothing() throws {
        var a = Self.replica(0)
        var b = Self.replica(1)
        var c = Self.replica(2)
        _ = try a.write("tags", .add(.string("x")), at: Self.ts(1))
        let second = try a.write("tags", .add(.string("y")), at: Self.ts(2))
        b.apply(second)  // the first push was lost
        Self.sync(from: a, to: &b)
        #expect(b["tags"]?.set.elements == [.string("x"), .string("y")])
        Self.sync(from: b, to: &c)
        #expect(c["tags"]?.set.elements == [.string("x"), .string("y")])
    }

    @Test func sync_sendsOnlyTheKeysThatDiffer() throws {
        var a = Self.replica(0)
        var b = Self.replica(1)
        for i in 0..<500 { _ = try a.write("key\(i)", .increment(by: 1), at: Self.ts(i)) }
        #expect(Self.sync(from: a, to: &b, limit: 100) == 500)
        for i in 0..<5 { _ = try a.write("new\(i)", .assign(.int(Int64(i))), at: Self.ts(600 + i)) }
        _ = try a.write("key7", .increment(by: 1), at: Self.ts(700))
        #expect(Self.sync(from: a, to: &b, limit: 100) == 6)
        #expect(Self.sync(from: a, to: &b, limit: 100) == 0)
    }

    @Test func partialAnswer_claimsNothingAndHoldsPushesBack() throws {
        var a = Self.replica(0)
        var b = Self.replica(1)
        var c = Self.replica(2)
        _ = try a.write("k1", .assign(.int(1)), at: Self.ts(1))
        _ = try a.write("k1", .clear, at: Self.ts(2))  // removal dot only in the context
        _ = try a.write("k2", .assign(.int(2)), at: Self.ts(3))
        var answer = a.answer(to: b.complete)
        let first = a.nextBatch(of: &answer, limit: 1)
        #expect(!first.isLast)
        b.receive(first)
        #expect(b.context != a.context, "not every key has arrived, so the sender's context is not adopted")
        #expect(b.complete.isEmpty)
        let push = try c.write("k3", .increment(by: 1), at: Self.ts(4))
        let deferred = !b.apply(push)
        #expect(deferred, "a push waits while an answer is half received")
        b.receive(a.nextBatch(of: &answer, limit: 10))
        #expect(b.context == a.context)
        #expect(b.complete == a.complete)
        let applied = b.apply(push)
        #expect(applied)
    }

    @Test func aDotLearnedFromAnotherDeltasContext_doesNotHideTheEffectsItHad() throws {
        // Found by the convergence property (seed 11788283353895603966): r2's re-add of 0
        // lists r0's dot 4 as replaced, so r1 learns of dot 4 without learning that dot 4
        // replaced dot 1. Dot 1 then arrives late and is (correctly, for the lattice)
        // added. The complete vector must not claim dot 4, so sync repairs the key.
        var r0 = Self.replica(0)
        var r1 = Self.replica(1)
        var r2 = Self.replica(2)
        let add1 = try r0.write("k", .add(.int(0)), at: Self.ts(1))
        _ = try r0.write("k", .add(.int(0)), at: Self.ts(2))  // re-add: replaces dot 1
        Self.sync(from: r0, to: &r2)
        let readd = try r2.write("k", .add(.int(0)), at: Self.ts(3))  // replaces r0's second dot
        r1.apply(readd)
        r1.apply(add1)  // late
        #expect(r1["k"]?.set.members[.int(0)]?.count == 2, "the late dot is live at r1 for now")
        Self.sync(from: r0, to: &r1)
        Self.sync(from: r2, to: &r1)
        #expect(r1["k"] == r2["k"])
        #expect(r1["k"]?.set.members[.int(0)]?.count == 1)
    }

    @Test func deletes_areNotResurrectedByALaggingReplica_orAFreshOne() throws {
        var a = Self.replica(0)
        var lagging = Self.replica(1)
        _ = try a.write("doc", .assign(.string("secret")), at: Self.ts(1))
        Self.sync(from: a, to: &lagging)
        _ = try a.write("doc", .clear, at: Self.ts(2))
        // The lagging replica has not seen the delete, so the tombstone is not stable yet.
        let notStable = a.complete.meet(lagging.complete)
        #expect(a.collectGarbage(stable: notStable) == 0)
        // The lagging replica's stale value does not come back to `a`.
        Self.sync(from: lagging, to: &a)
        #expect(a["doc"] == nil)
        Self.sync(from: a, to: &lagging)
        #expect(lagging["doc"] == nil)
        // Once both have seen it, the tombstone goes…
        let stable = a.complete.meet(lagging.complete)
        #expect(a.collectGarbage(stable: stable) == 1)
        #expect(a.keys["doc"] == nil)
        // …and a replica starting from an empty data directory still never sees the value.
        var fresh = Self.replica(9)
        Self.sync(from: a, to: &fresh)
        Self.sync(from: lagging, to: &fresh)
        #expect(fresh["doc"] == nil)
        #expect(fresh.context == a.context)
    }

    @Test func writes_refuseOverlongKeysAndTypeMismatches() throws {
        var a = Self.replica(0)
        let long = String(repeating: "k", count: CoreLimits.keyBytesMax + 1)
        #expect(throws: ReplicaError.self) { try a.write(long, .increment(by: 1), at: Self.ts(1)) }
        _ = try a.write("n", .increment(by: 1), at: Self.ts(1))
        let e = #expect(throws: ReplicaError.self) { try a.write("n", .add(.null), at: Self.ts(2)) }
        #expect(e?.message.contains("\"n\"") == true)
    }
}

@Suite("What a replica takes in")
struct AdmissionTests {
    @Test func aPushClaimingOurOwnFutureCounters_isRefused_andWeKeepWriting() throws {
        var victim = TenantReplicaTests.replica(0)
        _ = try victim.write("k", .increment(by: 1), at: TenantReplicaTests.ts(1))
        // A lying peer's delta: its context says the victim issued counters up to 2^60.
        let liar = ReplicaID(high: 99, low: 99)
        let forged = Causal<CRDTValue>(
            store: .empty,
            context: CausalContext(vector: VersionVector([liar: 1, victim.replica: 1 << 60]))
        )
        let push = KeyDelta(key: "k", dot: Dot(replica: liar, counter: 1), delta: forged)
        #expect(!victim.admits(push))
        let applied = victim.apply(push)
        #expect(!applied)
        let next = try victim.write("k", .increment(by: 1), at: TenantReplicaTests.ts(2))
        #expect(next.dot.counter == 2)
    }

    @Test func theEngine_countsAndDropsAForgedBatch() throws {
        let me = ReplicaID(high: 1, low: 1)
        var engine = SyncEngine(
            replica: me,
            tenants: ["t"],
            peers: [PeerPolicy(id: "p", permissions: ["t": .readWrite])]
        )
        engine.connected("p")
        let round = engine.startRound(with: "p", now: 0)
        guard case let .send(_, .summary(_, r, _))? = round.first else {
            Issue.record("no summary sent: \(round)")
            return
        }
        let forged = SyncBatch(
            entries: [],
            senderContext: CausalContext(vector: VersionVector([me: 500])),
            mark: .init(context: CausalContext(vector: VersionVector([me: 500])), complete: VersionVector([me: 500]))
        )
        _ = engine.receive(.batch(tenant: "t", round: r, sequence: 0, forged), from: "p", now: 0)
        #expect(engine.counters.malformedRefused == 1)
        #expect(engine.tenants["t"]!.context.isEmpty)
    }

    @Test func aContextPastTheCloudLimit_isRefused() {
        let r = TenantReplicaTests.replica(0)
        let other = ReplicaID(high: 7, low: 7)
        let big = CausalContext(
            dots: (1...(CoreLimits.cloudDotsMax + 1)).map { Dot(replica: other, counter: UInt64($0) * 2) }
        )
        #expect(!r.admits(big))
        #expect(r.admits(CausalContext(dots: [Dot(replica: other, counter: 4)])))
    }
}

@Suite("Context bounds")
struct ContextBoundsTests {
    @Test func aContextNamingTooManyNewReplicas_isRefused() {
        let r = TenantReplicaTests.replica(0)
        let many = VersionVector(
            Dictionary(
                uniqueKeysWithValues: (0...CoreLimits.replicasPerTenantMax).map {
                    (ReplicaID(high: 5, low: UInt64($0)), UInt64(1))
                }
            )
        )
        #expect(!r.admits(CausalContext(vector: many)))
        #expect(r.admits(CausalContext(vector: VersionVector([ReplicaID(high: 5, low: 1): 3]))))
    }
}
