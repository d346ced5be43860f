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

extension RepairEntry {
    /// Reads one entry as ``encoded()`` writes it, within `CoreLimits` and `SyncLimits`.
    init(reading r: inout ByteReader) throws(CodecError) {
        let key = try r.string("repair key", max: CoreLimits.keyBytesMax)
        let value = try CRDTCodec.decodeValue(try r.lengthPrefixed("repair value", max: SyncLimits.messageBytesMax))
        let version = try CRDTCodec.decodeContext(
            try r.lengthPrefixed("repair key version", max: SyncLimits.messageBytesMax)
        )
        guard version.cloud.isEmpty else { throw r.error(.malformed, "a repair key version carries out-of-order dots") }
        let context = try CRDTCodec.decodeContext(
            try r.lengthPrefixed("repair key context", max: SyncLimits.messageBytesMax)
        )
        self.init(key: key, state: KeyState(value: value, version: version.vector), context: context)
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
    /// Returns false, changing nothing, while a sync answer is half received. O(entries).
    @discardableResult
    public mutating func repairApply(_ entries: [RepairEntry]) -> Bool {
        guard !receivingAnswer else { return false }
        var joined = [(key: String, state: KeyState)]()
        for e in entries {
            let mine = keys[e.key] ?? KeyState()
            var value = mine.value
            value.join(e.state.value, e.context, ownContext: keyContext(for: mine.version))
            var version = mine.version
            version.merge(e.state.version)
            joined.append((e.key, KeyState(value: value, version: version)))
        }
        replaceStates(joined)
        return true
    }
}
