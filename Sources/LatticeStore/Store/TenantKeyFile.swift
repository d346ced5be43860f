import LatticeCrypto
import Synchronization

extension StoreLimits {
    /// Largest tenant key file accepted from disk: the magic, the seal's overhead, the counter
    /// and count, and ``tenantsMax`` entries with the longest name (about 3 MB). A larger file is
    /// damaged and is refused before it is read into memory.
    static let tenantKeyFileBytesMax =
        TenantKeyFile.magic.count + XChaCha20Poly1305.overheadBytes + 12
        + tenantsMax * (TenantKeyFile.entryFixedBytes + tenantNameBytesMax)
}

/// A tenant as the key file records it.
struct TenantKeyEntry: Sendable {
    let name: String
    /// Never reused, so records of a shredded tenant can never be read with a later tenant's key.
    let number: UInt64
    let dataKey: SecretBytes
}

/// The tenants of a store with their numbers and random data keys: the only place a tenant's
/// key material is kept, sealed under a key derived from the master key.
///
/// It lives outside LMDB on purpose. LMDB reuses freed pages without zeroing them, so a
/// wrapped data key deleted from a table can survive in `data.mdb` until its page happens to
/// be reused, and anyone holding the master key and that old page could unwrap it and read a
/// shredded tenant. This file is instead replaced whole on every change (``DurableFile``: write
/// a temporary file, `fsync`, rename, `fsync` the directory) and its previous version is
/// overwritten with zeros, so once a tenant is removed its key is in no file of the data
/// directory. It also holds the tenant-number counter, so a number is never handed out twice.
///
/// ## Format (`tenant-keys`, mode 0600)
///
/// ```
/// "LTKEYS01" (8) | nonce (24) | XChaCha20-Poly1305(plaintext) | tag (16)
/// plaintext: next tenant number (8) | count (4) | count × entry
/// entry:     tenant number (8) | data key (32) | name length (2) | name (UTF-8)
/// ```
///
/// Integers are big-endian; the additional data is `"lattice.tenant-keys.v1"`. Changes are rare
/// (creating or shredding a tenant), so rewriting up to ``StoreLimits/tenantKeyFileBytesMax``
/// bytes each time is cheap next to the durability it buys.
final class TenantKeyFile: Sendable {
    static let fileName = "tenant-keys"
    static let magic = Array("LTKEYS01".utf8)
    static let entryFixedBytes = 8 + XChaCha20Poly1305.keyBytes + 2
    private static let additionalData = Array("lattice.tenant-keys.v1".utf8)

    private struct State {
        var next: UInt64
        /// In tenant-number order.
        var entries: [TenantKeyEntry]
    }

    let path: String
    private let sealKey: SecretBytes
    private let state: Mutex<State>

    private init(path: String, sealKey: SecretBytes, state: State) {
        self.path = path
        self.sealKey = sealKey
        self.state = Mutex(state)
    }

    static func path(inDirectory directory: String) -> String { directory + "/" + fileName }

    /// Writes an empty key file into `directory` unless one exists (a data directory being created).
    static func createIfMissing(directory: String, sealKey: SecretBytes) throws(StoreError) {
        let path = path(inDirectory: directory)
        guard try DurableFile.read(path, bytesMax: StoreLimits.tenantKeyFileBytesMax) == nil else { return }
        try persist(State(next: 1, entries: []), path: path, sealKey: sealKey)
    }

    /// Loads the key file of `directory`, after removing a leftover of an interrupted rewrite.
    static func load(directory: String, sealKey: SecretBytes) throws(StoreError) -> TenantKeyFile {
        let path = path(inDirectory: directory)
        guard let sealed = try DurableFile.read(path, bytesMax: StoreLimits.tenantKeyFileBytesMax) else {
            throw StoreError(
                .corrupted,
                "tenant key file \(path) is missing: without it no tenant's data in \(directory) can be read. "
                    + "Restore it from a backup of this data directory"
            )
        }
        let state = try decode(sealed, path: path, sealKey: sealKey)
        try DurableFile.removeLeftover(path)
        return TenantKeyFile(path: path, sealKey: sealKey, state: state)
    }

    /// Every tenant, in tenant-number order.
    var entries: [TenantKeyEntry] { state.withLock { $0.entries } }

