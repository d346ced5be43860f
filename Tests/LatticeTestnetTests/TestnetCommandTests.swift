import Foundation
import LatticeOps
import Testing

/// `lattice testnet` driven as a user would, with the real binary.
@Suite("lattice testnet commands", .timeLimit(.minutes(3)))
struct TestnetCommandTests {
    @Test("the proxy process serves partition, heal and status; up refuses a running testnet; down stops it")
    func test_proxyCommands_andDown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (topology, file) = try loadTopology("three-node")
        var state = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: file,
            directory: directory.path,
            keyMaker: testKeyMaker
        )
        try state.save()
        let proxy = try DetachedProcess.spawn(
            executable: try latticeExecutable(),
            arguments: ["testnet", "proxy", "--state", directory.path],
            logFile: state.proxyLogFile
        )
        state.proxy = proxy
        try state.save()
        let control = AdminClient(socketPath: state.proxyControlSocket, timeout: .seconds(2))
        let up = await eventually(within: 60) { (try? await control.request(.GET, "/livez"))?.status == 200 }
        #expect(up, "the proxy did not answer; its log: \(DetachedProcess.tail(of: state.proxyLogFile))")

        let partition = try runLattice(["testnet", "partition", "n1", "n2", "--state", directory.path])
        #expect(partition.status == 0, "\(partition.stderr)")
        #expect(partition.stdout.contains("partitioned n1 <-> n2"))

        let status = try runLattice(["testnet", "status", "--state", directory.path, "--format", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try JSONValue.parse(Array(status.stdout.utf8))
        guard case .array(let links)? = report["proxy"]?["links"] else {
            Issue.record("no links in \(status.stdout)")
            return
        }
        let states = Dictionary(
            uniqueKeysWithValues: links.map {
                ("\($0["from"]?.stringValue ?? "")->\($0["to"]?.stringValue ?? "")", $0["state"]?.stringValue ?? "")
            }
        )
        #expect(states["n1->n2"] == "partitioned" && states["n2->n1"] == "partitioned")
        #expect(states["n1->n3"] == "up" && states["n3->n2"] == "up")

        let heal = try runLattice(["testnet", "heal", "--state", directory.path])
        #expect(heal.stdout.contains("healed n1 <-> n2"), "\(heal.stdout)\(heal.stderr)")

        let unknown = try runLattice(["testnet", "partition", "n1", "n9", "--state", directory.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("no node n9"), "\(unknown.stderr)")

        let again = try runLattice(["testnet", "up", "three-node", "--state", directory.path])
        #expect(again.status != 0 && again.stderr.contains("already has a running testnet"), "\(again.stderr)")

        let down = try runLattice(["testnet", "down", "--state", directory.path])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("stopped proxy (pid \(proxy.pid))"), "\(down.stdout)")
        #expect(!DetachedProcess.isAlive(proxy))
        #expect(!FileManager.default.fileExists(atPath: state.proxyControlSocket))
        #expect(try TestnetState.load(from: directory.path).proxy == nil)
    }

    @Test("an unknown topology name lists the ones in testnets/")
    func test_unknownTopology_listsAvailable() throws {
        let result = try runLattice(["testnet", "up", "no-such-net", "--state", "/tmp/lattice-tn-unused"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("three-node") && result.stderr.contains("five-node-wan"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lattice-tn-unused"))
    }
}
