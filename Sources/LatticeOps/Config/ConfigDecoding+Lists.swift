import Foundation

extension ConfigDecoding {
    static let tenantKeys = ["id"]
    static let peerKeys = ["address", "public_key", "name", "permissions"]
    static let syncKeys = ["durability"]
    /// An X25519 public key, in bytes.
    static let publicKeyBytes = 32

    mutating func decodeTenants(_ root: TableReader) throws(ConfigError) -> [Located<TenantConfig>] {
        let expected = "a string of 1 to \(ConfigLimits.tenantIDBytesMax) characters from a-z 0-9 _ -"
        var tenants: [Located<TenantConfig>] = []
        var seen: [String: String] = [:]
        for tenant in try root.arrayOfTables("tenants", countMax: ConfigLimits.tenantsMax) {
            warnings += tenant.unknownKeyWarnings(known: Self.tenantKeys)
            let id = try tenant.requiredString("id", expected: expected, hint: "add id = \"NAME\"")
            guard Self.isTenantID(id.value) else {
                throw ConfigError(.invalidValue, "\(id.location): expected \(expected), found \(quoted(id.value))")
            }
            if let first = seen[id.value] {
                throw ConfigError(
                    .duplicate,
                    "\(id.location): tenant \(quoted(id.value)) is already listed at \(first); list each tenant once"
                )
            }
            seen[id.value] = source.reference(to: tenant.fieldPath("id"))
            tenants.append(Located(value: TenantConfig(id: id.value), location: id.location))
        }
        return tenants
    }

    static func isTenantID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= ConfigLimits.tenantIDBytesMax
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    mutating func decodePeers(
        _ root: TableReader,
        tenants: [Located<TenantConfig>]
    ) throws(ConfigError) -> [Located<PeerConfig>] {
        let tenantIDs = Set(tenants.map(\.value.id))
        var peers: [Located<PeerConfig>] = []
        var keys: [[UInt8]: String] = [:]
        var addresses: [HostPort: String] = [:]
        for peer in try root.arrayOfTables("peers", countMax: ConfigLimits.peersMax) {
            warnings += peer.unknownKeyWarnings(known: Self.peerKeys)
            let decoded = try decodePeer(peer, tenantIDs: tenantIDs)
            let keyLocation = peer.location("public_key")
            if let first = keys[decoded.publicKey] {
                throw ConfigError(
                    .duplicate,
                    "\(keyLocation): the same public key as \(first); list each peer once and remove this entry"
                )
            }
            if let first = addresses[decoded.address] {
                throw ConfigError(
                    .duplicate,
                    "\(peer.location("address")): the same address as \(first); two peers cannot share an address"
                )
            }
            keys[decoded.publicKey] = source.reference(to: peer.path)
            addresses[decoded.address] = source.reference(to: peer.path)
            peers.append(Located(value: decoded, location: keyLocation))
        }
        return peers
    }

    private mutating func decodePeer(_ peer: TableReader, tenantIDs: Set<String>) throws(ConfigError) -> PeerConfig {
        let addressExpected = "a string \"host:port\" (IPv6 in brackets, port 1-65535)"
        let address = try peer.requiredString("address", expected: addressExpected, hint: "add address = \"HOST:PORT\"")
        guard let hostPort = HostPort(parsing: address.value), hostPort.port > 0 else {
            throw ConfigError(
                .invalidValue,
                "\(address.location): expected \(addressExpected), found \(quoted(address.value))"
            )
        }
        let publicKey = try decodePublicKey(peer)
        var name: String?
        let nameExpected = "a string of at most \(ConfigLimits.peerNameBytesMax) bytes"
        if let located = try peer.string("name", expected: nameExpected) {
            guard located.value.utf8.count <= ConfigLimits.peerNameBytesMax else {
                throw ConfigError(.invalidValue, "\(located.location): expected \(nameExpected), found a longer one")
            }
            name = located.value
        }
        let permissions = try decodePermissions(peer, tenantIDs: tenantIDs)
        return PeerConfig(address: hostPort, publicKey: publicKey, name: name, permissions: permissions)
    }

    private func decodePublicKey(_ peer: TableReader) throws(ConfigError) -> [UInt8] {
        let expected = "a string of \(Self.publicKeyBytes) bytes in base64"
        let key = try peer.requiredString(
            "public_key",
            expected: expected,
            hint: "add public_key = \"BASE64\" (what `lattice id` prints on that peer)"
        )
        guard let data = Data(base64Encoded: key.value) else {
            throw ConfigError(.invalidValue, "\(key.location): expected \(expected), found text that is not base64")
        }
        guard data.count == Self.publicKeyBytes else {
            throw ConfigError(.invalidValue, "\(key.location): expected \(expected), found \(data.count) bytes")
        }
        return Array(data)
    }

    private func decodePermissions(
        _ peer: TableReader,
        tenantIDs: Set<String>
    ) throws(ConfigError) -> [String: PeerPermission] {
        guard let table = try peer.table("permissions") else { return [:] }
        let names = PeerPermission.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
        let expected = "one of \(names)"
        var permissions: [String: PeerPermission] = [:]
        for entry in table.table.entries {
            guard tenantIDs.contains(entry.key) else {
                throw ConfigError(
                    .invalidValue,
                    "\(table.location(entry.key)): no tenant \(quoted(entry.key)) is configured;"
                        + " add [[tenants]] id = \(quoted(entry.key)) or remove this line"
                )
            }
            guard case .string(let text) = entry.value else {
                throw table.wrongType(entry.key, expected: expected, found: entry.value)
            }
            guard let permission = PeerPermission(rawValue: text) else {
                throw ConfigError(
                    .invalidValue,
                    "\(table.location(entry.key)): expected \(expected), found \(quoted(text))"
                )
            }
            permissions[entry.key] = permission
        }
        return permissions
    }

    mutating func decodeSync(_ root: TableReader) throws(ConfigError) -> SyncConfig {
        guard let sync = try root.table("sync") else { return SyncConfig() }
        warnings += sync.unknownKeyWarnings(known: Self.syncKeys)
        let names = Durability.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
        guard let text = try sync.string("durability", expected: "one of \(names)") else { return SyncConfig() }
        guard let durability = Durability(rawValue: text.value) else {
            throw ConfigError(.invalidValue, "\(text.location): expected one of \(names), found \(quoted(text.value))")
        }
        if durability == .relaxed {
            warnings.append(
                ConfigWarning(
                    "\(text.location): WARNING: durability = \"relaxed\" acknowledges writes before they reach"
                        + " the disk; a crash or power loss can lose writes that clients were told succeeded."
                        + " Use \"durable\" unless you have measured that you need this."
                )
            )
        }
        return SyncConfig(durability: durability)
    }

    /// Refuses a config that lists the node's own public key as a peer.
    func checkNotOwnKey(_ peers: [Located<PeerConfig>], ownKey: [UInt8]?, nodeKeyFile: String) throws(ConfigError) {
        guard let ownKey else { return }
        for peer in peers where peer.value.publicKey == ownKey {
            throw ConfigError(
                .ownKeyAsPeer,
                "\(peer.location): this is this node's own public key (from \(nodeKeyFile));"
                    + " a node does not peer with itself: remove this [[peers]] entry"
            )
        }
    }
}
