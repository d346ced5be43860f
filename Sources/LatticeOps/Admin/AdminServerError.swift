/// Why the admin server could not start. The message names the path and what to do.
public struct AdminServerError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of start-up failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case unsafeDirectory = "unsafe_directory"
            case socketInUse = "socket_in_use"
            case notASocket = "not_a_socket"
            case pathTooLong = "path_too_long"
            case system = "system"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The socket's directory is reachable by other users, or owned by another user.
        public static let unsafeDirectory = Code(base: .unsafeDirectory)
        /// Another process accepts connections on the socket path.
        public static let socketInUse = Code(base: .socketInUse)
        /// Something that is not a socket exists at the socket path.
        public static let notASocket = Code(base: .notASocket)
        /// The path does not fit in `sockaddr_un`.
        public static let pathTooLong = Code(base: .pathTooLong)
        /// A system call failed (the message has `strerror`).
        public static let system = Code(base: .system)
    }

    /// The stable code.
    public let code: Code
    /// The human-readable message.
    public let message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
