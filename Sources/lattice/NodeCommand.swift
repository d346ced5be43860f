import ArgumentParser
import Foundation
import LatticeCore
import LatticeCrypto
import LatticeNode
import LatticeOps
import Logging
import ServiceLifecycle

/// `lattice node`: runs a node in the foreground until SIGTERM or SIGINT.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node in the foreground (SIGTERM or Ctrl-C stops it cleanly).",
        discussion: """
            Reads the config (--config, else $LATTICE_CONFIG, else ./lattice.toml), opens the
            encrypted store, listens for peers and serves the admin socket. On SIGTERM it stops
            accepting work, persists what it holds, closes its connections, removes the admin
            socket and exits 0, within \(Int(gracefulShutdownSeconds)) s (then it is cancelled).
            """
    )

    /// How long a graceful shutdown may take before the node's tasks are cancelled.
    static let gracefulShutdownSeconds = 10.0
    /// How long cancelled tasks may take before the process gives up on them.
    static let cancellationSeconds = 5.0

    @Option(name: .long, help: "Config file (default: $LATTICE_CONFIG, else ./lattice.toml).")
    var config: String?

    @Option(name: .long, help: "Log format: logfmt or json.")
    var logFormat: String = "logfmt"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        try await reportingFailures { try await runNode() }
    }

    private func runNode() async throws {
        guard let format = LogFormat(rawValue: logFormat), let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-format must be logfmt or json and --log-level one of trace...critical")
        }
        LatticeLogging.bootstrap(format: format, level: level)
        let logger = Logger(label: "lattice.node")
        let path = ConfigFile.locate(self.config).path
        let config = try ConfigFile.load(self.config, checkOwnKey: true)
        let nodeConfiguration: NodeConfiguration
        do {
            nodeConfiguration = try NodeConfiguration(config: config, logger: logger)
        } catch let error as CryptoError {
            throw CommandFailure(.config, error.message)
        }
        if config.sync.durability == .relaxed {
            logger.warning(
                "durability = \"relaxed\": writes are acknowledged before they reach the disk; a power loss can lose them"
            )
        }
        let metrics = LatticeMetrics(definitions: MetricDefinition.operations + NodeMetrics.definitions)
        _ = metrics.bootstrapProcess()
        let node: LatticeNode
        do {
            node = try await LatticeNode.start(nodeConfiguration)
        } catch {
            throw CommandFailure(.config, "cannot start the node: \(error)")
        }
        let admin = AdminServer(
            configuration: AdminServerConfiguration(socketPath: config.adminSocket),
            router: NodeMetrics.router(NodeAdmin.router(for: node), node: node, metrics: metrics),
            metrics: metrics,
            logger: Logger(label: "lattice.admin"),
            readiness: { AdminReadiness(isReady: true) },
            status: { await node.statusDocument(version: LatticeVersion.string) }
        )
        do {
            try await admin.start()
        } catch {
            await node.shutdown()
            throw CommandFailure(.config, "\(error)")
        }
        printBanner(config: config, configPath: path, node: node)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: NodeService(node: node)), .init(service: admin)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(Self.gracefulShutdownSeconds)
        groupConfiguration.maximumCancellationDuration = .seconds(Self.cancellationSeconds)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }

    private func printBanner(config: LatticeConfig, configPath: String, node: LatticeNode) {
        let address = node.listenAddress
        let lines = [
            "lattice node \(LatticeVersion.string) on network \(config.network)",
            "  node id       \(node.id)",
            "  config        \(configPath)",
            "  data dir      \(config.dataDirectory)",
            "  listening on  \(address.host):\(address.port)",
            "  admin socket  \(config.adminSocket)",
            "  tenants       \(config.tenants.map(\.id).joined(separator: ", "))",
            "  peers         \(config.peers.isEmpty ? "none (add [[peers]] entries to replicate)" : config.peers.map { $0.name ?? "\($0.address)" }.joined(separator: ", "))",
        ]
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }
}

/// Runs the node as a service: returns on graceful shutdown after the node has drained.
struct NodeService: Service {
    let node: LatticeNode

    func run() async throws {
        await withGracefulShutdownHandler {
            await node.waitUntilShutDown()
        } onGracefulShutdown: {
            Task { await node.shutdown() }
        }
        await node.shutdown()
    }
}
