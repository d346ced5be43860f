import LatticeCore

/// A repair message or session step that was refused.
public struct RepairError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let base: Base
        public var description: String { base.rawValue }
        /// The message bytes are not a valid repair message (truncated, bad tag, bounds
        /// out of order, non-canonical).
        public static let malformed = Code(base: .malformed)
        /// A count in the message, or the number of rounds, passed its `RepairLimits` bound.
        public static let limitExceeded = Code(base: .limitExceeded)
        /// The message is well formed but does not fit the session (a need bitmap for a
        /// range we sent no items for, a message after the session finished).
        public static let protocolViolation = Code(base: .protocolViolation)
        /// The local session options are out of range.
        public static let invalidOptions = Code(base: .invalidOptions)
    }

    fileprivate enum Base: String, Hashable, Sendable {
        case malformed = "malformed"
        case limitExceeded = "limit_exceeded"
        case protocolViolation = "protocol_violation"
        case invalidOptions = "invalid_options"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A decoding failure of a repair message, keeping the codec's offset and reason.
    init(decoding error: CodecError) {
        let code: Code = error.code == .limitExceeded ? .limitExceeded : .malformed
        self.init(code, "repair message: \(error.description); the peer sent an invalid message, close the session")
    }

    public var description: String { "\(code): \(message)" }
}
