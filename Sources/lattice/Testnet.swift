import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeOps

/// `lattice testnet`: several nodes on this host, every link through a shaping proxy.
struct Testnet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run several nodes on this host, every link through a userspace shaping proxy.",
        discussion: """
            Topologies live in testnets/ (see testnets/README.md). Each node gets STATE/NAME/ with its
            keys, lattice.toml and data, so every client command works with
            --config STATE/NAME/lattice.toml. Every command takes the same --state (default ./.testnet).
            """,
        subcommands: [
            TestnetUp.self, TestnetStatus.self, TestnetPartition.self, TestnetHeal.self, TestnetDown.self,
            TestnetProxy.self,
        ]
    )
}

/// The `--state` option every testnet command takes.
struct TestnetStateOption: ParsableArguments {
    @Option(name: .customLong("state"), help: "The testnet's state directory.")
    var directory: String = ".testnet"

    /// A controller for the state directory.
    func controller() throws -> TestnetController {
        TestnetController(
            directory: absolutePath(directory),
            displayDirectory: directory,
            executable: try ownExecutable(),
            log: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        )
    }
}

struct TestnetUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Generate keys and configs, start the proxy and the nodes, and wait until every node answers."
    )

    @Argument(help: "A topology file, or the name of one in ./testnets/ (three-node, five-node-wan).")
    var topology: String
    @OptionGroup var state: TestnetStateOption

    func run() async throws {
        let file = try TopologyResolution.resolve(topology)
        let parsed: TestnetTopology
        do {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            parsed = try TopologyLoader().load(contents: text, sourceName: file)
        } catch let error as ConfigError {
            throw TestnetFailure(error.message)
        }
        let controller = try state.controller()
        let started = try await runTestnet {
            try await controller.up(topology: parsed, topologyFile: file, keyMaker: makeKeys)
        }
        print(TestnetReport.started(started, displayDirectory: state.directory, relative: relativePath))
    }
}

struct TestnetStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Every node (process, peers, RTT, lag) and every link (up or partitioned, profile)."
    )

    @Option(help: "table or json.") var format: String = "table"
    @OptionGroup var state: TestnetStateOption

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
    }

    func run() async throws {
        let controller = try state.controller()
        let report = try await runTestnet { try await controller.status() }
        print(
            format == "json" ? report.serialized : TestnetReport.status(report),
            terminator: format == "json" ? "\n" : ""
        )
    }
}

struct TestnetPartition: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition",
        abstract: "Cut the link between two nodes in both directions until `heal`."
    )

    @Argument(help: "One node.") var a: String
    @Argument(help: "The other node.") var b: String
    @OptionGroup var state: TestnetStateOption

    func run() async throws {
        let controller = try state.controller()
        let (a, b) = (self.a, self.b)
        let closed = try await runTestnet { try await controller.partition(a, b) }
        print(
            "partitioned \(a) <-> \(b): closed \(closed) connection(s); new ones are refused until"
                + " `lattice testnet heal \(a) \(b) --state \(state.directory)`"
        )
    }
}

struct TestnetHeal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heal",
        abstract: "Restore the link between two nodes, or every link when no nodes are named."
    )

    @Argument(help: "Two nodes, or none for every link.") var nodes: [String] = []
    @OptionGroup var state: TestnetStateOption

    func validate() throws {
        guard nodes.isEmpty || nodes.count == 2 else {
            throw ValidationError("name two nodes (heal n1 n2) or none (heal every link)")
        }
    }

    func run() async throws {
        let controller = try state.controller()
        let (a, b) = (nodes.first, nodes.last)
        let healed = try await runTestnet { try await controller.heal(a, b) }
        if healed.isEmpty {
            print(nodes.isEmpty ? "no link was partitioned" : "\(nodes[0]) <-> \(nodes[1]) was not partitioned")
        } else {
            print("healed " + healed.map { $0.joined(separator: " <-> ") }.joined(separator: ", "))
        }
    }
}

struct TestnetDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop every node and the proxy (SIGTERM, then SIGKILL for stragglers); keep the data unless --purge."
    )

    @Flag(help: "Also remove the state directory: keys, configs, data and logs.") var purge = false
    @OptionGroup var state: TestnetStateOption

    func run() async throws {
        let controller = try state.controller()
        let purge = self.purge
        for line in try await runTestnet({ try await controller.down(purge: purge) }) { print(line) }
    }
}

struct TestnetProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "The shaping proxy process `testnet up` starts (reads STATE/testnet.json).",
        shouldDisplay: false
    )

    @OptionGroup var state: TestnetStateOption

    func run() async throws {
        let directory = absolutePath(state.directory)
        try await runTestnet { try await ProxyControl.runProcess(stateDirectory: directory) }
    }
}
