import LatticeSync
import PropertyBased
import Testing

@Suite("Deficit round robin between tenants")
struct DeficitRoundRobinTests {
    typealias DRR = TenantScheduler<String>

    /// Per-tenant queues that a test drains as grants come back.
    struct Backlog {
        var queues: [String: [Int]]
        var weights: [String: Int]
        var sent: [String: Int] = [:]

        var asQueues: [DRR.Queue] {
            queues.keys.sorted().map { DRR.Queue(tenant: $0, weight: weights[$0] ?? 1, pendingBatchBytes: queues[$0]!) }
        }

        /// Removes granted batches from the queue fronts; `false` if a grant was not the queue's head.
        mutating func take(_ grants: [DRR.Grant]) -> Bool {
            for grant in grants {
                guard let head = queues[grant.tenant]?.first, head == grant.bytes else { return false }
                queues[grant.tenant]!.removeFirst()
                sent[grant.tenant, default: 0] += grant.bytes
            }
            return true
        }
    }

    @Test(
        "a light tenant sends within the first round even when a heavy one has 1000× its backlog",
        arguments: ["a-heavy", "z-heavy"]
    )
    func lightTenantIsNotStarved(heavyName: String) {
        var drr = DRR()
        var backlog = Backlog(
            queues: [heavyName: Array(repeating: 4096, count: 16_000), "m-light": Array(repeating: 4096, count: 16)],
            weights: [:]
        )
        let grants = drr.plan(backlog.asQueues, budgetBytes: 64 << 10)
        let took = backlog.take(grants)
        #expect(took)
        #expect(backlog.sent["m-light", default: 0] == 32 << 10, "half of the budget at equal weights")
        #expect(backlog.sent[heavyName, default: 0] == 32 << 10)
        let tookSecond = backlog.take(drr.plan(backlog.asQueues, budgetBytes: 64 << 10))
        #expect(tookSecond)
        #expect(backlog.queues["m-light"]!.isEmpty, "light backlog drained in two rounds")
    }

    @Test("byte shares converge to the weight ratio")
    func sharesConvergeToWeights() async {
        await propertyCheck(count: 40, input: Gen<UInt64>.value(), Gen.int(in: 1...8)) { seed, heavyWeight in
            var rng = SeededRandom(seed: seed)
            var drr = DRR()
            var backlog = Backlog(queues: ["a": [], "b": []], weights: ["a": heavyWeight, "b": 1])
            for _ in 0..<400 {
                // Keep both tenants backlogged with batches of random size.
                for tenant in ["a", "b"] where backlog.queues[tenant]!.count < 64 {
                    backlog.queues[tenant]! += (0..<64).map { _ in Int.random(in: 1024...16_384, using: &rng) }
                }
                let grants = drr.plan(backlog.asQueues, budgetBytes: 256 << 10)
                #expect(grants.reduce(0) { $0 + $1.bytes } <= 256 << 10, "seed \(seed)")
                let took = backlog.take(grants)
                #expect(took, "seed \(seed): grants must be queue heads in order")
            }
            let ratio = Double(backlog.sent["a"]!) / Double(backlog.sent["b"]!)
            #expect(
                abs(ratio / Double(heavyWeight) - 1) < 0.03,
                "seed \(seed): ratio \(ratio) for weight \(heavyWeight)"
            )
        }
    }

    @Test("grants are queue heads in order and never exceed the budget")
    func grantsRespectQueuesAndBudget() async {
        await propertyCheck(count: 200, input: Gen<UInt64>.value()) { seed in
            var rng = SeededRandom(seed: seed)
            var drr = DRR()
            let tenants = (0..<Int.random(in: 1...6, using: &rng)).map { "t\($0)" }
            var backlog = Backlog(
                queues: Dictionary(
                    uniqueKeysWithValues: tenants.map { t in
                        (
                            t,
                            (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 1...20_000, using: &rng)
                            }
                        )
                    }
                ),
                weights: Dictionary(uniqueKeysWithValues: tenants.map { ($0, Int.random(in: -1...2000, using: &rng)) })
            )
            for _ in 0..<20 {
                let budget = Int.random(in: 20_000...100_000, using: &rng)
                let grants = drr.plan(backlog.asQueues, budgetBytes: budget)
                #expect(grants.reduce(0) { $0 + $1.bytes } <= budget, "seed \(seed)")
                let took = backlog.take(grants)
                #expect(took, "seed \(seed)")
                let pending = backlog.queues.values.contains { !$0.isEmpty }
                #expect(!pending || !grants.isEmpty, "seed \(seed): a backlogged link must make progress every round")
            }
        }
    }

    @Test("a batch larger than the whole budget is sent alone, first in its round, and not starved")
    func oversizedBatchIsSentAlone() {
        var drr = DRR()
        var backlog = Backlog(
            queues: ["big": [100_000, 1000], "small": Array(repeating: 1000, count: 500)],
            weights: [:]
        )
        var rounds = 0
        while backlog.queues["big"]!.first == 100_000 && rounds < 10 {
            let grants = drr.plan(backlog.asQueues, budgetBytes: 64_000)
            if grants.contains(where: { $0.bytes == 100_000 }) {
                #expect(grants.first == DRR.Grant(tenant: "big", bytes: 100_000))
                #expect(grants.count == 1, "nothing else fits after an oversized batch")
            }
            let took = backlog.take(grants)
            #expect(took)
            rounds += 1
        }
        #expect(rounds <= 3, "sent within \(rounds) rounds")
    }

    @Test("an emptied queue forfeits its deficit")
    func emptyQueueForfeitsDeficit() {
        var drr = DRR()
        _ = drr.plan([.init(tenant: "a", weight: 1, pendingBatchBytes: [50_000, 50_000])], budgetBytes: 60_000)
        #expect(drr.deficit(of: "a") > 0)
        _ = drr.plan([.init(tenant: "a", weight: 1, pendingBatchBytes: [])], budgetBytes: 60_000)
        #expect(drr.deficit(of: "a") == 0)
    }
}
