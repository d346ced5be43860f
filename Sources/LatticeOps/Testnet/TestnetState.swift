import Foundation

/// What `lattice testnet up` started, kept in `STATE/testnet.json` so the other testnet
/// commands find the nodes, the proxy and the links. Paths are absolute.
public struct TestnetState: Sendable, Hashable {
    /// One node of the testnet.
    public struct Node: Sendable, Hashable {
        /// The node's name in the topology (`n1`).
        public var name: String
        /// Base64 of the node's X25519 public key (what `lattice id` prints).
        public var nodeID: String
        /// The address the node listens on.
        public var listen: HostPort
        /// `STATE/NAME/lattice.toml`.
        public var configFile: String
        /// The node's admin socket.
        public var adminSocket: String
        /// `STATE/NAME/node.log`: the node's stdout and stderr.
        public var logFile: String
        /// The running process, nil when stopped.
        public var process: ProcessRecord?
    }

    /// The name of the state file inside the state directory.
    public static let fileName = "testnet.json"
    /// `testnet.json` is small (64 nodes, 4,032 links is under 1 MiB); anything larger is
    /// not ours.
    public static let fileBytesMax = 4 << 20

    /// The testnet's name (also every node's `network`).
    public var name: String
    /// The topology file it was made from.
    public var topologyFile: String
    /// The state directory.
    public var directory: String
    /// The nodes, in topology order.
    public var nodes: [Node]
    /// The proxy's directed links, two per topology link.
    public var links: [ProxyLink]
    /// The proxy's control socket.
    public var proxyControlSocket: String
    /// The proxy's stdout and stderr.
    public var proxyLogFile: String
    /// The running proxy, nil when stopped.
    public var proxy: ProcessRecord?

    /// The node called `name`.
    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    /// Every recorded process with a label (`n1`, `proxy`), nodes first.
    public var processes: [(label: String, process: ProcessRecord)] {
        var all = nodes.compactMap { node in node.process.map { (node.name, $0) } }
        if let proxy { all.append(("proxy", proxy)) }
        return all
    }
}

/// A process the testnet started: its pid and its start time in clock ticks since boot
/// (`/proc/PID/stat` field 22), so a recycled pid is never mistaken for ours.
public struct ProcessRecord: Sendable, Hashable {
    /// The process id.
    public var pid: Int32
    /// The process's start time, in clock ticks since boot.
    public var startTicks: UInt64

    /// Makes a record.
    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }
}

extension TestnetState {
    /// `STATE/testnet.json` for a state directory.
    public static func file(in directory: String) -> String { "\(directory)/\(fileName)" }

    /// Whether `directory` holds a testnet state file.
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: file(in: directory))
    }

    /// Reads `STATE/testnet.json`.
    public static func load(from directory: String) throws(TestnetError) -> TestnetState {
        let path = file(in: directory)
        // Sized before it is read, so a stray large file is refused without loading it.
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= fileBytesMax else {
            throw TestnetError(
                .invalidState,
                "\(path) is over \(fileBytesMax) bytes: not a testnet state file written by `lattice testnet up`;"
                    + " stop what it started by hand, remove \(directory) and run `lattice testnet up` again"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TestnetError(
                .notFound,
                "no testnet in \(directory) (\(path) is missing); start one with `lattice testnet up TOPOLOGY"
                    + " --state \(directory)`"
            )
        }
        guard data.count <= fileBytesMax, let json = try? JSONValue.parse(Array(data)),
            let state = TestnetState(json: json)
        else {
            throw TestnetError(
                .invalidState,
                "\(path) is not a testnet state file written by `lattice testnet up`; stop what it started by"
                    + " hand, remove \(directory) and run `lattice testnet up` again"
            )
        }
        return state
    }

    /// Writes `STATE/testnet.json` atomically (a temporary file renamed over it).
    public func save() throws(TestnetError) {
        let path = Self.file(in: directory)
        do {
            try Data((json.serialized + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TestnetError(.system, "cannot write \(path): \(error); check the state directory's permissions")
        }
    }
}
