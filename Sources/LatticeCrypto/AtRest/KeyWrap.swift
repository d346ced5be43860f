/// Wraps a data key under a key-encryption key with XChaCha20-Poly1305.
///
/// The additional data is `"lattice.keywrap.v1" | context`, so a wrapped key only unwraps in
/// the place (`context`) it was wrapped for: a tenant's wrapped key copied onto another tenant
/// fails to authenticate instead of handing over the wrong key.
public enum KeyWrap {
    static let domain = Array("lattice.keywrap.v1".utf8)

    /// The wrapped form of `key` (`key.count + 40` bytes).
    public static func wrap(_ key: SecretBytes, with kek: SecretBytes, context: [UInt8]) -> [UInt8] {
        XChaCha20Poly1305.seal(key, additionalData: domain + context, key: kek)
    }

    /// The key inside `wrapped`. Throws `CryptoError.authenticationFailed` if `kek` or
    /// `context` differ from the ones used to wrap it.
    public static func unwrap(
        _ wrapped: [UInt8],
        with kek: SecretBytes,
        context: [UInt8]
    ) throws(CryptoError)
        -> SecretBytes
    {
        SecretBytes(try XChaCha20Poly1305.open(wrapped, additionalData: domain + context, key: kek))
    }
}
