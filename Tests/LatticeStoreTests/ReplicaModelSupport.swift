import LatticeCore
import LatticeSync
import Testing

@testable import LatticeStore

/// N replicas, each held twice: as the in-memory reference model (`TenantReplica`) and as an
/// LMDB `ReplicaStore` with the same replica id. Every operation is done to both; `check`
/// compares them.
struct TwinReplicas {
    static let tenant = "t"
    var models: [TenantReplica]
    let stores: [ReplicaFixture]
    let seed: UInt64

    init(count: Int, seed: UInt64) async throws {
        var stores: [ReplicaFixture] = []
        for _ in 0..<count { stores.append(try await ReplicaFixture()) }
        self.stores = stores
        models = stores.map { TenantReplica(replica: $0.replica.replica) }
        self.seed = seed
    }

    func close() { for s in stores { s.close() } }

    func store(_ i: Int) -> ReplicaStore { stores[i].replica }

    /// A local write on replica `i`: both sides must accept it with equal deltas, or both refuse.
    mutating func write(_ i: Int, _ key: String, _ op: CRDTOperation, at time: HLCTimestamp) async -> KeyDelta? {
        let expected = try? models[i].write(key, op, at: time)
        let got = try? await store(i).write(key, op, tenant: Self.tenant, at: time)
        #expect(got == expected, "seed \(seed): write \(key) \(op) on \(i)")
        return got
    }

    /// Delivers a push to replica `i`; both sides must agree on whether it was applied.
    mutating func push(_ d: KeyDelta, to i: Int) async throws {
        let expected = models[i].apply(d)
        let got = try await store(i).apply(d, tenant: Self.tenant)
        #expect(got == expected, "seed \(seed): push \(d.dot) to \(i)")
    }

    /// The receiver side of one batch; with `separateAdopt`, the marks are adopted in their
    /// own step, as `SyncEngine` does.
    mutating func receive(_ batch: SyncBatch, at j: Int, separateAdopt: Bool) async throws {
        guard separateAdopt, let mark = batch.mark else {
            models[j].receive(batch)
            try await store(j).receive(batch, tenant: Self.tenant)
            return
        }
        var entries = batch
        entries.mark = nil
        models[j].receive(entries)
        try await store(j).receive(entries, tenant: Self.tenant)
        models[j].adopt(mark)
        try await store(j).adopt(mark, tenant: Self.tenant)
    }

    mutating func abandon(at j: Int) {
        models[j].abandonAnswer()
        store(j).abandonAnswer(tenant: Self.tenant)
    }

    mutating func collectGarbage() async throws {
        let stable = models.dropFirst().reduce(models[0].complete) { $0.meet($1.complete) }
        for i in models.indices {
            let expected = models[i].collectGarbage(stable: stable)
            let got = try await store(i).collectGarbage(tenant: Self.tenant, stable: stable)
            #expect(got == expected, "seed \(seed): GC on \(i)")
        }
    }

    /// Every stored key state (tombstones included).
    func storedStates(_ i: Int) throws -> [String: KeyState] {
        var out: [String: KeyState] = [:]
        try store(i).forEachState(tenant: Self.tenant) { key, state in
            out[key] = state
            return true
        }
        return out
    }

    /// Model and store agree on every replica: key states, context, complete vector, flag.
    func check(_ what: @autoclosure () -> String) throws {
        for i in models.indices {
            let m = models[i]
            let s = store(i)
            #expect(try storedStates(i) == m.keys, "seed \(seed) \(what()): key states of \(i)")
            #expect(try s.context(tenant: Self.tenant) == m.context, "seed \(seed) \(what()): context of \(i)")
            #expect(try s.complete(tenant: Self.tenant) == m.complete, "seed \(seed) \(what()): complete of \(i)")
            #expect(s.isReceivingAnswer(tenant: Self.tenant) == m.receivingAnswer, "seed \(seed) \(what()): flag \(i)")
        }
    }

    /// The keys the model's answer from `i` to `peer` holds.
    func modelAnswerKeys(from i: Int, to peer: VersionVector) -> Set<String> {
        var answer = models[i].answer(to: peer)
        return Set(models[i].nextBatch(of: &answer, limit: max(answer.remainingKeys, 1)).entries.map(\.key))
    }

    /// A whole answer from `i` to `j`, `limit` keys per batch. Returns the keys sent.
    @discardableResult
    mutating func sync(from i: Int, to j: Int, limit: Int) async throws -> [String] {
        var answer = try store(i).answer(tenant: Self.tenant, to: try store(j).complete(tenant: Self.tenant))
        var sent: [String] = []
        while !answer.isFinished {
            let batch = try store(i).nextBatch(of: &answer, limit: limit)
            sent += batch.entries.map(\.key)
            try await receive(batch, at: j, separateAdopt: false)
        }
        return sent
    }
}
