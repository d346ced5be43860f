/// What a peer may do with one tenant.
public struct Permission: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The peer may receive the tenant's vectors, data, counts and errors.
    public static let read = Permission(rawValue: 1)
    /// The peer's writes to the tenant are accepted.
    public static let write = Permission(rawValue: 2)
    public static let readWrite: Permission = [.read, .write]

    public var description: String {
        switch (contains(.read), contains(.write)) {
        case (true, true): "read-write"
        case (true, false): "read"
        case (false, true): "write"
        case (false, false): "none"
        }
    }
}

/// A configured peer, as the engine sees it.
public struct PeerPolicy: Hashable, Sendable {
    /// A stable name for the peer (its public key in hex, in a node).
    public let id: String
    /// Per tenant; tenants absent here are neither readable nor writable by the peer.
    public let permissions: [String: Permission]

    public init(id: String, permissions: [String: Permission]) {
        self.id = id
        self.permissions = permissions
    }

    public func may(_ p: Permission, _ tenant: String) -> Bool {
        permissions[tenant]?.isSuperset(of: p) ?? false
    }
}
