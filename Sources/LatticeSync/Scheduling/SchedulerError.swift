/// An error from the sync scheduler: an invalid preset parameter or a limit that was reached.
/// The code is stable; the message names the input and what to do about it.
public struct SchedulerError: Error, Hashable, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidParameter = "invalid_parameter"
            case peerLimit = "peer_limit"
            case tenantLimit = "tenant_limit"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// A preset parameter is out of range or inconsistent with another one.
        public static let invalidParameter = Code(base: .invalidParameter)
        /// Adding the peer would exceed ``SchedulingLimits/peersMax``.
        public static let peerLimit = Code(base: .peerLimit)
        /// A peer's missing-estimate table would exceed ``SchedulingLimits/tenantsPerPeerMax``.
        public static let tenantLimit = Code(base: .tenantLimit)
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Limits on the scheduler's own state. Each bounds memory and the per-tick work.
public enum SchedulingLimits {
    /// Peers one scheduler tracks. Peers are named in config and a node gossips with tens of them;
    /// 1024 leaves room for large testnets while bounding the per-tick sort (O(n log n)) and the
    /// few hundred bytes of state each peer costs.
    public static let peersMax = 1024
    /// Tenants with a missing estimate per peer. The estimates arrive from vector exchanges with the
    /// peer, so the table must be bounded; 4096 tenants is far beyond what one node serves.
    public static let tenantsPerPeerMax = 4096
}
