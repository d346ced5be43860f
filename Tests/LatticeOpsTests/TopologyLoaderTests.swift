import Foundation
import LatticeOps
import Testing

@Suite("Testnet topologies")
struct TopologyLoaderTests {
    static let testnets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("testnets")

    func load(_ text: String) throws(ConfigError) -> TestnetTopology {
        try TopologyLoader().load(contents: text, sourceName: "t.toml")
    }

    @Test func committedTopologies_parse() throws {
        let three = try TopologyLoader().load(
            contents: String(contentsOf: Self.testnets.appendingPathComponent("three-node.toml"), encoding: .utf8),
            sourceName: "three-node.toml"
        )
        #expect(three.nodes == ["n1", "n2", "n3"])
        #expect(three.links.count == 3)
        #expect(three.link("n2", "n1") == .loopback)

        let five = try TopologyLoader().load(
            contents: String(contentsOf: Self.testnets.appendingPathComponent("five-node-wan.toml"), encoding: .utf8),
            sourceName: "five-node-wan.toml"
        )
        #expect(five.nodes.count == 5)
        #expect(five.links.count == 10, "a full mesh of five, with five links overridden")
        #expect(five.profile == .wan)
        #expect(five.link("n1", "n2")?.delayMilliseconds == 1)
        #expect(five.link("n4", "n1")?.bandwidthBitsPerSecond == 1_000_000)
        #expect(five.link("n5", "n3")?.lossPermille == 30)
        #expect(five.link("n3", "n4")?.delayMilliseconds == 40, "pairs not overridden use the mesh default")
    }

    @Test func aLinkToAnUnknownNode_namesTheLineAndTheNode() {
        let e = #expect(throws: ConfigError.self) {
            try load(
                """
                name = "t"
                [[nodes]]
                name = "a"
                [[nodes]]
                name = "b"
                [[links]]
                between = ["a", "zz"]
                profile = "loopback"
                """
            )
        }
        #expect(e?.description.contains("t.toml:7: links[0].between") == true, "\(String(describing: e))")
        #expect(e?.description.contains("\"zz\" is not in [[nodes]]") == true)
    }

    @Test func anUndefinedLinkProfile_listsTheDefinedOnes() {
        let e = #expect(throws: ConfigError.self) {
            try load(
                "name = \"t\"\nmesh = true\ndefault_link = \"fibre\"\n[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"b\"\n"
            )
        }
        #expect(
            e?.description.contains("no link profile \"fibre\"; defined: loopback") == true,
            "\(String(describing: e))"
        )
    }

    @Test func badNumbersAndDuplicates_areRefused() {
        #expect(throws: ConfigError.self) {
            try load("name = \"t\"\n[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"a\"\n")
        }
        #expect(throws: ConfigError.self) {
            try load(
                "name = \"t\"\n[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"b\"\n[link_profiles.x]\nloss_percent = 140\n"
            )
        }
        #expect(throws: ConfigError.self) {
            try load(
                "name = \"t\"\n[[nodes]]\nname = \"a\"\n[[nodes]]\nname = \"b\"\n[link_profiles.x]\ndelay_ms = \"slow\"\n"
            )
        }
        #expect(throws: ConfigError.self) { try load("name = \"t\"\n[[nodes]]\nname = \"a\"\n") }
    }
}
