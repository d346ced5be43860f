/// Turns a parsed TOML table plus the environment into a validated `LatticeConfig`.
/// One instance decodes one file; warnings accumulate in `warnings`.
struct ConfigDecoding {
    let source: ConfigSource
    let environment: [String: String]
    /// The config file's directory: relative paths in the file resolve against it.
    let baseDirectory: String
    /// The process's working directory: relative paths from the environment resolve against it.
    let workingDirectory: String
    /// Reads the node's own public key from the node key file, if it exists.
    let ownPublicKey: (@Sendable (_ nodeKeyFile: String) -> [UInt8]?)?
    var warnings: [ConfigWarning] = []

    static let rootKeys = [
        "network", "data_dir", "listen", "admin_socket", "profile", "node_key_file", "master_key_file",
        "tenants", "peers", "sync",
    ]

    mutating func decode(_ table: ConfigTable) throws(ConfigError) -> LatticeConfig {
        let root = TableReader(source: source, path: "", table: table)
        warnings += root.unknownKeyWarnings(known: Self.rootKeys)
        let network = try decodeNetwork(root)
        let listen = try decodeListen(root)
        let profile = try decodeProfile(root)
        let dataDirectory = try path(root, "data_dir", environmentName: "LATTICE_DATA_DIR", default: "data")
        let defaultSocket = PathResolution.join(dataDirectory.value, "admin/lattice.sock")
        let adminSocket = try path(
            root,
            "admin_socket",
            environmentName: "LATTICE_ADMIN_SOCKET",
            default: defaultSocket
        )
        try Self.checkSocketPath(adminSocket)
        let nodeKeyFile = try path(root, "node_key_file", environmentName: nil, default: "node.key")
        let masterKeyFile = try path(root, "master_key_file", environmentName: nil, default: "master.key")
        try KeyFileCheck.check(nodeKeyFile)
        try KeyFileCheck.check(masterKeyFile)
        let tenants = try decodeTenants(root)
        let peers = try decodePeers(root, tenants: tenants)
        try checkNotOwnKey(peers, ownKey: ownPublicKey?(nodeKeyFile.value), nodeKeyFile: nodeKeyFile.value)
        let sync = try decodeSync(root)
        return LatticeConfig(
            network: network,
            dataDirectory: dataDirectory.value,
            listen: listen,
            adminSocket: adminSocket.value,
            profile: profile,
            nodeKeyFile: nodeKeyFile.value,
            masterKeyFile: masterKeyFile.value,
            tenants: tenants.map(\.value),
            peers: peers.map(\.value),
            sync: sync
        )
    }

    /// The file's string at `key`, replaced by the environment variable when that is set.
    func overridable(
        _ root: TableReader,
        _ key: String,
        environmentName: String?,
        expected: String
    ) throws(ConfigError) -> Located<String>? {
        if let environmentName, let value = environment[environmentName] {
            guard !value.isEmpty else {
                throw ConfigError(
                    .invalidValue,
                    "environment \(environmentName): set but empty; unset it or give \(expected)"
                )
            }
            return Located(value: value, location: "environment \(environmentName)", isFromEnvironment: true)
        }
        return try root.string(key, expected: expected)
    }

    private func decodeNetwork(_ root: TableReader) throws(ConfigError) -> String {
        let expected = "a string of 1 to \(ConfigLimits.networkNameBytesMax) characters from a-z A-Z 0-9 . _ -"
        guard let network = try overridable(root, "network", environmentName: "LATTICE_NETWORK", expected: expected)
        else {
            throw ConfigError(
                .missingKey,
                "\(source.name): network: required key is missing; add network = \"NAME\""
                    + " (the same on every node) or set LATTICE_NETWORK"
            )
        }
        let valid =
            network.value.utf8.count <= ConfigLimits.networkNameBytesMax
            && network.value.utf8.allSatisfy { ConfigPath.isBareKeyByte($0) || $0 == UInt8(ascii: ".") }
        guard valid else {
            throw ConfigError(
                .invalidValue,
                "\(network.location): expected \(expected), found \(quoted(network.value))"
            )
        }
        return network.value
    }

    private func decodeListen(_ root: TableReader) throws(ConfigError) -> HostPort {
        let expected = "a string \"host:port\" (IPv6 in brackets, port 0-65535)"
        guard let listen = try overridable(root, "listen", environmentName: "LATTICE_LISTEN", expected: expected) else {
            throw ConfigError(
                .missingKey,
                "\(source.name): listen: required key is missing; add listen = \"0.0.0.0:7400\" or set LATTICE_LISTEN"
            )
        }
        guard let address = HostPort(parsing: listen.value) else {
            throw ConfigError(.invalidValue, "\(listen.location): expected \(expected), found \(quoted(listen.value))")
        }
        return address
    }

    private func decodeProfile(_ root: TableReader) throws(ConfigError) -> NetworkProfile {
        let names = NetworkProfile.allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
        let expected = "one of \(names)"
        guard let profile = try overridable(root, "profile", environmentName: "LATTICE_PROFILE", expected: expected)
        else { return .lan }
        guard let value = NetworkProfile(rawValue: profile.value) else {
            throw ConfigError(
                .invalidValue,
                "\(profile.location): expected \(expected), found \(quoted(profile.value))"
            )
        }
        return value
    }

    /// A path field, made absolute: file values against `baseDirectory`, environment values
    /// against `workingDirectory`, the default against `baseDirectory`.
    private func path(
        _ root: TableReader,
        _ key: String,
        environmentName: String?,
        default defaultValue: String
    ) throws(ConfigError) -> Located<String> {
        let expected = "a path string"
        var located =
            try overridable(root, key, environmentName: environmentName, expected: expected)
            ?? Located(value: defaultValue, location: "\(source.name): \(key) (default \(quoted(defaultValue)))")
        guard !located.value.isEmpty, !located.value.utf8.contains(0) else {
            throw ConfigError(.invalidValue, "\(located.location): expected a non-empty path, found \"\"")
        }
        let base = located.isFromEnvironment ? workingDirectory : baseDirectory
        located.value = PathResolution.absolute(located.value, relativeTo: base)
        return located
    }

    private static func checkSocketPath(_ socket: Located<String>) throws(ConfigError) {
        let length = socket.value.utf8.count
        guard length <= ConfigLimits.unixSocketPathBytesMax else {
            throw ConfigError(
                .invalidValue,
                "\(socket.location): the socket path \(socket.value) is \(length) bytes, but a Unix socket path"
                    + " holds at most \(ConfigLimits.unixSocketPathBytesMax); choose a shorter admin_socket"
            )
        }
    }
}

/// A string in double quotes with `"` and `\` escaped, as messages show found values.
func quoted(_ text: String) -> String {
    var out = "\""
    for character in text.prefix(80) {
        switch character {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.append(character)
        }
    }
    return out + (text.count > 80 ? "...\"" : "\"")
}
