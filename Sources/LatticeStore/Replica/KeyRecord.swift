import LatticeCore

/// What the replica store keeps for one key (the same rules as the in-memory reference model
/// `TenantReplica` in LatticeSync): the value, and the key's version — for each origin replica,
/// the highest counter of a dot that touched this key (wrote it, overwrote it or removed from it).
public struct ReplicaKeyState: Hashable, Sendable {
    public var value: CRDTValue
    public var version: VersionVector

    public init(value: CRDTValue = .empty, version: VersionVector = VersionVector()) {
        self.value = value
        self.version = version
    }

    /// The value is gone but its version stays until every replica has seen it.
    public var isTombstone: Bool { value.isEmpty }

    /// The payload of a `crdt` record: `value length (4 bytes) | value | version`, both in
    /// the canonical encoding of `Protocols/crdt-encoding-v1.md` (the version as a context
    /// with an empty cloud).
    func encoded() -> [UInt8] {
        let value = CRDTCodec.encode(self.value)
        var out = [UInt8]()
        out.reserveCapacity(4 + value.count + 16 + 24 * version.count)
        out += (0..<4).map { UInt8(truncatingIfNeeded: value.count >> (24 - 8 * $0)) }
        out += value
        out += CRDTCodec.encode(CausalContext(vector: version))
        return out
    }

    init(decoding payload: ArraySlice<UInt8>, what: @autoclosure () -> String) throws(StoreError) {
        guard payload.count >= 4 else { throw StoreError(.corrupted, "\(what()) is truncated") }
        let start = payload.startIndex
        let count = payload[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        guard count <= payload.count - 4 else { throw StoreError(.corrupted, "\(what()) has a bad value length") }
        let context: CausalContext
        do {
            value = try CRDTCodec.decodeValue(payload[start + 4..<start + 4 + count])
            context = try CRDTCodec.decodeContext(payload[(start + 4 + count)...])
        } catch {
            throw StoreError(.corrupted, "\(what()) does not decode: \(error.message)")
        }
        guard context.cloud.isEmpty else { throw StoreError(.corrupted, "\(what()) has a malformed version") }
        version = context.vector
    }
}

/// One key's delta travelling between replicas (mirrors `KeyDelta` in LatticeSync).
public struct ReplicaDelta: Hashable, Sendable {
    public var key: String
    /// The fragment and the exact dots it covers (the new dot plus what it replaced).
    public var delta: Causal<CRDTValue>

    public init(key: String, delta: Causal<CRDTValue>) {
        self.key = key
        self.delta = delta
    }
}

extension VersionVector {
    /// For each replica, the highest counter among `context`'s dots (vector or cloud).
    init(highestIn context: CausalContext) {
        self = context.vector
        for d in context.cloud where d.counter > self[d.replica] { self[d.replica] = d.counter }
    }
}
