import Foundation
import LatticeCore
import LatticeCrypto
import LatticeNode
import LatticeOps
import Logging
import NIOHTTP1
import Testing

/// The node's admin endpoints over a real Unix socket, with the production `AdminClient`.
@Suite("Node admin endpoints", .serialized)
struct NodeAdminTests {
    /// One node with one peer (never started) and its admin server.
    struct Fixture {
        let cluster: LocalCluster
        let server: AdminServer
        let client: AdminClient

        static func make() async throws -> Fixture {
            let cluster = try LocalCluster(count: 2)
            try await cluster.start(0)
            let node = cluster.node(0)
            let metrics = LatticeMetrics(definitions: MetricDefinition.operations + NodeMetrics.definitions)
            let socket = "\(cluster.root)/admin/lattice.sock"
            try FileManager.default.createDirectory(
                atPath: "\(cluster.root)/admin",
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let server = AdminServer(
                configuration: AdminServerConfiguration(socketPath: socket),
                router: NodeMetrics.router(NodeAdmin.router(for: node), node: node, metrics: metrics),
                metrics: metrics,
                logger: Logger(label: "test.admin") { _ in SwiftLogNoOpLogHandler() },
                readiness: { AdminReadiness(isReady: true) },
                status: { await node.statusDocument(version: "test") }
            )
            try await server.start()
            Task { try? await server.run() }
            return Fixture(cluster: cluster, server: server, client: AdminClient(socketPath: socket))
        }

        func close() async {
            await server.shutdown()
            await cluster.shutdown()
        }
    }

    @Test("PUT, GET, ops, DELETE and listings follow admin-v1")
    func keyValueEndpoints() async throws {
        let f = try await Fixture.make()
        let c = f.client
        var r = try await c.request(.PUT, "/v1/kv/default/greeting", json: ["type": "register", "value": "hello"])
        #expect(r.status == 200)
        #expect(r.json?["value"] == "hello")
        r = try await c.request(.GET, "/v1/kv/default/greeting")
        #expect(r.json?["type"] == "register" && r.json?["value"] == "hello")
        r = try await c.request(.POST, "/v1/kv/default/hits/ops", json: ["op": "incr", "by": 5])
        #expect(r.json?["value"] == 5)
        r = try await c.request(.POST, "/v1/kv/default/hits/ops", json: ["op": "incr", "by": -2])
        #expect(r.json?["value"] == 3)
        r = try await c.request(.POST, "/v1/kv/default/tags/ops", json: ["op": "add", "member": "b"])
        r = try await c.request(.POST, "/v1/kv/default/tags/ops", json: ["op": "add", "member": "a"])
        #expect(r.json?["value"] == ["members": ["a", "b"]])
        r = try await c.request(.POST, "/v1/kv/default/hits/ops", json: ["op": "add", "member": "x"])
        #expect(r.status == 409 && r.json?["error"]?["code"] == "type_mismatch")
        r = try await c.request(.POST, "/v1/kv/default/hits/ops", json: ["op": "explode"])
        #expect(r.status == 400)
        r = try await c.request(.GET, "/v1/kv/nope/k")
        #expect(r.status == 404 && r.json?["error"]?["code"] == "tenant_not_found")
        r = try await c.request(.GET, "/v1/kv/default?limit=2")
        #expect(r.json?["keys"] == [["key": "greeting", "type": "register"], ["key": "hits", "type": "counter"]])
        #expect(r.json?["next"] == "hits")
        r = try await c.request(.GET, "/v1/kv/default?after=hits")
        #expect(r.json?["keys"] == [["key": "tags", "type": "set"]] && r.json?["next"] == nil)
        r = try await c.request(.DELETE, "/v1/kv/default/greeting")
        #expect(r.status == 200)
        r = try await c.request(.GET, "/v1/kv/default/greeting")
        #expect(r.status == 404 && r.json?["error"]?["code"] == "key_not_found")
        r = try await c.request(.DELETE, "/v1/kv/default/greeting")
        #expect(r.status == 404)
        await f.close()
    }

    @Test("status, peers, tenants and metrics describe the node")
    func inspectionEndpoints() async throws {
        let f = try await Fixture.make()
        let node = f.cluster.node(0)
        var r = try await f.client.request(.GET, "/v1/status")
        #expect(r.json?["node_id"]?.stringValue == node.id)
        #expect(r.json?["listen_address"]?.stringValue == "127.0.0.1:\(node.listenAddress.port)")
        r = try await f.client.request(.GET, "/v1/peers")
        guard case .array(let peers)? = r.json?["peers"] else {
            Issue.record("no peers array in \(r.text)")
            return
        }
        #expect(peers.count == 1)
        #expect(peers.first?["name"] == "n2")
        #expect(peers.first?["state"]?.stringValue != "connected", "the peer was never started")
        #expect(peers.first?["reason"]?.stringValue?.isEmpty == false)
        r = try await f.client.request(.GET, "/v1/tenants")
        #expect(
            r.json?["tenants"] == [
                [
                    "id": "default", "keys": 0, "tombstones": 0, "complete": [:], "peers": ["read": 1, "write": 1],
                ]
            ]
        )
        r = try await f.client.request(.POST, "/v1/sync", json: ["peer": "nobody"])
        #expect(r.status == 404)
        r = try await f.client.request(.GET, "/metrics")
        #expect(r.status == 200)
        #expect(r.text.contains("# TYPE lattice_sync_rounds_completed_total counter"))
        #expect(r.text.contains("lattice_peers_connected 0"))
        await f.close()
    }
}
