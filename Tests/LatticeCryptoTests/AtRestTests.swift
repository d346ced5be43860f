import LatticeCrypto
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct AtRestTests {
    let key = SecretBytes(randomCount: 32)

    @Test func seal_thenOpen_roundTrips_andAddsFortyBytes() throws {
        let plain = Array("hello at rest".utf8)
        let box = XChaCha20Poly1305.seal(plain, additionalData: [1, 2, 3], key: key)
        #expect(box.count == plain.count + 40)
        #expect(try XChaCha20Poly1305.open(box, additionalData: [1, 2, 3], key: key) == plain)
    }

    @Test func sealingTwice_usesFreshNonces() {
        let a = XChaCha20Poly1305.seal([1, 2, 3], additionalData: [UInt8](), key: key)
        let b = XChaCha20Poly1305.seal([1, 2, 3], additionalData: [UInt8](), key: key)
        #expect(a != b)
    }

    @Test func open_refusesAlteredBytes_otherAdditionalData_andOtherKeys() {
        let box = XChaCha20Poly1305.seal(Array("secret".utf8), additionalData: [7], key: key)
        for i in [0, 24, box.count - 1] {
            var altered = box
            altered[i] ^= 0x01
            #expect(throws: CryptoError.self) { try XChaCha20Poly1305.open(altered, additionalData: [7], key: key) }
        }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.open(box, additionalData: [8], key: key) }
        #expect(throws: CryptoError.self) {
            try XChaCha20Poly1305.open(box, additionalData: [7], key: SecretBytes(randomCount: 32))
        }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.open([1, 2], additionalData: [7], key: key) }
    }

    @Test func keyWrap_unwrapsOnlyInItsContext() throws {
        let dataKey = SecretBytes(randomCount: 32)
        let wrapped = KeyWrap.wrap(dataKey, with: key, context: [1])
        #expect(try KeyWrap.unwrap(wrapped, with: key, context: [1]).constantTimeEquals(dataKey))
        #expect(throws: CryptoError.self) { try KeyWrap.unwrap(wrapped, with: key, context: [2]) }
    }

    @Test func masterKeyFile_isCreated0600_andLoadsBack() throws {
        let path = "/tmp/lattice-master-\(Random.uint64()).key"
        defer { unlink(path) }
        let made = try MasterKey.generate(at: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let loaded = try MasterKey.load(from: path)
        #expect(loaded.subkey("x").constantTimeEquals(made.subkey("x")))
        #expect(!loaded.subkey("x").constantTimeEquals(made.subkey("y")))
    }

    @Test func masterKeyFile_readableByOthers_isRefusedWithTheFix() throws {
        let path = "/tmp/lattice-master-\(Random.uint64()).key"
        defer { unlink(path) }
        try MasterKey.generate(at: path)
        chmod(path, 0o644)
        #expect {
            try MasterKey.load(from: path)
        } throws: { error in
            let e = error as? CryptoError
            return e?.code == .keyFile && e?.message.contains("chmod 600 \(path)") == true
                && e?.message.contains("0644") == true
        }
    }

    @Test func masterKeyFile_ownedByAnotherUser_isRefusedWithTheFix() throws {
        let path = "/tmp/lattice-master-\(Random.uint64()).key"
        defer { unlink(path) }
        try MasterKey.generate(at: path)
        let other = geteuid() == 0 ? uid_t(4_242) : uid_t(0)
        // Only root may give a file away; elsewhere the check cannot be exercised this way.
        try #require(chown(path, other, gid_t(UInt32.max)) == 0 || geteuid() != 0)
        guard geteuid() == 0 else { return }
        #expect {
            try MasterKey.load(from: path)
        } throws: { error in
            let e = error as? CryptoError
            return e?.code == .keyFile && e?.message.contains("chown \(geteuid()) \(path)") == true
        }
    }

    @Test func masterKeyFile_malformed_isRefused() throws {
        let path = "/tmp/lattice-master-\(Random.uint64()).key"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        _ = write(fd, "not hex\n", 8)
        close(fd)
        #expect {
            try MasterKey.load(from: path)
        } throws: { ($0 as? CryptoError)?.message.contains("64 hex digits") == true }
    }
}
