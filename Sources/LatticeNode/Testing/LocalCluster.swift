import Foundation
import LatticeCore
import LatticeCrypto
import LatticeStore
import LatticeSync
import Logging

/// N real nodes in one process, on 127.0.0.1 with ports the kernel picks, each with its own
/// temporary data directory and keys: for tests and benchmarks of replication over real sockets
/// (Lattice's own, and an embedder's).
///
/// Of two nodes the one with the lower key dials, so nodes start in descending key order: when
/// one starts, every node it dials already listens and its port is known. A restarted node takes a
/// fresh port and the running nodes are told (`LatticeNode.setAddress(ofPeer:host:port:)`).
public final class LocalCluster: @unchecked Sendable {
    public struct Member {
        public let name: String
        let key: X25519KeyPair
        let master: MasterKey
        var directory: String
        var port = 0
        var node: LatticeNode?
    }

    public let root: String
    public let tenants: [String]
    /// `grants[a][b]`: what node b may do on node a, per tenant (default: read-write on all).
    let grants: [[[String: Permission]]]
    public private(set) var members: [Member]
    let order: [Int]
    let preset: SchedulePreset

    /// `grants(a, b)`: what node b may do on node a, per tenant (default: read-write on every tenant).
    public init(
        count: Int,
        tenants: [String] = ["default"],
        preset: SchedulePreset = .loopback,
        grants: ((Int, Int) -> [String: Permission])? = nil
    ) throws {
        var template = Array("/tmp/lattice-cluster-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        root = String(cString: made)
        self.tenants = tenants
        self.preset = preset
        members = try (0..<count).map { i in
            Member(
                name: "n\(i + 1)",
                key: X25519KeyPair.generate(),
                master: try MasterKey(SecretBytes(randomCount: 32)),
                directory: "\(String(cString: made))/n\(i + 1)"
            )
        }
        let all = Dictionary(uniqueKeysWithValues: tenants.map { ($0, Permission.readWrite) })
        self.grants = (0..<count).map { a in (0..<count).map { b in grants?(a, b) ?? all } }
        let keys = members.map(\.key.publicKey)
        order = (0..<count).sorted { keys[$1].lexicographicallyPrecedes(keys[$0]) }
    }

    public func node(_ i: Int) -> LatticeNode { members[i].node! }

    /// Node `i`'s data directory and master key (to open its store while it is stopped).
    public func storage(_ i: Int) -> (directory: String, masterKey: MasterKey) {
        (members[i].directory, members[i].master)
    }

    public func startAll() async throws {
        for i in order { try await start(i) }
    }

    public func start(_ i: Int) async throws {
        var logger = Logger(label: "test.\(members[i].name)") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        let peers = members.indices.filter { $0 != i }.map { j in
            NodeConfiguration.Peer(
                name: members[j].name,
                host: "127.0.0.1",
                port: members[j].port,
                publicKey: members[j].key.publicKey,
                permissions: grants[i][j]
            )
        }
        var store = StoreConfiguration()
        store.mapBytesInitial = 8 << 20
        let configuration = NodeConfiguration(
            network: "test",
            name: members[i].name,
            listenPort: 0,
            dataDirectory: members[i].directory,
            nodeKey: members[i].key,
            masterKey: members[i].master,
            tenants: tenants,
            peers: peers,
            preset: preset,
            store: store,
            logger: logger
        )
        let node = try await LatticeNode.start(configuration)
        members[i].node = node
        members[i].port = node.listenAddress.port
        // Peers started earlier learn where this node listens (a restart takes a fresh port:
        // the old one may be taken by then).
        for j in members.indices where j != i {
            members[j].node?.setAddress(ofPeer: node.id, host: "127.0.0.1", port: members[i].port)
        }
    }

    public func stop(_ i: Int) async {
        await members[i].node?.shutdown()
        members[i].node = nil
    }

    /// Stops node `i` and deletes its data directory (a node whose disk was replaced).
    public func wipe(_ i: Int) async throws {
        await stop(i)
        try FileManager.default.removeItem(atPath: members[i].directory)
    }

    public func shutdown() async {
        for i in members.indices { await stop(i) }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Polls `condition` until it holds or `seconds` pass (a deadline, not a sleep to synchronise).
    public func waitUntil(
        _ what: String,
        seconds: Double = 60,
        _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ClusterTimeout(description: "timed out after \(seconds) s waiting until \(what)")
    }

    /// Every running node's value of each of `keys` in `tenant`.
    public func values(_ tenant: String, _ keys: [String], nodes: [Int]? = nil) async throws -> [[CRDTValue?]] {
        var out = [[CRDTValue?]]()
        for i in nodes ?? members.indices.filter({ members[$0].node != nil }) {
            var row = [CRDTValue?]()
            for key in keys { row.append(try await node(i).value(tenant: tenant, key: key)) }
            out.append(row)
        }
        return out
    }
}

public struct ClusterTimeout: Error, CustomStringConvertible {
    public var description: String
}