    /// Adds tenant `name` with a fresh random data key and the next tenant number, durably.
    func add(_ name: String) throws(StoreError) -> TenantKeyEntry {
        try state.withLock { (state: inout State) throws(StoreError) -> TenantKeyEntry in
            guard state.entries.count < StoreLimits.tenantsMax else {
                throw StoreError(.limitExceeded, "\(path) already holds \(StoreLimits.tenantsMax) tenants")
            }
            guard state.next < UInt64.max else {
                throw StoreError(
                    .limitExceeded,
                    "\(path) has handed out every tenant number (2^64 - 1); no tenant can be created"
                )
            }
            let entry = TenantKeyEntry(
                name: name,
                number: state.next,
                dataKey: SecretBytes(randomCount: XChaCha20Poly1305.keyBytes)
            )
            var next = state
            next.next += 1
            next.entries.append(entry)
            try Self.persist(next, path: path, sealKey: sealKey)
            state = next
            return entry
        }
    }

    /// Removes the tenants numbered `numbers`, durably, and overwrites the file that held them.
    func remove(_ numbers: Set<UInt64>) throws(StoreError) {
        try state.withLock { (state: inout State) throws(StoreError) in
            var next = state
            next.entries.removeAll { numbers.contains($0.number) }
            guard next.entries.count != state.entries.count else { return }
            try Self.persist(next, path: path, sealKey: sealKey)
            state = next
        }
    }

    // MARK: Encoding

    private static func persist(_ state: State, path: String, sealKey: SecretBytes) throws(StoreError) {
        let plain = encode(state)
        let sealed = magic + XChaCha20Poly1305.seal(plain, additionalData: additionalData, key: sealKey)
        try DurableFile.replace(path, with: sealed)
    }

    /// The plaintext, built in one allocation of its exact size so no stray copy of a data key
    /// is left in freed memory; it is wiped when the returned value goes away.
    private static func encode(_ state: State) -> SecretBytes {
        let count = 12 + state.entries.reduce(0) { $0 + entryFixedBytes + $1.name.utf8.count }
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        bytes.append(contentsOf: bigEndianBytes(state.next))
        bytes.append(contentsOf: bigEndianBytes(UInt64(state.entries.count))[4...])
        for entry in state.entries {
            bytes.append(contentsOf: bigEndianBytes(entry.number))
            entry.dataKey.withUnsafeBytes { bytes.append(contentsOf: $0) }
            let name = Array(entry.name.utf8)
            bytes.append(UInt8(name.count >> 8))
            bytes.append(UInt8(name.count & 0xff))
            bytes.append(contentsOf: name)
        }
        precondition(bytes.count == count, "tenant key file size computed wrongly")
        return SecretBytes(bytes)
    }

    private static func decode(_ sealed: [UInt8], path: String, sealKey: SecretBytes) throws(StoreError) -> State {
        let damaged = StoreError(
            .corrupted,
            "tenant key file \(path) is damaged or belongs to another data directory; no tenant's data "
                + "can be read without it. Restore it from a backup of this data directory"
        )
        guard sealed.count >= magic.count, sealed[..<magic.count].elementsEqual(magic),
            let opened = try? XChaCha20Poly1305.open(
                sealed[magic.count...],
                additionalData: additionalData,
                key: sealKey
            )
        else { throw damaged }
        let plain = SecretBytes(opened)
        guard let state = plain.withUnsafeBytes({ parse($0) }) else { throw damaged }
        return state
    }

    /// Parses the plaintext; `nil` if any length, count or number is out of bounds.
    private static func parse(_ raw: UnsafeRawBufferPointer) -> State? {
        var reader = BoundedReader(raw)
        guard let next = reader.integer(8), let count = reader.integer(4), count <= StoreLimits.tenantsMax else {
            return nil
        }
        var entries: [TenantKeyEntry] = []
        var names = Set<String>()
        for _ in 0..<count {
            guard let number = reader.integer(8), (entries.last?.number ?? 0) < number, number < next,
                let key = reader.bytes(XChaCha20Poly1305.keyBytes), let nameCount = reader.integer(2),
                nameCount >= 1, nameCount <= StoreLimits.tenantNameBytesMax,
                let nameBytes = reader.bytes(Int(nameCount)),
                let name = String(validating: nameBytes, as: UTF8.self), names.insert(name).inserted
            else { return nil }
            entries.append(TenantKeyEntry(name: name, number: number, dataKey: SecretBytes(Array(key))))
        }
        guard reader.isAtEnd else { return nil }
        return State(next: next, entries: entries)
    }
}

/// Reads fixed-size fields from a buffer, returning `nil` past its end.
private struct BoundedReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var isAtEnd: Bool { offset == raw.count }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer.SubSequence? {
        guard count <= raw.count - offset else { return nil }
        defer { offset += count }
        return raw[offset..<offset + count]
    }

    mutating func integer(_ count: Int) -> UInt64? {
        bytes(count).map { readBigEndian($0) }
    }
}
