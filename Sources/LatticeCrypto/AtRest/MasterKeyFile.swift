/// A node's master key: 32 random bytes kept in a key file that only its owner may read.
///
/// The file is a ``SecretKeyFile``: 64 lowercase hex digits and a newline, mode 0600 (a key file
/// that group or others can read is refused, with the command that fixes it, because a master
/// key that leaked through a loose mode protects nothing).
///
/// The master key never encrypts data itself; ``subkey(_:)`` derives one key per purpose.
public struct MasterKey: Sendable {
    /// Master key length (32 bytes).
    public static let keyBytes = 32
    let secret: SecretBytes

    /// A master key from raw bytes (tests, and callers that keep the key elsewhere).
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.keyBytes else {
            throw CryptoError(.invalidKeyLength, "master key has \(secret.count) bytes; it must have 32")
        }
        self.secret = secret
    }

    /// A 32-byte key for one purpose, derived from the master key (see ``KeyDerivation``).
    public func subkey(_ label: String) -> SecretBytes {
        KeyDerivation.subkey(of: secret, label: label)
    }

    /// Creates a new random master key at `path` (mode 0600; the file must not exist yet).
    @discardableResult
    public static func generate(at path: String) throws(CryptoError) -> MasterKey {
        let key = try MasterKey(SecretBytes(randomCount: keyBytes))
        try SecretKeyFile.write(key.secret, to: path, what: "master key file")
        return key
    }

    /// Reads the master key at `path`, refusing a file that group or others can access.
    public static func load(from path: String) throws(CryptoError) -> MasterKey {
        try MasterKey(SecretKeyFile.read(from: path, bytes: keyBytes, what: "master key file"))
    }
}
