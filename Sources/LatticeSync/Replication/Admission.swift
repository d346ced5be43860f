import LatticeCore

/// What a replica may take in from a peer, for the in-memory model and the on-disk store
/// alike: nothing that claims this replica's own counters beyond those it issued (one
/// lying peer could otherwise push its next counter to the limit, or make it treat its
/// future writes as already seen), and nothing that would grow its dot cloud past
/// `CoreLimits.cloudDotsMax` or its replica ids past `CoreLimits.replicasPerTenantMax`
/// (together these bound the stored context, which is written and sent whole).
public struct Admission: Sendable {
    public let replica: ReplicaID
    /// The receiving replica's context, before the input.
    public let context: CausalContext

    public init(_ replica: ReplicaID, _ context: CausalContext) {
        self.replica = replica
        self.context = context
    }

    var issued: UInt64 { context.highestCounter(of: replica) }

    public func admits(_ incoming: CausalContext) -> Bool {
        incoming.highestCounter(of: replica) <= issued
            && context.cloud.count + incoming.cloud.count <= CoreLimits.cloudDotsMax
            && context.vector.count + newReplicas(in: incoming) <= CoreLimits.replicasPerTenantMax
    }

    /// Replica ids `incoming` names that our context does not (an upper bound: a cloud-only
    /// replica of ours counts as new). O(size of `incoming`).
    private func newReplicas(in incoming: CausalContext) -> Int {
        var new = Set<ReplicaID>()
        for r in incoming.vector.replicas where context.vector[r] == 0 { new.insert(r) }
        for d in incoming.cloud where context.vector[d.replica] == 0 { new.insert(d.replica) }
        return new.count
    }

    public func admits(_ value: CRDTValue) -> Bool {
        let issued = issued
        var ok = true
        value.forEachDot { if $0.replica == replica && $0.counter > issued { ok = false } }
        return ok
    }

    public func admits(_ batch: SyncBatch) -> Bool {
        admits(batch.senderContext) && batch.entries.allSatisfy { admits($0.state.value) }
            && (batch.mark.map(admits) ?? true)
    }

    public func admits(_ mark: SyncBatch.Mark) -> Bool {
        admits(mark.context) && mark.complete[replica] <= issued
    }

    public func admits(_ d: KeyDelta) -> Bool { admits(d.delta.context) && admits(d.delta.store) }
}
