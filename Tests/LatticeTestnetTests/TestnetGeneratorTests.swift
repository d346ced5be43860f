import Foundation
import LatticeCrypto
import LatticeOps
import Testing

@Suite("Testnet generation")
struct TestnetGeneratorTests {
    @Test(
        "every generated config loads without warnings, peers point at the proxy port of their link",
        arguments: [
            "three-node", "five-node-wan",
        ]
    )
    func test_configs_loadAndPointAtProxy(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (topology, file) = try loadTopology(name)
        let state = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: file,
            directory: directory.path,
            keyMaker: testKeyMaker
        )
        #expect(state.nodes.map(\.name) == topology.nodes)
        #expect(state.links.count == 2 * topology.links.count)
        let ports = state.nodes.map(\.listen.port) + state.links.map(\.listenPort)
        #expect(Set(ports).count == ports.count, "ports must be distinct: \(ports)")
        for node in state.nodes {
            let loaded = try ConfigLoader(environment: [:], workingDirectory: "/").load(file: node.configFile)
            #expect(loaded.warnings.isEmpty, "\(node.configFile): \(loaded.warnings)")
            let config = loaded.config
            #expect(config.network == topology.name)
            #expect(config.listen == node.listen)
            #expect(config.profile == topology.profile)
            #expect(config.tenants.map(\.id) == ["default"])
            #expect(config.adminSocket == node.adminSocket)
            let outgoing = state.links.filter { $0.from == node.name }
            #expect(config.peers.count == outgoing.count)
            for peer in config.peers {
                let link = try #require(outgoing.first { $0.to == peer.name })
                let target = try #require(state.node(link.to))
                #expect(peer.address == HostPort(host: "127.0.0.1", port: link.listenPort))
                #expect(link.target == target.listen)
                #expect(Data(peer.publicKey).base64EncodedString() == target.nodeID)
                #expect(peer.permissions == ["default": .readWrite])
                #expect(link.profile == topology.link(node.name, target.name))
            }
        }
    }

    @Test("key files are mode 0600 and hold the recorded node id; a second generation keeps them")
    func test_keys_privateAndKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (topology, file) = try loadTopology("three-node")
        let first = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: file,
            directory: directory.path,
            keyMaker: testKeyMaker
        )
        for node in first.nodes {
            for key in ["node.key", "master.key"] {
                let path = "\(directory.path)/\(node.name)/\(key)"
                let mode = try #require(
                    try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
                )
                #expect(mode == 0o600, "\(path) has mode \(String(mode, radix: 8))")
            }
            let pair = try X25519KeyPair.load(from: "\(directory.path)/\(node.name)/node.key")
            #expect(Data(pair.publicKey).base64EncodedString() == node.nodeID)
        }
        let second = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: file,
            directory: directory.path,
            keyMaker: testKeyMaker
        )
        #expect(second.nodes.map(\.nodeID) == first.nodes.map(\.nodeID))
    }

    @Test("testnet.json round-trips, processes included")
    func test_state_roundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (topology, file) = try loadTopology("five-node-wan")
        var state = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: file,
            directory: directory.path,
            keyMaker: testKeyMaker
        )
        state.proxy = ProcessRecord(pid: 4242, startTicks: 99)
        state.nodes[1].process = ProcessRecord(pid: 4343, startTicks: 100)
        try state.save()
        #expect(try TestnetState.load(from: directory.path) == state)
    }

    @Test("a state directory too deep for the admin socket path is refused with the path and a fix")
    func test_longState_refused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let deep = directory.path + "/" + String(repeating: "d", count: 90)
        let (topology, file) = try loadTopology("three-node")
        let error = #expect(throws: TestnetError.self) {
            try TestnetGenerator.generate(
                topology: topology,
                topologyFile: file,
                directory: deep,
                keyMaker: testKeyMaker
            )
        }
        #expect(error?.message.contains("choose a shorter --state") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: deep), "nothing is created before the check")
    }
}
