import LatticeOps

/// The `lattice.toml` that `lattice init` writes: every setting spelled out with a comment, one
/// tenant `default`, the admin socket inside the node's directory, and a commented-out peer
/// entry showing how to add one.
enum NodeConfigTemplate {
    /// The tenant a new node serves.
    static let tenant = "default"
    /// The data directory, relative to the config file.
    static let dataDirectory = "data"
    /// The admin socket, relative to the config file (inside the node's directory, so two nodes
    /// initialised in two directories never share one).
    static let adminSocket = "admin/lattice.sock"
    /// The key files, relative to the config file.
    static let nodeKeyFile = "node.key"
    static let masterKeyFile = "master.key"

    /// `loopback` for a listen address on the loopback interface, else `lan`.
    static func profile(for listen: HostPort) -> NetworkProfile {
        let host = listen.host.lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.") ? .loopback : .lan
    }

    /// The config text.
    static func render(network: String, listen: HostPort) -> String {
        """
        # Lattice node configuration, written by `lattice init`.
        # Relative paths resolve against this file's directory. Environment variables
        # LATTICE_NETWORK, LATTICE_LISTEN, LATTICE_DATA_DIR, LATTICE_ADMIN_SOCKET and
        # LATTICE_PROFILE override the keys of the same name.

        # Nodes only talk to nodes of the same network: use the same name on every node.
        network = \(tomlString(network))
        # The TCP address peers connect to (HOST:PORT).
        listen = \(tomlString(listen.description))
        # The link preset the sync scheduler starts from: loopback, lan, wan or edge.
        profile = \(tomlString(profile(for: listen).rawValue))
        # The store (LMDB) and its audit log.
        data_dir = \(tomlString(dataDirectory))
        # The admin socket that `lattice get`, `lattice admin peers`, ... talk to.
        admin_socket = \(tomlString(adminSocket))
        # This node's identity (X25519) and the key that encrypts data at rest. Both must
        # stay mode 0600; back them up: without master.key the data cannot be read.
        node_key_file = \(tomlString(nodeKeyFile))
        master_key_file = \(tomlString(masterKeyFile))

        [sync]
        # durable: a write is acknowledged only after it reached the disk.
        durability = "durable"

        [[tenants]]
        id = \(tomlString(tenant))

        # To add a peer, print its public key with `lattice id` on that node, then add
        # one block like this per peer (and add this node to the peer's config likewise):
        #
        # [[peers]]
        # name = "n2"
        # address = "192.0.2.2:7400"
        # public_key = "BASE64 KEY PRINTED BY lattice id"
        # # Per tenant: "read", "write" or "read-write". A tenant not listed is invisible to the peer.
        # permissions = { \(tenant) = "read-write" }

        """
    }

    /// `text` as a TOML basic string: quotes, backslashes and control characters escaped.
    static func tomlString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
