import LatticeCrypto
import Testing

@testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct EncryptionAtRestTests {
    @Test func canary_keyNamesValuesAndTenantNames_neverReachDiskInPlaintext() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let tenant = "canary-tenant-5be0d1"
        let keys = (0..<40).map { "CANARY-KEY-7f3a9c-\($0)" }
        let value = { (i: Int) in Array("CANARY-VALUE-e41b77-\(i)-".utf8) + [UInt8](repeating: 0x41, count: i * 300) }
        var sealedSample: [UInt8] = []
        do {
            let store = try fixture.open()
            try await store.createTenant(tenant)
            for (i, key) in keys.enumerated() { try await store.put(value(i), forKey: key, tenant: tenant) }
            try await store.delete(keys[0], tenant: tenant)
            try await store.put(value(1), forKey: keys[1], tenant: tenant)  // overwrite: old page versions linger
            let tenantKeys = try store.tenantKeys(tenant)
            sealedSample = try store.environment.read { txn in
                Array(try txn.get(store.tables.records, tenantKeys.recordKey(keys[5]))!)
            }
            store.close()
        }
        let files = filesUnder(fixture.dataDirectory)
        #expect(files.count >= 2)  // data.mdb and lock.mdb
        var positiveControl = 0
        for file in files {
            let bytes = readFile(file)
            positiveControl += occurrences(of: sealedSample, in: bytes).count
            for needle in [Array("CANARY-KEY-7f3a9c".utf8), Array("CANARY-VALUE-e41b77".utf8), Array(tenant.utf8)] {
                #expect(occurrences(of: needle, in: bytes).isEmpty, "plaintext found in \(file)")
            }
        }
        #expect(positiveControl >= 1)  // the search does see what is on disk
    }

    @Test func wrongMasterKey_isAClearError_andWritesNothing() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        do {
            let store = try fixture.open()
            try await store.createTenant("t")
            try await store.put([1, 2, 3], forKey: "k", tenant: "t")
            store.close()
        }
        let before = readFile(fixture.dataDirectory + "/data.mdb")
        let otherKey = try MasterKey(SecretBytes(randomCount: 32))
        #expect {
            _ = try Store.open(directory: fixture.dataDirectory, masterKey: otherKey)
        } throws: { error in
            let e = error as? StoreError
            return e?.code == .wrongMasterKey && e?.message.contains(fixture.dataDirectory) == true
                && e?.message.contains("Nothing was written") == true
        }
        #expect(readFile(fixture.dataDirectory + "/data.mdb") == before)
        let store = try fixture.open()  // the right key still opens it: the failed open let go cleanly
        defer { store.close() }
        #expect(try store.get("k", tenant: "t") == [1, 2, 3])
    }

    @Test func masterKeyFileReadableByOthers_isRefusedSayingHowToFixIt() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        chmod(fixture.keyFile, 0o640)
        #expect {
            _ = try Store.open(directory: fixture.dataDirectory, masterKeyFile: fixture.keyFile)
        } throws: { error in
            let e = error as? StoreError
            return e?.code == .keyFile && e?.message.contains("chmod 600 \(fixture.keyFile)") == true
        }
        #expect(access(fixture.dataDirectory, F_OK) != 0)  // nothing was created
    }

    /// A flipped bit anywhere in a sealed record: in the nonce's HChaCha20 part (0) or its
    /// inner-nonce part (20), the ciphertext (30), or the tag (the last byte).
    @Test(arguments: [0, 20, 30, -1])
    func corruptedRecordOnDisk_failsThatKeyOnly(flippedByte: Int) async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var sealed: [UInt8] = []
        do {
            let store = try fixture.open()
            try await store.createTenant("t")
            for i in 0..<20 { try await store.put(Array("value \(i)".utf8), forKey: "k\(i)", tenant: "t") }
            let keys = try store.tenantKeys("t")
            sealed = try store.environment.read { Array(try $0.get(store.tables.records, keys.recordKey("k7"))!) }
            store.close()
        }
        let path = fixture.dataDirectory + "/data.mdb"
        var bytes = readFile(path)
        let hits = occurrences(of: sealed, in: bytes)
        #expect(!hits.isEmpty)
        let at = flippedByte >= 0 ? flippedByte : sealed.count + flippedByte
        for offset in hits { bytes[offset + at] ^= 0x20 }
        let f = fopen(path, "r+b")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)

        let store = try fixture.open()
        defer { store.close() }
        #expect {
            _ = try store.get("k7", tenant: "t")
        } throws: { error in
            let e = error as? StoreError
            return e?.code == .corrupted && e?.message.contains("k7") == true
        }
        for i in 0..<20 where i != 7 { #expect(try store.get("k\(i)", tenant: "t") == Array("value \(i)".utf8)) }
    }

    @Test func swappingTwoRecords_makesBothUnreadable() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        try await store.put([1], forKey: "a", tenant: "t")
        try await store.put([2], forKey: "b", tenant: "t")
        let keys = try store.tenantKeys("t")
        let records = store.tables.records
        try await store.write { w in
            let a = Array(try w.txn.get(records, keys.recordKey("a"))!)
            let b = Array(try w.txn.get(records, keys.recordKey("b"))!)
            try w.txn.put(records, keys.recordKey("a"), b)
            try w.txn.put(records, keys.recordKey("b"), a)
        }
        for key in ["a", "b"] {
            #expect(throws: StoreError.self) { try store.get(key, tenant: "t") }
        }
    }

    @Test func shreddingATenant_makesItUnreadableAtOnce_purgesIt_andSparesOthers() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        for t in ["doomed", "kept"] {
            try await store.createTenant(t)
            for i in 0..<1500 { try await store.put([UInt8(i & 0xff)], forKey: "k\(i)", tenant: t) }
        }
        let doomed = try store.tenantKeys("doomed")
        try await store.shredTenant("doomed")
        #expect(store.tenantNames() == ["kept"])
        #expect {
            _ = try store.get("k1", tenant: "doomed")
        } throws: { ($0 as? StoreError)?.code == .unknownTenant }
        #expect(try store.get("k1499", tenant: "kept") == [UInt8(1499 & 0xff)])
        let left = try store.environment.read { txn in
            var n = 0
            try txn.scan(store.tables.records, prefix: doomed.prefix) { _, _ in
                n += 1
                return true
            }
            return n
        }
        #expect(left == 0)
        try await store.createTenant("doomed")  // same name, new key and number, empty
        #expect(try store.get("k1", tenant: "doomed") == nil)
        #expect(try store.tenantKeys("doomed").number != doomed.number)
    }

    @Test func aPurgeInterruptedByACrash_resumesWhenTheStoreOpens() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var number: UInt64 = 0
        do {
            let store = try fixture.open()
            try await store.createTenant("doomed")
            for i in 0..<50 { try await store.put([1], forKey: "k\(i)", tenant: "doomed") }
            let marked = try await store.write { try $0.markForShredding("doomed") }
            try await store.write { try $0.destroyTenantKey("doomed", number: marked) }
            number = marked  // key gone, records left
            store.close()
        }
        let store = try fixture.open()
        defer { store.close() }
        let (records, marker) = try store.environment.read { txn in
            var n = 0
            try txn.scan(store.tables.records, prefix: bigEndianBytes(number)) { _, _ in
                n += 1
                return true
            }
            return (n, try txn.get(store.tables.meta, Tables.purgePrefix + bigEndianBytes(number)) != nil)
        }
        #expect(records == 0)
        #expect(!marker)
    }

    /// Found in review: deleting dirties copy-on-write pages, so resuming the purge of a
    /// store whose map is just big enough for its data failed the open with map_full.
    @Test func aPurgeResumedOnAFullMap_growsTheMapAndTheStoreOpens() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var configuration = StoreConfiguration()
        configuration.mapBytesInitial = 1 << 20
        configuration.mapBytesMax = 64 << 20
        var number: UInt64 = 0
        do {
            let store = try fixture.open(configuration)
            try await store.createTenant("doomed")
            let value = [UInt8](repeating: 7, count: 4_096)
            for i in 0..<600 { try await store.put(value, forKey: "k\(i)", tenant: "doomed") }
            let marked = try await store.write { try $0.markForShredding("doomed") }
            try await store.write { try $0.destroyTenantKey("doomed", number: marked) }
            number = marked
            store.close()
        }
        let store = try fixture.open(configuration)
        defer { store.close() }
        let records = try store.environment.read { txn in
            var n = 0
            try txn.scan(store.tables.records, prefix: bigEndianBytes(number)) { _, _ in
                n += 1
                return true
            }
            return n
        }
        #expect(records == 0)
    }
}

/// `Store.put` seals in the caller's task; the writer stores the record only if its tenant
/// still has the keys it was sealed with.
@Suite struct SealedBeforeQueueingTests {
    @Test func aRecordSealedBeforeItsTenantWasShredded_isRefused_evenIfTheTenantWasCreatedAgain() async throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = try fixture.open()
        defer { store.close() }
        try await store.createTenant("t")
        let early = try SealedRecord([1, 2, 3], forKey: "k", keys: try store.tenantKeys("t"))
        try await store.write { try $0.put(early) }
        #expect(try store.get("k", tenant: "t") == [1, 2, 3])
        let late = try SealedRecord([4, 5, 6], forKey: "k", keys: try store.tenantKeys("t"))
        try await store.shredTenant("t")
        await #expect { try await store.write { try $0.put(late) } } throws: {
            ($0 as? StoreError)?.code == .unknownTenant
        }
        try await store.createTenant("t")
        await #expect { try await store.write { try $0.put(late) } } throws: {
            ($0 as? StoreError)?.code == .unknownTenant
        }
        #expect(try store.get("k", tenant: "t") == nil)
    }
}
