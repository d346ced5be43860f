import LatticeCore

// Eager pushes: applied at once, or held while a pull's answer is half received.
extension SyncEngine {
    /// Pushes held per tenant while a pull's answer is half received (sync-v1 §2: a node must
    /// not apply them then). With `deferredPushBytesMax`, bounds that memory; past either,
    /// pushes are dropped (counted) and the next round with their sender carries them.
    public static let deferredPushesMax = 4_096
    /// Encoded delta bytes held per tenant: one sync message's worth (a single delta may be
    /// that large, so a count alone would not bound memory).
    public static let deferredPushBytesMax = SyncLimits.messageBytesMax

    /// A `push`, or the deltas of a `pushes` message in order (one write permission check).
    mutating func receivePushes(_ tenant: String, _ deltas: [KeyDelta], from peer: String) -> [Output] {
        if let refusal = refuseWrite(tenant, from: peer) { return refusal }
        var admitted: [KeyDelta] = []
        for delta in deltas {
            guard tenants[tenant]!.admits(delta) else {
                counters.malformedRefused += 1
                continue
            }
            admitted.append(delta)
        }
        guard tenants[tenant]!.receivingAnswer else { return applyPushes(tenant, admitted.map { (peer, $0) }) }
        for delta in admitted {
            let bytes = CRDTCodec.encode(delta.delta).count
            if deferredPushes[tenant, default: []].count < Self.deferredPushesMax
                && deferredPushBytes[tenant, default: 0] + bytes <= Self.deferredPushBytesMax
            {
                deferredPushes[tenant, default: []].append((peer, delta))
                deferredPushBytes[tenant, default: 0] += bytes
                counters.pushesDeferred += 1
            } else {
                counters.pushesDropped += 1
            }
        }
        return []
    }

    /// Applies the pushes held for `tenant` once its pull's answer is complete.
    mutating func applyDeferredPushes(_ tenant: String) -> [Output] {
        deferredPushBytes[tenant] = nil
        guard let held = deferredPushes.removeValue(forKey: tenant) else { return [] }
        return applyPushes(tenant, held)
    }

    /// Joins admitted deltas in order. Outputs the changed keys, and for each sender whose
    /// pushes skip ahead of an origin's complete counter (writes we missed: lost with a
    /// dropped connection, say), that the sender is ahead, so it is pulled from soon.
    private mutating func applyPushes(_ tenant: String, _ pushes: [(peer: String, delta: KeyDelta)]) -> [Output] {
        var changed: [String] = []
        var ahead: [String: [ReplicaID: UInt64]] = [:]
        for (peer, delta) in pushes {
            guard tenants[tenant]!.apply(delta) else {
                // Held, it no longer passes admission (the dots it names grew past the limits).
                counters.malformedRefused += 1
                continue
            }
            counters.pushesApplied += 1
            changed.append(delta.key)
            ahead[peer, default: [:]][delta.dot.replica] = max(
                ahead[peer]?[delta.dot.replica] ?? 0,
                delta.dot.counter
            )
        }
        var out: [Output] = changed.isEmpty ? [] : [.changed(tenant: tenant, keys: changed)]
        for (peer, origins) in ahead.sorted(by: { $0.key < $1.key }) {
            for (origin, counter) in origins.sorted(by: { $0.key < $1.key }) {
                let complete = tenants[tenant]!.complete[origin]
                if complete < counter {
                    out.append(.peerAhead(peer: peer, tenant: tenant, dots: counter - complete))
                }
            }
        }
        return out
    }
}
