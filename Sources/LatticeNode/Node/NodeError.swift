/// Why the node refused a call or could not start. The message names the input and what to do.
public struct NodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// The configuration cannot work (no tenants, a peer listed twice, our own key as a peer).
        public static let configuration = Code(name: "configuration")
        /// The listen address cannot be bound.
        public static let listen = Code(name: "listen")
        /// The tenant is not served by this node.
        public static let unknownTenant = Code(name: "unknown_tenant")
        /// The write does not apply (wrong type for the key, invalid key, limits).
        public static let rejected = Code(name: "rejected")
        /// The node is shutting down.
        public static let shutDown = Code(name: "shut_down")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// `tenant` is not among the tenants this node serves.
    static func unknownTenant(_ tenant: String) -> NodeError {
        NodeError(.unknownTenant, "tenant \(tenant.debugDescription) is not served by this node")
    }
}
