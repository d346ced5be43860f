import LatticeCrypto

/// Which table a sealed record lives in; part of every record's additional data, so a record
/// moved to another table fails to authenticate.
enum SealedTable: UInt8 {
    case meta = 1
    /// Format 1 kept wrapped tenant keys in LMDB; retired, never reused.
    case retiredTenants = 2
    case records = 3
    case tenantState = 4
}

/// Builds the additional data that binds a sealed record to its table and LMDB key:
/// `"lattice.at-rest.v1" | table (1 byte) | LMDB key`. The LMDB key starts with the tenant
/// number and ends with the slot (the key-name hash, or a state slot), so this binds a
/// ciphertext to its tenant and slot: swapping two records' values breaks both.
func sealedRecordAD(_ table: SealedTable, _ lmdbKey: some Collection<UInt8>) -> [UInt8] {
    var ad = atRestDomain
    ad.reserveCapacity(ad.count + 1 + lmdbKey.count)
    ad.append(table.rawValue)
    ad.append(contentsOf: lmdbKey)
    return ad
}

/// Calls `body` with the additional data of ``sealedRecordAD(_:_:)`` built on the stack.
func withSealedRecordAD<R, E: Error>(
    _ table: SealedTable,
    _ lmdbKey: [UInt8],
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    let count = atRestDomain.count + 1 + lmdbKey.count
    return try withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { (ad) throws(E) -> R in
        atRestDomain.withUnsafeBytes { ad.copyMemory(from: $0) }
        ad[atRestDomain.count] = table.rawValue
        lmdbKey.withUnsafeBytes {
            UnsafeMutableRawBufferPointer(rebasing: ad[(atRestDomain.count + 1)...]).copyMemory(from: $0)
        }
        return try body(UnsafeRawBufferPointer(ad))
    }
}

private let atRestDomain = Array("lattice.at-rest.v1".utf8)

/// The keys of one tenant, derived from its random 256-bit data key.
struct TenantKeys: Sendable {
    /// Length of the keyed hash that stands in for a key name on disk (128 bits: a collision
    /// needs about 2^64 keys, and a collision is detected because the sealed name must match).
    static let keyTagBytes = 16
    static let numberBytes = 8

    let name: String
    /// Never reused, so records of a shredded tenant can never be read with a later tenant's key.
    let number: UInt64
    let sealKey: SecretBytes
    let prefix: [UInt8]
    private let nameHasher: KeyedBLAKE2b

    init(name: String, number: UInt64, dataKey: SecretBytes) {
        self.name = name
        self.number = number
        prefix = bigEndianBytes(number)
        sealKey = KeyDerivation.subkey(of: dataKey, label: "store.seal")
        nameHasher = KeyedBLAKE2b(
            key: KeyDerivation.subkey(of: dataKey, label: "store.key-name"),
            outputCount: Self.keyTagBytes
        )
    }

    /// The LMDB key of `keyName`'s record: tenant number | keyed BLAKE2b-128 of the name.
    func recordKey(_ keyName: String) -> [UInt8] {
        var key = [UInt8]()
        key.reserveCapacity(Self.numberBytes + Self.keyTagBytes)
        key.append(contentsOf: prefix)
        var name = keyName
        name.withUTF8 { nameHasher.hash(UnsafeRawBufferPointer($0), appendingTo: &key) }
        return key
    }

    func keyTag(_ keyName: String) -> [UInt8] {
        Array(recordKey(keyName)[Self.numberBytes...])
    }

    func seal(_ plaintext: [UInt8], table: SealedTable, lmdbKey: [UInt8]) -> [UInt8] {
        XChaCha20Poly1305.seal(plaintext, additionalData: sealedRecordAD(table, lmdbKey), key: sealKey)
    }

    /// Opens a sealed record read from disk; any failure is `corrupted` naming `what`.
    func open(
        _ sealed: UnsafeRawBufferPointer,
        table: SealedTable,
        lmdbKey: [UInt8],
        what: @autoclosure () -> String
    ) throws(StoreError) -> [UInt8] {
        let limit = table == .tenantState ? StoreLimits.stateSlotBytesMax : StoreLimits.recordBytesMax
        guard sealed.count <= limit else {
            throw StoreError(.corrupted, "\(what()) is \(sealed.count) bytes on disk, more than any record can be")
        }
        do {
            return try withSealedRecordAD(table, lmdbKey) { (ad) throws(CryptoError) in
                try XChaCha20Poly1305.open(sealed, additionalData: ad, key: sealKey)
            }
        } catch {
            throw StoreError(
                .corrupted,
                "\(what()) failed authentication: it was altered on disk or moved from another slot; "
                    + "restore it from a peer or a backup"
            )
        }
    }
}

func bigEndianBytes(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}

func readBigEndian(_ bytes: some Collection<UInt8>) -> UInt64 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
}
