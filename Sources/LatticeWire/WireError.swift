/// Why a connection was refused or closed. The code is stable (it names the log line and
/// the counter); the message says what was received and what to do about it.
public struct WireError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable, CaseIterable {
            case messageLength = "message_length"
            case frameTooLarge = "frame_too_large"
            case frameHeader = "frame_header"
            case decompression = "decompression"
            case authentication = "authentication"
            case handshake = "handshake"
            case handshakePayload = "handshake_payload"
            case versionMismatch = "version_mismatch"
            case peerNotAllowed = "peer_not_allowed"
            case handshakeTimeout = "handshake_timeout"
            case truncated = "truncated"
            case state = "state"
            case connection = "connection"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// A length prefix outside the limits of the connection's phase.
        public static let messageLength = Code(base: .messageLength)
        /// A frame whose payload (on the wire or decompressed) exceeds `WireLimits.frameBytesMax`.
        public static let frameTooLarge = Code(base: .frameTooLarge)
        /// A frame header with a reserved type or unknown flags.
        public static let frameHeader = Code(base: .frameHeader)
        /// A compressed payload that did not decompress.
        public static let decompression = Code(base: .decompression)
        /// A transport message that did not authenticate (tampered, replayed, or wrong keys).
        public static let authentication = Code(base: .authentication)
        /// The Noise handshake failed (a wrong network name fails here, as the prologues differ).
        public static let handshake = Code(base: .handshake)
        /// A handshake payload was malformed.
        public static let handshakePayload = Code(base: .handshakePayload)
        /// The peers share no protocol version.
        public static let versionMismatch = Code(base: .versionMismatch)
        /// The peer's static key is not in the allow-list.
        public static let peerNotAllowed = Code(base: .peerNotAllowed)
        /// The handshake did not finish before its deadline.
        public static let handshakeTimeout = Code(base: .handshakeTimeout)
        /// The connection ended in the middle of a handshake or a frame.
        public static let truncated = Code(base: .truncated)
        /// An operation was used in the wrong connection state (a programming error of the caller).
        public static let state = Code(base: .state)

        /// The socket failed (reset, refused, unreachable).
        public static let connection = Code(base: .connection)

        /// Every code, for registering one counter per code.
        public static let all: [Code] = Base.allCases.map { Code(base: $0) }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
