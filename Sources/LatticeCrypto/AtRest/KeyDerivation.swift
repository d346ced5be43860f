/// Derives independent subkeys from one root key, so each purpose (wrapping, name hashing,
/// sealing) has its own key and a leak of one subkey reveals nothing about the others.
///
/// The construction is keyed BLAKE2b used as a PRF (RFC 7693 section 2.9 keyed hashing):
/// `subkey = BLAKE2b-256(key: root, message: "lattice." + label)`.
public enum KeyDerivation {
    /// A 32-byte subkey of `root` (16...64 bytes) for the purpose named by `label`.
    public static func subkey(of root: SecretBytes, label: String) -> SecretBytes {
        SecretBytes(BLAKE2b.hash(Array(("lattice." + label).utf8), outputCount: 32, key: root))
    }
}
