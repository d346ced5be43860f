import Foundation
import LatticeOps
import Testing

/// A whole three-node testnet with real `lattice node` processes: replication through the
/// proxy, a partition with writes on both sides, heal and convergence, and `down` leaving
/// nothing behind. Written against Protocols/admin-v1.md and the node contract.
@Suite("Three-node testnet", .timeLimit(.minutes(5)))
struct TestnetIntegrationTests {
    /// Replication deadline: the loopback profile syncs in well under a second; a loaded
    /// 2-core machine running debug builds gets a wide margin.
    static let convergeSecondsMax = 60

    @Test(
        "write on n1 reaches n2 and n3; partition n1 n2, write both sides, heal, converge; down stops all"
    )
    func test_threeNode_replicatesPartitionsAndHeals() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let up = try runLattice(["testnet", "up", "three-node", "--state", directory.path])
        #expect(up.status == 0, "up failed: \(up.stderr)")
        var state = try TestnetState.load(from: directory.path)
        defer { _ = try? runLattice(["testnet", "down", "--state", directory.path]) }
        let n1 = AdminClient(socketPath: try #require(state.node("n1")).adminSocket)
        let n2 = AdminClient(socketPath: try #require(state.node("n2")).adminSocket)
        let n3 = AdminClient(socketPath: try #require(state.node("n3")).adminSocket)

        try await put(n1, "k", "one")
        #expect(await arrives(n2, "k", "one"))
        #expect(await arrives(n3, "k", "one"))

        let partition = try runLattice(["testnet", "partition", "n1", "n2", "--state", directory.path])
        #expect(partition.status == 0, "\(partition.stderr)")
        let cut = await eventually(within: Self.convergeSecondsMax) {
            guard case .array(let peers)? = (try? await n1.request(.GET, "/v1/peers"))?.json?["peers"] else {
                return false
            }
            return peers.contains { $0["name"]?.stringValue == "n2" && $0["state"]?.stringValue != "connected" }
        }
        #expect(cut, "n1 still reports n2 connected after the partition")
        try await put(n1, "left", "from-n1")
        try await put(n2, "right", "from-n2")
        // n3 still links both sides, so it relays; the partition must not lose either write.
        let heal = try runLattice(["testnet", "heal", "--state", directory.path])
        #expect(heal.status == 0, "\(heal.stderr)")
        for client in [n1, n2, n3] {
            #expect(await arrives(client, "left", "from-n1"))
            #expect(await arrives(client, "right", "from-n2"))
        }

        let status = try runLattice(["testnet", "status", "--state", directory.path, "--format", "json"])
        #expect(status.status == 0 && status.stdout.contains("\"connected\""), "\(status.stdout)\(status.stderr)")

        state = try TestnetState.load(from: directory.path)
        let processes = state.processes.map(\.process)
        let down = try runLattice(["testnet", "down", "--state", directory.path])
        #expect(down.status == 0, "\(down.stderr)")
        for process in processes { #expect(!DetachedProcess.isAlive(process), "pid \(process.pid) survived down") }
    }

    private func put(_ client: AdminClient, _ key: String, _ value: String) async throws {
        let response = try await client.request(
            .PUT,
            "/v1/kv/default/\(key)",
            json: ["type": "register", "value": .string(value)]
        )
        #expect(response.status == 200, "PUT \(key): \(response.errorMessage)")
    }

    /// Polls `GET /v1/kv/default/KEY` until the register holds `value`.
    private func arrives(_ client: AdminClient, _ key: String, _ value: String) async -> Bool {
        await eventually(within: Self.convergeSecondsMax) {
            guard let response = try? await client.request(.GET, "/v1/kv/default/\(key)"), response.status == 200
            else { return false }
            return response.json?["value"] == .string(value)
        }
    }
}
