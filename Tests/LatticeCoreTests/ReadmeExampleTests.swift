import LatticeCore
import Testing

/// The example in README.md, kept compiling and true.
@Test func readmeExample_replicatesASetAndRoundTripsIt() throws {
    let alice = ReplicaID(high: 1, low: 1)
    let bob = ReplicaID(high: 2, low: 2)
    var a = Causal<CRDTValue>()
    var b = Causal<CRDTValue>()
    let t = HLCTimestamp(wallMilliseconds: 1_700_000_000_000, logical: 0)

    let delta = try a.apply(.add(.string("swift")), as: alice, at: t)
    try b.apply(.add(.string("crdt")), as: bob, at: t)
    b.join(delta)
    #expect(b.store.set.elements == [.string("swift"), .string("crdt")])

    let bytes = CRDTCodec.encode(b)
    let back = try CRDTCodec.decodeCausal(bytes)
    #expect(back == b)
}
