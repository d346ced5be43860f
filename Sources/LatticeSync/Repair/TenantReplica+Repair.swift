import LatticeCore

/// A key's state as repair sends it, with the sender's causal context *for this key*.
///
/// Why not the sender's whole context (as a sync batch uses): repair exists for replicas
/// whose vectors are wrong — a replica restored from an old backup that kept writing
/// under its replica id claims dots it does not hold. Joined with such a context, its
/// stale state would delete the receiver's live entries. The key context only claims the
/// dots, per origin, up to the key's own version: what this key's state has seen.
public struct RepairEntry: Hashable, Sendable {
    public var key: String
    public var state: KeyState
    public var context: CausalContext

    public init(key: String, state: KeyState, context: CausalContext) {
        self.key = key
        self.state = state
        self.context = context
    }

    /// Bytes of this entry as a repair transfer would carry it: the key, the value, the
    /// key version and the key context, each in `CRDTCodec`'s canonical encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.lengthPrefixed(Array(key.utf8))
        w.lengthPrefixed(CRDTCodec.encode(state.value))
        w.lengthPrefixed(CRDTCodec.encode(CausalContext(vector: state.version)))
        w.lengthPrefixed(CRDTCodec.encode(context))
        return w.bytes
    }
}

extension TenantReplica {
    /// This replica's context restricted, per origin, to dots at or below `version`.
    public func keyContext(for version: VersionVector) -> CausalContext {
        var vector = VersionVector()
        for (r, n) in version.entries { vector[r] = min(n, context.vector[r]) }
        let cloud = context.cloud.filter { $0.counter <= version[$0.replica] }
        return CausalContext(vector: vector, cloud: cloud)
    }

    /// The entries to send for the keys a repair session found (`keysToSend`).
    public func repairEntries(for keys: [String]) -> [RepairEntry] {
        keys.compactMap { k in
            self.keys[k].map { RepairEntry(key: k, state: $0, context: keyContext(for: $0.version)) }
        }
    }

    /// Joins repaired states: each key is joined under both sides' key contexts, so a
    /// replica's wrong vectors cannot delete the other side's live entries. The replica's
    /// context gains exactly the dots of the joined states; `complete` is unchanged.
    /// Returns false, changing nothing, while a sync answer is half received.
    ///
    /// TenantReplica has no public hook to replace a key's state, so this rebuilds the
    /// replica from its keys through `receive` — O(keys) per call. The lead is asked for a
    /// `replaceState` hook (or this join inside TenantReplica) to make it O(entries).
    @discardableResult
    public mutating func repairApply(_ entries: [RepairEntry]) -> Bool {
        guard !receivingAnswer else { return false }
        var states = keys
        for e in entries {
            let mine = states[e.key] ?? KeyState()
            var value = mine.value
            value.join(e.state.value, e.context, ownContext: keyContext(for: mine.version))
            var version = mine.version
            version.merge(e.state.version)
            states[e.key] = KeyState(value: value, version: version)
        }
        var rebuilt = TenantReplica(replica: replica)
        // A fresh replica's context is empty, so `receive` keeps every entry as given.
        let mark = SyncBatch.Mark(context: context, complete: complete)
        rebuilt.receive(
            SyncBatch(
                entries: states.map { SyncEntry(key: $0.key, state: $0.value) },
                senderContext: CausalContext(),
                mark: mark
            )
        )
        self = rebuilt
        return true
    }
}
