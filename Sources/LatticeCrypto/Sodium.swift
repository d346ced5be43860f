import CSodium

/// libsodium must be initialised once per process before any primitive is used.
/// `sodium_init` is thread-safe and idempotent; we call it through a lazy global so
/// every entry point can cheaply require it.
enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Traps if libsodium cannot initialise: no primitive is safe to use then, and
    /// there is nothing a caller could do to recover.
    static func ensureInitialised() {
        precondition(initialised, "libsodium failed to initialise (sodium_init < 0)")
    }
}

/// An error from a cryptographic operation. The code is stable; the message says
/// what failed and, where there is one, what to do about it.
public struct CryptoError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case authenticationFailed = "authentication_failed"
            case invalidKeyLength = "invalid_key_length"
            case invalidInput = "invalid_input"
            case keyFile = "key_file"
            case handshake = "handshake"
            case nonceExhausted = "nonce_exhausted"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// A ciphertext did not authenticate: wrong key, wrong additional data, or tampering.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// A key had the wrong number of bytes.
        public static let invalidKeyLength = Code(base: .invalidKeyLength)
        /// An input was malformed (too short, too long, or a bad public key).
        public static let invalidInput = Code(base: .invalidInput)
        /// A key file could not be read, written, or has unsafe permissions.
        public static let keyFile = Code(base: .keyFile)
        /// A Noise handshake failed.
        public static let handshake = Code(base: .handshake)
        /// A cipher state ran out of nonces; the session must be rekeyed or closed.
        public static let nonceExhausted = Code(base: .nonceExhausted)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
