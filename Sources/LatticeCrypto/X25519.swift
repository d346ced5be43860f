import CSodium

/// Curve25519 Diffie-Hellman (RFC 7748 "X25519") through libsodium.
public enum X25519 {
    /// Bytes in a public key, a private key and a shared secret (`DHLEN` in Noise section 12.1).
    public static let keyBytes = 32

    /// `DH(private, public)`: the shared secret, in protected storage.
    ///
    /// Throws `.invalidInput` when `publicKey` is not 32 bytes, and when the result is all
    /// zeros: that happens exactly for low-order points (RFC 7748 section 6.1), which a peer
    /// could send to force a predictable secret. Noise permits signalling this error.
    public static func sharedSecret(
        privateKey: SecretBytes,
        publicKey: [UInt8]
    ) throws(CryptoError) -> SecretBytes {
        Sodium.ensureInitialised()
        guard privateKey.count == keyBytes else {
            throw CryptoError(
                .invalidKeyLength,
                "X25519 private key is \(privateKey.count) bytes, expected \(keyBytes)"
            )
        }
        guard publicKey.count == keyBytes else {
            throw CryptoError(.invalidInput, "X25519 public key is \(publicKey.count) bytes, expected \(keyBytes)")
        }
        var shared = SecretBytes(zeroedCount: keyBytes)
        let rc = shared.withUnsafeMutableBytes { out in
            privateKey.withUnsafeBytes { secret in
                publicKey.withUnsafeBytes { point in
                    crypto_scalarmult(
                        out.bindMemory(to: UInt8.self).baseAddress!,
                        secret.bindMemory(to: UInt8.self).baseAddress!,
                        point.bindMemory(to: UInt8.self).baseAddress!
                    )
                }
            }
        }
        // libsodium returns -1 for an all-zero result; check again so the rule does not
        // depend on the library version.
        let allZero = shared.withUnsafeBytes { sodium_is_zero($0.bindMemory(to: UInt8.self).baseAddress!, keyBytes) }
        guard rc == 0, allZero == 0 else {
            throw CryptoError(
                .invalidInput,
                "X25519 public key is a low-order point (the shared secret is all zeros); the peer's key is invalid"
            )
        }
        return shared
    }

    /// The public key for `privateKey` (`crypto_scalarmult_base`).
    static func publicKey(for privateKey: SecretBytes) -> [UInt8] {
        Sodium.ensureInitialised()
        var publicKey = [UInt8](repeating: 0, count: keyBytes)
        let rc = publicKey.withUnsafeMutableBytes { out in
            privateKey.withUnsafeBytes { secret in
                crypto_scalarmult_base(
                    out.bindMemory(to: UInt8.self).baseAddress!,
                    secret.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        precondition(rc == 0, "crypto_scalarmult_base failed for a 32-byte scalar")
        return publicKey
    }
}

/// A Curve25519 key pair. The private key stays in protected storage.
public struct X25519KeyPair: Sendable {
    /// 32-byte public key; a node's identity when this is its static key.
    public let publicKey: [UInt8]
    /// 32-byte private scalar (clamped by X25519 when used).
    public let privateKey: SecretBytes

    /// A fresh key pair from the operating system's CSPRNG (Noise `GENERATE_KEYPAIR()`).
    public static func generate() -> X25519KeyPair {
        // A random 32-byte string is a valid X25519 private key (RFC 7748 section 5 clamps it).
        try! X25519KeyPair(privateKey: SecretBytes(randomCount: X25519.keyBytes))
    }

    /// The key pair for an existing private key (a key file, a test vector).
    /// Throws `.invalidKeyLength` unless the key is 32 bytes.
    public init(privateKey: SecretBytes) throws(CryptoError) {
        guard privateKey.count == X25519.keyBytes else {
            throw CryptoError(
                .invalidKeyLength,
                "X25519 private key is \(privateKey.count) bytes, expected \(X25519.keyBytes)"
            )
        }
        self.privateKey = privateKey
        self.publicKey = X25519.publicKey(for: privateKey)
    }

    /// `DH(self, publicKey)`; see `X25519.sharedSecret(privateKey:publicKey:)`.
    public func sharedSecret(with publicKey: [UInt8]) throws(CryptoError) -> SecretBytes {
        try X25519.sharedSecret(privateKey: privateKey, publicKey: publicKey)
    }
}
