import LatticeCore
import PropertyBased
import Testing

/// The semilattice laws (Almeida, Shoker and Baquero 2018, §2): every state a scenario
/// reaches, of every type, joins commutatively, associatively and idempotently.
@Suite("CRDT join laws")
struct CRDTLawTests {
    @Test("join is commutative", arguments: OpFamily.allCases)
    func joinIsCommutative(family: OpFamily) async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family)
            let (a, b) = (s.replicas[0].state, s.replicas[1].state)
            #expect(a.joined(b) == b.joined(a), "seed \(seed)")
        }
    }

    @Test("join is associative", arguments: OpFamily.allCases)
    func joinIsAssociative(family: OpFamily) async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family)
            let (a, b, c) = (s.replicas[0].state, s.replicas[1].state, s.replicas[2].state)
            #expect(a.joined(b).joined(c) == a.joined(b.joined(c)), "seed \(seed)")
        }
    }

    @Test("join is idempotent", arguments: OpFamily.allCases)
    func joinIsIdempotent(family: OpFamily) async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family)
            let a = s.replicas[0].state
            #expect(a.joined(a) == a, "seed \(seed)")
            #expect(a.joined(s.joined).joined(s.joined) == a.joined(s.joined), "seed \(seed)")
        }
    }

    @Test(
        "deltas are joinable like states: a delta joined into a state equals the state after the mutation",
        arguments: OpFamily.allCases
    )
    func deltaJoinEqualsMutation(family: OpFamily) async {
        await propertyCheck(count: 150, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family)
            var gen = OpGenerator(rng: SeededRandom(seed: seed ^ 0x5EED))
            var origin = s.replicas[0]
            let before = origin.state
            guard let delta = origin.perform(gen.op(family)) else { return }
            // Joining the delta into the pre-mutation state is the mutation.
            #expect(before.joined(delta) == origin.state, "seed \(seed)")
            // The delta is part of the new state: another replica that receives the delta
            // first and the full state later ends where the full state alone takes it.
            let other = s.replicas[1].state
            #expect(other.joined(delta).joined(origin.state) == other.joined(origin.state), "seed \(seed)")
        }
    }

    @Test(
        "any delivery order of all deltas, with duplicates, converges on every replica",
        arguments: OpFamily.allCases
    )
    func deltasConvergeInAnyOrder(family: OpFamily) async {
        await propertyCheck(count: 100, input: Gen<UInt64>.value()) { seed in
            let s = Scenario(seed: seed, family: family, replicas: 4, steps: 40)
            var rng = SeededRandom(seed: seed ^ 0xD1CE)
            var finals: [Causal<CRDTValue>] = []
            for _ in 0..<3 {
                var delivery = s.deltas + s.deltas.filter { _ in Bool.random(using: &rng) }
                delivery.shuffle(using: &rng)
                finals.append(delivery.reduce(Causal()) { $0.joined($1) })
            }
            #expect(finals.allSatisfy { $0 == finals[0] }, "seed \(seed)")
            // Every state is a join of deltas and every delta lives in its origin's state,
            // so the deltas alone rebuild exactly the join of all replica states.
            #expect(finals[0] == s.joined, "seed \(seed)")
        }
    }
}
