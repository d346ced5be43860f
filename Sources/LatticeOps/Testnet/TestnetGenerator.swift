import Foundation

/// Creates (or loads, when they exist) a node's `node.key` and `master.key`, both mode 0600,
/// and returns the node's 32-byte X25519 public key. The CLI passes one built on
/// LatticeCrypto (`X25519KeyPair.generate(at:)`, `MasterKey.generate(at:)`); LatticeOps does
/// no cryptography itself.
public typealias TestnetKeyMaker = @Sendable (_ nodeKeyFile: String, _ masterKeyFile: String) throws -> [UInt8]

/// Lays out a testnet's state directory: for each node `STATE/NAME/` with its keys (kept when
/// they exist, so a restarted testnet keeps its identities and can read its data),
/// `lattice.toml` and `data/`. Every link goes through the proxy, so every peer address is a
/// proxy port: node A's entry for B points at the port of link A→B.
public enum TestnetGenerator {
    /// The tenant every testnet node serves.
    public static let tenant = "default"

    /// Writes the state directory for `topology` and returns the state (no process started).
    public static func generate(
        topology: TestnetTopology,
        topologyFile: String,
        directory: String,
        keyMaker: TestnetKeyMaker
    ) throws(TestnetError) -> TestnetState {
        // The longest socket paths: each node's default admin socket and the proxy's.
        for name in topology.nodes {
            try checkSocketPath("\(directory)/\(name)/data/admin/lattice.sock", directory: directory)
        }
        try checkSocketPath("\(directory)/proxy/control.sock", directory: directory)
        try makeDirectory(directory)
        var publicKeys: [String: [UInt8]] = [:]
        for name in topology.nodes {
            try makeDirectory("\(directory)/\(name)")
            try makeDirectory("\(directory)/\(name)/data")
            do {
                publicKeys[name] = try keyMaker("\(directory)/\(name)/node.key", "\(directory)/\(name)/master.key")
            } catch {
                throw TestnetError(
                    .system,
                    "cannot create or read the keys of \(name) in \(directory)/\(name): \(error)"
                )
            }
        }
        let ports = try PortAllocator.freePorts(topology.nodes.count + 2 * topology.links.count)
        var listen: [String: HostPort] = [:]
        for (index, name) in topology.nodes.enumerated() {
            listen[name] = HostPort(host: "127.0.0.1", port: ports[index])
        }
        var links: [ProxyLink] = []
        var nextPort = topology.nodes.count
        for link in topology.links {
            let profile = topology.linkProfiles[link.profile] ?? .loopback
            for (from, to) in [(link.a, link.b), (link.b, link.a)] {
                links.append(
                    ProxyLink(
                        from: from,
                        to: to,
                        listenPort: ports[nextPort],
                        target: listen[to]!,
                        profileName: link.profile,
                        profile: profile
                    )
                )
                nextPort += 1
            }
        }
        let nodes = try topology.nodes.map { name throws(TestnetError) in
            try writeNode(
                name,
                topology: topology,
                directory: directory,
                listen: listen[name]!,
                links: links,
                keys: publicKeys
            )
        }
        let state = TestnetState(
            name: topology.name,
            topologyFile: topologyFile,
            directory: directory,
            nodes: nodes,
            links: links,
            proxyControlSocket: "\(directory)/proxy/control.sock",
            proxyLogFile: "\(directory)/proxy.log",
            proxy: nil
        )
        return state
    }

    private static func writeNode(
        _ name: String,
        topology: TestnetTopology,
        directory: String,
        listen: HostPort,
        links: [ProxyLink],
        keys: [String: [UInt8]]
    ) throws(TestnetError) -> TestnetState.Node {
        let peers = links.filter { $0.from == name }.map { link in
            Peer(name: link.to, publicKey: Data(keys[link.to]!).base64EncodedString(), port: link.listenPort)
        }
        let text = config(node: name, network: topology.name, profile: topology.profile, listen: listen, peers: peers)
        let configFile = "\(directory)/\(name)/lattice.toml"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: configFile), options: .atomic)
        } catch {
            throw TestnetError(.system, "cannot write \(configFile): \(error)")
        }
        let loaded: LoadedConfig
        do {
            loaded = try ConfigLoader(environment: [:], workingDirectory: directory).load(file: configFile)
        } catch {
            throw TestnetError(.invalidState, "the generated \(configFile) does not load: \(error.message)")
        }
        try checkSocketPath(loaded.config.adminSocket, directory: directory)
        return TestnetState.Node(
            name: name,
            nodeID: Data(keys[name]!).base64EncodedString(),
            listen: listen,
            configFile: configFile,
            adminSocket: loaded.config.adminSocket,
            logFile: "\(directory)/\(name)/node.log",
            process: nil
        )
    }

    /// A peer entry of a generated config.
    struct Peer {
        var name: String
        var publicKey: String
        var port: Int
    }

    /// The `lattice.toml` of one testnet node.
    static func config(
        node: String,
        network: String,
        profile: NetworkProfile,
        listen: HostPort,
        peers: [Peer]
    ) -> String {
        var lines = [
            "# Node \(node) of testnet \(network), written by `lattice testnet up` (rewritten on every up).",
            "# Peer addresses are the shaping proxy's ports for the link from this node to the peer.",
            "network = \(quoted(network))",
            "listen = \(quoted(listen.description))",
            "data_dir = \"data\"",
            "profile = \(quoted(profile.rawValue))",
            "node_key_file = \"node.key\"",
            "master_key_file = \"master.key\"",
            "",
            "[[tenants]]",
            "id = \(quoted(tenant))",
        ]
        for peer in peers {
            lines += [
                "",
                "[[peers]]",
                "name = \(quoted(peer.name))",
                "public_key = \(quoted(peer.publicKey))",
                "address = \(quoted("127.0.0.1:\(peer.port)"))",
                "permissions = { \(tenant) = \"read-write\" }",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A TOML basic string (JSON's escaping is valid TOML).
    private static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(text, into: &out)
        return out
    }

    private static func checkSocketPath(_ path: String, directory: String) throws(TestnetError) {
        guard path.utf8.count <= ConfigLimits.unixSocketPathBytesMax else {
            throw TestnetError(
                .invalidState,
                "\(path) is \(path.utf8.count) bytes, more than a Unix socket path holds"
                    + " (\(ConfigLimits.unixSocketPathBytesMax)); choose a shorter --state than \(directory)"
            )
        }
    }

    /// Creates `path` with mode 0700 (it holds key files) unless it exists.
    static func makeDirectory(_ path: String) throws(TestnetError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw TestnetError(.system, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}
