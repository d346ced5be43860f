import LatticeCrypto

#if canImport(Glibc)
import Glibc
#endif

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
    _ lmdbKey: UnsafeRawBufferPointer,
    _ body: (UnsafeRawBufferPointer) throws(E) -> R
) throws(E) -> R {
    let count = atRestDomain.count + 1 + lmdbKey.count
    return try withUnsafeTemporaryAllocation(byteCount: count, alignment: 1) { (ad) throws(E) -> R in
        atRestDomain.withUnsafeBytes { ad.copyMemory(from: $0) }
        ad[atRestDomain.count] = table.rawValue
        UnsafeMutableRawBufferPointer(rebasing: ad[(atRestDomain.count + 1)...]).copyMemory(from: lmdbKey)
        return try body(UnsafeRawBufferPointer(ad))
    }
}

private let atRestDomain = Array("lattice.at-rest.v1".utf8)

/// The keys of one tenant, derived from its random 256-bit data key. A class, so handing a
/// tenant's keys to a read costs one reference count, not one per key.
final class TenantKeys: Sendable {
    /// Length of the keyed hash that stands in for a key name on disk (128 bits: a collision
    /// needs about 2^64 keys, and a collision is detected because the sealed name must match).
    static let keyTagBytes = KeyedSipHash128.outputBytes
    static let numberBytes = 8
    /// Length of a record's LMDB key: tenant number, then the keyed hash of the name.
    static let recordKeyBytes = numberBytes + keyTagBytes

    let name: String
    /// Never reused, so records of a shredded tenant can never be read with a later tenant's key.
    let number: UInt64
    let sealKey: SecretBytes
    let prefix: [UInt8]
    private let nameHasher: KeyedSipHash128

    init(name: String, number: UInt64, dataKey: SecretBytes) {
        self.name = name
        self.number = number
        prefix = bigEndianBytes(number)
        sealKey = KeyDerivation.subkey(of: dataKey, label: "store.seal")
        // Format 3: SipHash-2-4-128 replaced keyed BLAKE2b-128 (format 2, label "store.key-name").
        nameHasher = KeyedSipHash128(subkeyOf: dataKey, label: "store.key-name.siphash")
    }

    /// The LMDB key of `keyName`'s record: tenant number | SipHash-2-4-128(name key, name).
    func recordKey(_ keyName: String) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.recordKeyBytes) { out, initialised in
            writeRecordKey(keyName, into: UnsafeMutableRawBufferPointer(out))
            initialised = Self.recordKeyBytes
        }
    }

    /// Calls `body` with `keyName`'s record key built on the stack (a read allocates nothing for it).
    func withRecordKey<R, E: Error>(
        _ keyName: String,
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try withUnsafeTemporaryAllocation(byteCount: Self.recordKeyBytes, alignment: 8) { (out) throws(E) -> R in
            writeRecordKey(keyName, into: out)
            return try body(UnsafeRawBufferPointer(out))
        }
    }

    private func writeRecordKey(_ keyName: String, into out: UnsafeMutableRawBufferPointer) {
        prefix.withUnsafeBytes { out.copyMemory(from: $0) }
        var name = keyName
        name.withUTF8 { utf8 in
            let tag = UnsafeMutableRawBufferPointer(rebasing: out[Self.numberBytes...])
            nameHasher.hash(UnsafeRawBufferPointer(utf8), into: tag)
        }
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
        lmdbKey: some ContiguousKey,
        what: @autoclosure () -> String
    ) throws(StoreError) -> [UInt8] {
        let limit = table == .tenantState ? StoreLimits.stateSlotBytesMax : StoreLimits.recordBytesMax
        guard sealed.count <= limit else {
            throw StoreError(.corrupted, "\(what()) is \(sealed.count) bytes on disk, more than any record can be")
        }
        do {
            return try lmdbKey.withUnsafeBytes { (lmdbKey) throws(CryptoError) in
                try withSealedRecordAD(table, lmdbKey) { (ad) throws(CryptoError) in
                    try XChaCha20Poly1305.open(sealed, additionalData: ad, key: sealKey)
                }
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

extension TenantKeys {
    /// Opens a sealed record read from disk into a temporary buffer and calls `body` with its
    /// plaintext; the buffer is wiped when `body` returns. Any failure to open is `corrupted`
    /// naming `what`.
    func withOpened<T>(
        _ sealed: UnsafeRawBufferPointer,
        table: SealedTable,
        lmdbKey: UnsafeRawBufferPointer,
        what: @autoclosure () -> String,
        _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T {
        let limit = table == .tenantState ? StoreLimits.stateSlotBytesMax : StoreLimits.recordBytesMax
        guard sealed.count <= limit, sealed.count >= XChaCha20Poly1305.overheadBytes else {
            throw StoreError(.corrupted, "\(what()) is \(sealed.count) bytes on disk, which no record can be")
        }
        let plainCount = sealed.count - XChaCha20Poly1305.overheadBytes
        return try withUnsafeTemporaryAllocation(byteCount: plainCount, alignment: 16) { buffer in
            defer { wipe(buffer) }
            do {
                _ = try withSealedRecordAD(table, lmdbKey) { (ad) throws(CryptoError) in
                    try XChaCha20Poly1305.open(sealed, additionalData: ad, key: sealKey, into: buffer)
                }
            } catch {
                throw StoreError(
                    .corrupted,
                    "\(what()) failed authentication: it was altered on disk or moved from another slot; "
                        + "restore it from a peer or a backup"
                )
            }
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }
}

/// Overwrites `buffer` with zeros (`explicit_bzero`, which the optimiser cannot drop): a
/// record's plaintext must not linger in reused stack or freed heap memory.
private func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    explicit_bzero(base, buffer.count)
}

func bigEndianBytes(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
}

func readBigEndian(_ bytes: some Collection<UInt8>) -> UInt64 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
}
