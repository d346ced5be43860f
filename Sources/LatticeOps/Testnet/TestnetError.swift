/// Why a testnet command failed. The message names the testnet state, node or link and says
/// what to do.
public struct TestnetError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case alreadyRunning = "already_running"
            case notFound = "not_found"
            case invalidState = "invalid_state"
            case unknownNode = "unknown_node"
            case system = "system"
            case startFailed = "start_failed"
            case stopFailed = "stop_failed"
            case proxyUnreachable = "proxy_unreachable"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The state directory has a testnet whose processes still run.
        public static let alreadyRunning = Code(base: .alreadyRunning)
        /// No topology file, or no testnet in the state directory.
        public static let notFound = Code(base: .notFound)
        /// `testnet.json` is unreadable or malformed.
        public static let invalidState = Code(base: .invalidState)
        /// A node or link named on the command line is not in the testnet.
        public static let unknownNode = Code(base: .unknownNode)
        /// A system call failed (the message has `strerror`).
        public static let system = Code(base: .system)
        /// A node or the proxy did not come up.
        public static let startFailed = Code(base: .startFailed)
        /// A process survived SIGKILL.
        public static let stopFailed = Code(base: .stopFailed)
        /// The proxy's control socket did not answer.
        public static let proxyUnreachable = Code(base: .proxyUnreachable)
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

    /// The message (it already names what failed).
    public var description: String { message }
}
