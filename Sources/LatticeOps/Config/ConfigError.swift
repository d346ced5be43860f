/// A configuration problem that stops the node from starting. The code is stable and
/// machine-readable; the message names the file, line and field (or the environment
/// variable) and says what to change, for example
/// `lattice.toml:12: peers[1].public_key: expected a string of 32 bytes in base64, found an integer`.
public struct ConfigError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of configuration problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case unreadable = "unreadable"
            case syntax = "syntax"
            case wrongType = "wrong_type"
            case missingKey = "missing_key"
            case invalidValue = "invalid_value"
            case duplicate = "duplicate"
            case ownKeyAsPeer = "own_key_as_peer"
            case unsafeKeyFile = "unsafe_key_file"
            case tooLarge = "too_large"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The file could not be read, or is not UTF-8.
        public static let unreadable = Code(base: .unreadable)
        /// The text is not valid TOML.
        public static let syntax = Code(base: .syntax)
        /// A field holds a value of the wrong TOML type.
        public static let wrongType = Code(base: .wrongType)
        /// A required field is absent.
        public static let missingKey = Code(base: .missingKey)
        /// A field has the right type but a value Lattice cannot use.
        public static let invalidValue = Code(base: .invalidValue)
        /// A peer, tenant or address is listed twice.
        public static let duplicate = Code(base: .duplicate)
        /// The node's own public key is listed as a peer.
        public static let ownKeyAsPeer = Code(base: .ownKeyAsPeer)
        /// A key file is readable or writable by other users, or is not a regular file.
        public static let unsafeKeyFile = Code(base: .unsafeKeyFile)
        /// The file, or a list in it, is larger than its named limit in `ConfigLimits`.
        public static let tooLarge = Code(base: .tooLarge)
    }

    /// The stable code of this error.
    public let code: Code
    /// The whole human-readable message, starting with where the problem is.
    public let message: String

    /// Makes an error from a code and a complete message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message alone: it already starts with the file, line and field.
    public var description: String { message }
}

/// Something in the configuration that does not stop the node but deserves attention:
/// an unknown key (probably a typo) or a setting that weakens a guarantee.
public struct ConfigWarning: Hashable, CustomStringConvertible, Sendable {
    /// The whole human-readable message, starting with where the setting is.
    public let message: String

    /// Makes a warning from its complete message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
