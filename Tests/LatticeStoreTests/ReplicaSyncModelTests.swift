import LatticeCore
import LatticeSync
import PropertyBased
import Testing

@testable import LatticeStore

/// The LMDB replica store against the in-memory reference model, step by step.
@Suite("ReplicaStore agrees with the TenantReplica model")
struct ReplicaSyncModelTests {
    static let replicaCount = 3

    static func ts(_ n: Int) -> HLCTimestamp { HLCTimestamp(wallMilliseconds: 1_000 + UInt64(n), logical: 0) }

    /// A random operation on `key`, of the type the key's last character fixes.
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

    @Test("same random writes, lossy pushes, batched and abandoned answers and GC: same state after every step")
    func storeMatchesModel_stepByStep_andConverges() async throws {
        await propertyCheck(count: 12, input: Gen<UInt64>.value()) { seed in
            var rng = SplitMix64(seed: seed)
            var twins = try await TwinReplicas(count: Self.replicaCount, seed: seed)
            defer { twins.close() }
            var run = Run(inFlight: [], clock: 0)
            for step in 0..<60 {
                try await run.step(&twins, &rng)
                try twins.check("step \(step)")
            }
            // Heal: two rounds of all-pairs sync reach every replica.
            for _ in 0..<2 {
                for i in 0..<Self.replicaCount {
                    for j in 0..<Self.replicaCount where i != j { try await twins.sync(from: j, to: i, limit: 3) }
                }
            }
            try twins.check("after the final sync")
            let reference = try twins.storedStates(0).filter { !$0.value.isTombstone }.mapValues(\.value)
            for i in 1..<Self.replicaCount {
                let live = try twins.storedStates(i).filter { !$0.value.isTombstone }.mapValues(\.value)
                #expect(live == reference, "seed \(seed): replica \(i) converged")
                #expect(try twins.store(i).context(tenant: "t") == twins.store(0).context(tenant: "t"), "seed \(seed)")
            }
        }
    }

    /// The random driver: a queue of pushes in flight and a logical clock.
    struct Run {
        var inFlight: [(to: Int, delta: KeyDelta)]
        var clock: Int

        mutating func step(_ twins: inout TwinReplicas, _ rng: inout SplitMix64) async throws {
            let i = Int.random(in: 0..<replicaCount, using: &rng)
            switch Int.random(in: 0...9, using: &rng) {
            case 0...3: await write(on: i, &twins, &rng)
            case 4...6 where !inFlight.isEmpty:
                let p = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &rng))
                try await twins.push(p.delta, to: p.to)
                if Bool.random(using: &rng) { try await twins.push(p.delta, to: p.to) }  // duplicated
            case 9: try await twins.collectGarbage()
            default:
                let j = (i + Int.random(in: 1..<replicaCount, using: &rng)) % replicaCount
                try await answer(from: i, to: j, &twins, &rng)
            }
        }

        mutating func write(on i: Int, _ twins: inout TwinReplicas, _ rng: inout SplitMix64) async {
            let key = "k\(Int.random(in: 0...6, using: &rng))"
            clock += 1
            guard let d = await twins.write(i, key, randomOperation(&rng, key: key), at: ts(clock)) else { return }
            for j in 0..<replicaCount where j != i && Int.random(in: 0...3, using: &rng) > 0 {
                inFlight.append((j, d))  // else lost
            }
        }

        /// An answer from `i` to `j` in random batches, with writes on the sender and pushes to
        /// the receiver between batches, sometimes abandoned half way.
        mutating func answer(
            from i: Int,
            to j: Int,
            _ twins: inout TwinReplicas,
            _ rng: inout SplitMix64
        )
            async throws
        {
            let seed = twins.seed
            let peer = try twins.store(j).complete(tenant: "t")
            let expectedKeys = twins.modelAnswerKeys(from: i, to: peer)
            let mark = SyncBatch.Mark(context: twins.models[i].context, complete: twins.models[i].complete)
            var answer = try twins.store(i).answer(tenant: "t", to: peer)
            let limit = Int.random(in: 1...4, using: &rng)
            let abandonAfter = Int.random(in: 0...3, using: &rng) == 0 ? Int.random(in: 0...2, using: &rng) : nil
            let separateAdopt = Bool.random(using: &rng)
            var sent = Set<String>()
            var changedDuring = Set<String>()
            var batchNumber = 0
            while true {
                let batch = try twins.store(i).nextBatch(of: &answer, limit: limit)
                #expect(batch.entries.count <= limit, "seed \(seed)")
                #expect(batch.senderContext == twins.models[i].context, "seed \(seed): context at batch time")
                for e in batch.entries {
                    #expect(twins.models[i].keys[e.key] == e.state, "seed \(seed): \(e.key) read at batch time")
                }
                #expect(
                    batch.mark == (answer.isFinished ? mark : nil),
                    "seed \(seed): start-of-answer marks, last only"
                )
                sent.formUnion(batch.entries.map(\.key))
                try await twins.receive(batch, at: j, separateAdopt: separateAdopt)
                try twins.check("answer \(i)->\(j) batch \(batchNumber)")
                if batch.isLast { break }
                if abandonAfter == batchNumber {
                    twins.abandon(at: j)
                    return
                }
                if Int.random(in: 0...2, using: &rng) == 0 {
                    let key = "k\(Int.random(in: 0...6, using: &rng))"
                    clock += 1
                    if let d = await twins.write(i, key, randomOperation(&rng, key: key), at: ts(clock)) {
                        changedDuring.insert(key)
                        #expect(twins.models[j].receivingAnswer, "seed \(seed)")
                        try await twins.push(d, to: j)  // refused by both: the answer is half received
                    }
                }
                batchNumber += 1
            }
            #expect(expectedKeys.isSubset(of: sent), "seed \(seed): every missing key was sent")
            #expect(sent.isSubset(of: expectedKeys.union(changedDuring)), "seed \(seed): only missing keys were sent")
        }
    }
}
