import LatticeCore
import LatticeCrypto

/// The per-tenant state slots (`tenant-state` table), sealed with the tenant key:
/// 1 the causal context, 2 the repair digest, 3 the complete vector.
struct TenantSlots {
    static let context: UInt8 = 1
    static let digest: UInt8 = 2
    static let complete: UInt8 = 3
    static let digestBytes = 32

    let store: Store
    let keys: TenantKeys

    func lmdbKey(_ slot: UInt8) -> [UInt8] { keys.prefix + [slot] }

    func load(_ slot: UInt8, _ txn: some TransactionReading) throws -> [UInt8]? {
        let key = lmdbKey(slot)
        guard let sealed = try txn.get(store.tables.tenantState, key) else { return nil }
        return try keys.open(
            sealed,
            table: .tenantState,
            lmdbKey: key,
            what: "state slot \(slot) of tenant '\(keys.name)'"
        )
    }

    func save(_ slot: UInt8, _ plain: [UInt8], _ txn: WriteTransaction) throws {
        // Sealing adds 40 bytes; a slot too large to read back must never be written.
        guard plain.count + 40 <= StoreLimits.stateSlotBytesMax else {
            throw StoreError(
                .limitExceeded,
                "state slot \(slot) of tenant '\(keys.name)' would be \(plain.count) bytes, past the "
                    + "\(StoreLimits.stateSlotBytesMax)-byte limit; the write that grew it is refused"
            )
        }
        let key = lmdbKey(slot)
        try txn.put(store.tables.tenantState, key, keys.seal(plain, table: .tenantState, lmdbKey: key))
    }

    func context(_ txn: some TransactionReading) throws -> CausalContext {
        guard let bytes = try load(Self.context, txn) else { return CausalContext() }
        return try decodeContext(bytes, what: "the causal context")
    }

    /// The complete vector: for each origin, the counter up to which every dot's effects are
    /// applied here. Stored as a context record with an empty cloud.
    func complete(_ txn: some TransactionReading) throws -> VersionVector {
        guard let bytes = try load(Self.complete, txn) else { return VersionVector() }
        let context = try decodeContext(bytes, what: "the complete vector")
        guard context.cloud.isEmpty else {
            throw StoreError(.corrupted, "the complete vector of tenant '\(keys.name)' holds out-of-order dots")
        }
        return context.vector
    }

    func saveComplete(_ complete: VersionVector, _ txn: WriteTransaction) throws {
        try save(Self.complete, CRDTCodec.encode(CausalContext(vector: complete)), txn)
    }

    private func decodeContext(_ bytes: [UInt8], what: String) throws -> CausalContext {
        do {
            return try CRDTCodec.decodeContext(bytes)
        } catch {
            throw StoreError(.corrupted, "\(what) of tenant '\(keys.name)' does not decode: \(error.message)")
        }
    }

    func digest(_ txn: some TransactionReading) throws -> [UInt8] {
        let bytes = try load(Self.digest, txn) ?? [UInt8](repeating: 0, count: Self.digestBytes)
        guard bytes.count == Self.digestBytes else {
            throw StoreError(.corrupted, "the digest of tenant '\(keys.name)' is \(bytes.count) bytes, not 32")
        }
        return bytes
    }

    /// One key's share of the digest.
    static func digestTerm(_ key: String, _ value: CRDTValue) -> [UInt8] {
        let name = Array(key.utf8)
        var input = Array("lattice.digest.v1".utf8)
        input += [UInt8(name.count >> 8), UInt8(name.count & 0xff)] + name
        input += CRDTCodec.encode(value)
        return BLAKE2b.hash(input, outputCount: digestBytes)
    }
}
