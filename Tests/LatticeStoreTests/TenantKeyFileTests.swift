import LatticeCrypto
import Testing

@testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

/// Crypto-shredding must leave a shredded tenant's key material in no file of the data
/// directory (review M1: LMDB reuses freed pages without zeroing them, so a key deleted from a
/// table could survive in `data.mdb`).
@Suite struct TenantKeyFileTests {
    /// Windows of `bytes` (16 bytes each, spread over the whole buffer) to search for.
    static func windows(of bytes: [UInt8], count: Int = 8) -> [[UInt8]] {
        let width = 16
        guard bytes.count >= width else { return [bytes] }
        let step = max(1, (bytes.count - width) / max(1, count - 1))
        return stride(from: 0, through: bytes.count - width, by: step).map { Array(bytes[$0..<$0 + width]) }
    }

    static func hits(of needles: [[UInt8]], under directory: String) -> [String] {
        var found: [String] = []
        for file in filesUnder(directory) {
            let bytes = readFile(file)
            for needle in needles where !occurrences(of: needle, in: bytes).isEmpty { found.append(file) }
        }
        return found
    }

    @Test func shreddingATenant_leavesItsKeyMaterialInNoFileOfTheDataDirectory() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let keyFilePath = TenantKeyFile.path(inDirectory: fixture.dataDirectory)
        var dataKey: [UInt8] = []
        var sealedBefore: [UInt8] = []
        do {
            let store = try fixture.open()
            for tenant in ["doomed", "kept"] {
                try await store.createTenant(tenant)
                for i in 0..<300 { try await store.put([UInt8(i & 0xff)], forKey: "k\(i)", tenant: tenant) }
            }
            let entry = try #require(store.keyFile.entries.first { $0.name == "doomed" })
            dataKey = entry.dataKey.unprotectedCopy()
            sealedBefore = readFile(keyFilePath)
            // Positive control: the search finds the wrapped key where it is stored.
            #expect(Self.hits(of: Self.windows(of: sealedBefore), under: fixture.dataDirectory).count >= 8)
            try await store.shredTenant("doomed")
            store.close()
        }
        #expect(sealedBefore.count > 100)
        let found = Self.hits(of: Self.windows(of: sealedBefore) + [dataKey], under: fixture.dataDirectory)
        #expect(found.isEmpty, "old key material found in \(found)")
        let store = try fixture.open()
        defer { store.close() }
        #expect(store.tenantNames() == ["kept"])
        #expect(try store.get("k299", tenant: "kept") == [UInt8(299 & 0xff)])
    }

    @Test func aShredInterruptedAfterItsMarker_finishesWhenTheStoreOpens() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var number: UInt64 = 0
        var dataKey: [UInt8] = []
        do {
            let store = try fixture.open()
            try await store.createTenant("doomed")
            try await store.createTenant("kept")
            for i in 0..<50 { try await store.put([1], forKey: "k\(i)", tenant: "doomed") }
            try await store.put([2], forKey: "k", tenant: "kept")
            dataKey = try #require(store.keyFile.entries.first { $0.name == "doomed" }).dataKey.unprotectedCopy()
            number = try await store.write { try $0.markForShredding("doomed") }  // then the process dies
            #expect(store.tenantNames() == ["doomed", "kept"])
            store.close()
        }
        let store = try fixture.open()
        defer { store.close() }
        #expect(store.tenantNames() == ["kept"])
        #expect(store.keyFile.entries.map(\.name) == ["kept"])
        let records = try store.environment.read { txn in
            var n = 0
            try txn.scan(store.tables.records, prefix: bigEndianBytes(number)) { _, _ in
                n += 1
                return true
            }
            return n
        }
        #expect(records == 0)
        #expect(Self.hits(of: [dataKey], under: fixture.dataDirectory).isEmpty)
        #expect(try store.get("k", tenant: "kept") == [2])
    }

    @Test func aLeftoverTemporaryKeyFile_isOverwrittenAndRemovedWhenTheStoreOpens() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            try await store.createTenant("t")
            store.close()
        }
        let leftover = TenantKeyFile.path(inDirectory: fixture.dataDirectory) + DurableFile.temporarySuffix
        let canary = Array("LEFTOVER-KEY-MATERIAL-3c9d".utf8)
        let f = try #require(fopen(leftover, "wb"))
        _ = canary.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        let store = try fixture.open()
        defer { store.close() }
        #expect(access(leftover, F_OK) != 0)
        #expect(store.tenantNames() == ["t"])
    }

    @Test func aMissingTenantKeyFile_failsTheOpenNamingTheFile() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            try await store.createTenant("t")
            store.close()
        }
        let path = TenantKeyFile.path(inDirectory: fixture.dataDirectory)
        unlink(path)
        #expect {
            _ = try fixture.open()
        } throws: { error in
            let e = error as? StoreError
            return e?.code == .corrupted && e?.message.contains(path) == true && e?.message.contains("backup") == true
        }
    }

    @Test func aTamperedTenantKeyFile_failsTheOpen() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            try await store.createTenant("t")
            store.close()
        }
        let path = TenantKeyFile.path(inDirectory: fixture.dataDirectory)
        var bytes = readFile(path)
        bytes[bytes.count / 2] ^= 1
        let f = try #require(fopen(path, "wb"))
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        #expect {
            _ = try fixture.open()
        } throws: { ($0 as? StoreError)?.code == .corrupted }
    }

    /// The tenant-number counter at its maximum refuses new tenants with an error (it used to trap
    /// on overflow).
    @Test func anExhaustedTenantNumberCounter_refusesNewTenantsWithAnError() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        _ = try fixture.open()  // creates the directory; closed when released
        let secrets = MasterSecrets(fixture.masterKey)
        let plain = bigEndianBytes(UInt64.max) + [0, 0, 0, 0]
        let sealed = XChaCha20Poly1305.seal(
            plain,
            additionalData: Array("lattice.tenant-keys.v1".utf8),
            key: secrets.keyFileKey
        )
        let path = TenantKeyFile.path(inDirectory: fixture.dataDirectory)
        try DurableFile.replace(path, with: TenantKeyFile.magic + sealed)
        let store = try fixture.open()
        defer { store.close() }
        await #expect {
            try await store.createTenant("t")
        } throws: { ($0 as? StoreError)?.code == .limitExceeded }
        #expect(store.tenantNames().isEmpty)
    }

    @Test func aFormatOneDirectory_isRefusedNamingTheFormat() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            defer { store.close() }
            let txn = try store.environment.beginWrite()
            try txn.put(store.tables.meta, Tables.formatKey, [1])
            try txn.commit()
        }
        #expect {
            _ = try fixture.open()
        } throws: { ($0 as? StoreError)?.message.contains("format 1") == true }
    }

    /// Format 2 hashed key names with keyed BLAKE2b; format 3 reads no older directory.
    @Test func aFormatTwoDirectory_isRefusedNamingTheDirectoryAndWhatToDo() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            defer { store.close() }
            let txn = try store.environment.beginWrite()
            try txn.put(store.tables.meta, Tables.formatKey, [2])
            try txn.commit()
        }
        #expect {
            _ = try fixture.open()
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unsupportedFormat && error.message.contains(fixture.dataDirectory)
                && error.message.contains("format 2") && error.message.contains("Move the directory aside")
        }
    }
}
