import LatticeCore
import LatticeSync

/// How the replica store keeps a ``KeyState`` (LatticeSync's value and key version) on disk.
extension KeyState {
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
        let value: CRDTValue
        let context: CausalContext
        do {
            value = try CRDTCodec.decodeValue(payload[start + 4..<start + 4 + count])
            context = try CRDTCodec.decodeContext(payload[(start + 4 + count)...])
        } catch {
            throw StoreError(.corrupted, "\(what()) does not decode: \(error.message)")
        }
        guard context.cloud.isEmpty else { throw StoreError(.corrupted, "\(what()) has a malformed version") }
        self.init(value: value, version: context.vector)
    }
}
