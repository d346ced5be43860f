import Testing

@testable import LatticeCrypto

/// Known-answer tests for the primitives under Noise. Expected values come from the RFCs
/// named, or (where no RFC vector exists) from Python 3.11's `hmac` + `hashlib.blake2b`,
/// an implementation independent of libsodium.
@Suite struct PrimitiveTests {
    // MARK: X25519

    /// RFC 7748 section 6.1.
    @Test func x25519_matchesRFC7748Section6_1() throws {
        let alice = try keyPair(hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = try keyPair(hex: "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        #expect(hex(alice.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(hex(bob.publicKey) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(hex(try alice.sharedSecret(with: bob.publicKey).unprotectedCopy()) == shared)
        #expect(hex(try bob.sharedSecret(with: alice.publicKey).unprotectedCopy()) == shared)
    }

    /// Points of small order give an all-zero secret (RFC 7748 section 6.1); they are refused.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ])
    func x25519_rejectsLowOrderPoints(point: String) {
        let pair = X25519KeyPair.generate()
        #expect(throws: CryptoError.self) { try pair.sharedSecret(with: bytes(hex: point)) }
        do {
            _ = try pair.sharedSecret(with: bytes(hex: point))
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("low-order"))
        }
    }

    @Test func x25519_rejectsWrongLengths() {
        #expect(throws: CryptoError.self) { try X25519KeyPair(privateKey: SecretBytes(randomCount: 31)) }
        let pair = X25519KeyPair.generate()
        #expect(throws: CryptoError.self) { try pair.sharedSecret(with: [UInt8](repeating: 9, count: 33)) }
    }

    @Test func x25519_generatedPairsAgree() throws {
        let a = X25519KeyPair.generate()
        let b = X25519KeyPair.generate()
        #expect(a.publicKey != b.publicKey)
        let ab = try a.sharedSecret(with: b.publicKey)
        #expect(ab.constantTimeEquals(try b.sharedSecret(with: a.publicKey)))
    }

    // MARK: ChaCha20-Poly1305

    /// RFC 8439 section 2.8.2 (the nonce there is not Noise-shaped, so this uses the raw AEAD).
    @Test func chaChaPoly_matchesRFC8439Section2_8_2() throws {
        let key = SecretBytes(Array(0x80...0x9f))
        let nonce = bytes(hex: "070000004041424344454647")
        let ad = bytes(hex: "50515253c0c1c2c3c4c5c6c7")
        let text = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8
        )
        let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, ad: ad, plaintext: text)
        #expect(hex(Array(sealed.suffix(16))) == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(hex(Array(sealed.prefix(16))) == "d31a8d34648e60db7b86afbc53ef7ec2")
        #expect(try ChaChaPoly.open(key: key, nonce: nonce, ad: ad, ciphertext: sealed) == text)
    }

    /// Noise section 12.3: 32 zero bits, then the counter little-endian. Expected value from
    /// Python `cryptography` (OpenSSL) with nonce 00000000 0807060504030201.
    @Test func chaChaPoly_usesNoiseNonceEncoding() throws {
        let key = SecretBytes(Array(0x80...0x9f))
        #expect(ChaChaPoly.noiseNonce(0x0102_0304_0506_0708) == bytes(hex: "000000000807060504030201"))
        let sealed = try ChaChaPoly.encrypt(
            key: key,
            nonce: 0x0102_0304_0506_0708,
            ad: Array("ad".utf8),
            plaintext: Array("hello".utf8)
        )
        #expect(hex(sealed) == "9cd482d73f66b9aee8b1c75f13eaba65dc338f93e9")
    }

    @Test func chaChaPoly_rejectsTamperingAndShortInput() throws {
        let key = SecretBytes(randomCount: 32)
        var sealed = try ChaChaPoly.encrypt(key: key, nonce: 7, ad: [1], plaintext: [1, 2, 3])
        #expect(throws: CryptoError.self) { try ChaChaPoly.decrypt(key: key, nonce: 8, ad: [1], ciphertext: sealed) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.decrypt(key: key, nonce: 7, ad: [2], ciphertext: sealed) }
        sealed[0] ^= 1
        #expect(throws: CryptoError.self) { try ChaChaPoly.decrypt(key: key, nonce: 7, ad: [1], ciphertext: sealed) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.decrypt(key: key, nonce: 7, ad: [1], ciphertext: [1, 2]) }
        #expect(throws: CryptoError.self) {
            try ChaChaPoly.encrypt(key: SecretBytes(randomCount: 16), nonce: 0, ad: [], plaintext: [])
        }
    }

    /// `REKEY(k)` = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zeros); Python `cryptography`.
    @Test func chaChaPoly_rekeyMatchesNoiseDefinition() {
        let key = SecretBytes(Array(0x80...0x9f))
        #expect(
            hex(ChaChaPoly.rekeyed(key).unprotectedCopy())
                == "36e46008eb0307440e53380252ff08acee37f755a497ac7c35edb27a75e784de"
        )
    }

    // MARK: HMAC-BLAKE2b and HKDF

    @Test func hmacBLAKE2b_matchesPythonHmac() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        let key64 = HMACBLAKE2b.authenticate(key: Array(0..<64) as [UInt8], data: data)
        #expect(
            hex(key64.unprotectedCopy()) == """
                04ee7426defe6a0b873ebc0a47f31391324e13534aaea631564fcac3659e94fe\
                6bd07501e39038dfa63d0140c6b03c2cb1bf715764bc9807894474141d58f81e
                """
        )
        // A key longer than the 128-byte block is hashed first (RFC 2104 section 2).
        let key200 = HMACBLAKE2b.authenticate(key: Array(0..<200) as [UInt8], data: data)
        #expect(
            hex(key200.unprotectedCopy()) == """
                7b6d593626fdbf17325c34e2e415d85c4fe0bfa9264d3e6037b146acdd2544b0\
                bec787e5a214533833c0e0f8386f6f3a46a1566cac5917652e8a0ad0b1bd8e99
                """
        )
        let empty = HMACBLAKE2b.authenticate(key: [UInt8](), data: [UInt8]())
        #expect(
            hex(empty.unprotectedCopy()) == """
                198cd2006f66ff83fbbd913f78aca2251caf4f19fe9475aade8cf2091b99a684\
                66775177424f58286886cbae8229644cec747237d4b721735485e17372fdf59c
                """
        )
    }

    @Test func noiseHKDF_matchesSection4_3() {
        let chainingKey = SecretBytes([UInt8](repeating: 0x11, count: 64))
        let (one, two, three) = NoiseHKDF.deriveThree(
            chainingKey: chainingKey,
            inputKeyMaterial: [UInt8](repeating: 0x22, count: 32)
        )
        #expect(
            hex(one.unprotectedCopy()) == """
                f40cb5e07d2427ba7f73913ac1fda74f774012188c442e04d7b6738430612e57\
                3151cce099cd56d36e167cfa2761a052518e82dd02e45be173470479d72f544c
                """
        )
        #expect(
            hex(two.unprotectedCopy()) == """
                acdbfbc9fca30a9a12e37d7c6dc98d203af3dadc116d8aec4d51491ffe8c370e\
                d6593becd2f5bbf31ca7b8983fdf4cb3031a9d331a038a007de628a416c55915
                """
        )
        #expect(
            hex(three.unprotectedCopy()) == """
                54b0eb2eb9af4a8e98b77ad6428586833bfc156c84d4480cd7fafc47231f7ff2\
                7546fec2ec4e5b4041ae9e431bab416dade6c147b597cae32ccf06f15b65173f
                """
        )
        let (twoOne, twoTwo) = NoiseHKDF.deriveTwo(
            chainingKey: chainingKey,
            inputKeyMaterial: [UInt8](repeating: 0x22, count: 32)
        )
        #expect(twoOne.constantTimeEquals(one))
        #expect(twoTwo.constantTimeEquals(two))
        let (emptyOne, _) = NoiseHKDF.deriveTwo(chainingKey: chainingKey, inputKeyMaterial: [UInt8]())
        #expect(
            hex(emptyOne.unprotectedCopy()) == """
                b58a83a7e2104cdf50baaf9c50b340f5918965ad48f8918d0229875fde74555e\
                24f9a36732b2a07623dffab60751ad2b834689b3165498cef84c83dac40c0d4f
                """
        )
    }
}
