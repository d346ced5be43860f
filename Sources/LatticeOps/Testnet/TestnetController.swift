import Foundation
import NIOCore
import NIOHTTP1

/// Runs the testnet commands against one state directory: `up` starts the proxy and the
/// nodes, `down` stops them, `partition`/`heal` talk to the proxy's control socket and
/// `status` asks every node and the proxy (see `TestnetController+Status`).
public struct TestnetController: Sendable {
    /// The state directory (absolute).
    public var directory: String
    /// The state directory as the user wrote it, for the commands printed to try next.
    public var displayDirectory: String
    /// The `lattice` executable that runs the nodes (`lattice node`) and the proxy
    /// (`lattice testnet proxy`).
    public var executable: String
    /// Where progress lines go.
    public var log: @Sendable (String) -> Void

    /// How long `up` waits for all nodes to answer `GET /livez`. Generous: on a loaded 2-core
    /// machine a debug build opens LMDB and binds in seconds, not milliseconds.
    public static let nodeStartSecondsMax = 60
    /// How long `up` waits for the proxy's control socket.
    public static let proxyStartSecondsMax = 30
    /// How long `down` gives the nodes to drain after SIGTERM before SIGKILL (the node's own
    /// shutdown budget is shorter).
    public static let nodeStopSecondsMax = 20
    /// How long `down` gives the proxy after SIGTERM.
    public static let proxyStopSecondsMax = 5
    /// One admin or control request while probing or reporting.
    public static let probeTimeoutSeconds: Int64 = 2

    /// Makes a controller.
    public init(
        directory: String,
        displayDirectory: String,
        executable: String,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.directory = directory
        self.displayDirectory = displayDirectory
        self.executable = executable
        self.log = log
    }

    /// Generates the state directory, starts the proxy and every node, and waits until each
    /// node answers on its admin socket. On failure, stops what it started and throws with
    /// the failing process's log.
    public func up(
        topology: TestnetTopology,
        topologyFile: String,
        keyMaker: TestnetKeyMaker
    ) async throws(TestnetError) -> TestnetState {
        try refuseIfRunning()
        var state = try TestnetGenerator.generate(
            topology: topology,
            topologyFile: topologyFile,
            directory: directory,
            keyMaker: keyMaker
        )
        try state.save()
        do {
            try await startProxy(&state)
            for index in state.nodes.indices {
                let node = state.nodes[index]
                state.nodes[index].process = try DetachedProcess.spawn(
                    executable: executable,
                    arguments: ["node", "--config", node.configFile],
                    logFile: node.logFile
                )
                try state.save()
            }
            try await waitForNodes(state)
        } catch {
            await abandon(&state)
            throw error
        }
        return state
    }

    private func refuseIfRunning() throws(TestnetError) {
        guard TestnetState.exists(in: directory) else { return }
        let old = try TestnetState.load(from: directory)
        let running = old.processes.filter { DetachedProcess.isAlive($0.process) }
        guard running.isEmpty else {
            let list = running.map { "\($0.label) (pid \($0.process.pid))" }.joined(separator: ", ")
            throw TestnetError(
                .alreadyRunning,
                "\(displayDirectory) already has a running testnet \(old.name): \(list); stop it first with"
                    + " `lattice testnet down --state \(displayDirectory)`, or pass another --state"
            )
        }
    }

    private func startProxy(_ state: inout TestnetState) async throws(TestnetError) {
        state.proxy = try DetachedProcess.spawn(
            executable: executable,
            arguments: ["testnet", "proxy", "--state", directory],
            logFile: state.proxyLogFile
        )
        try state.save()
        let deadline = ContinuousClock.now + .seconds(Self.proxyStartSecondsMax)
        while true {
            if await answers(state.proxyControlSocket, "/livez") { return }
            guard let proxy = state.proxy, DetachedProcess.isAlive(proxy) else {
                throw startFailure("the proxy exited", log: state.proxyLogFile)
            }
            guard ContinuousClock.now < deadline else {
                throw startFailure(
                    "the proxy's control socket \(state.proxyControlSocket) did not answer within"
                        + " \(Self.proxyStartSecondsMax) s",
                    log: state.proxyLogFile
                )
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func waitForNodes(_ state: TestnetState) async throws(TestnetError) {
        let deadline = ContinuousClock.now + .seconds(Self.nodeStartSecondsMax)
        var waiting = state.nodes
        while !waiting.isEmpty {
            var still: [TestnetState.Node] = []
            for node in waiting where !(await answers(node.adminSocket, "/livez")) {
                guard let process = node.process, DetachedProcess.isAlive(process) else {
                    throw startFailure("node \(node.name) exited", log: node.logFile)
                }
                still.append(node)
            }
            waiting = still
            guard let first = waiting.first else { return }
            guard ContinuousClock.now < deadline else {
                throw startFailure(
                    "node \(first.name) did not answer on its admin socket \(first.adminSocket) within"
                        + " \(Self.nodeStartSecondsMax) s",
                    log: first.logFile
                )
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func startFailure(_ what: String, log: String) -> TestnetError {
        TestnetError(
            .startFailed,
            "\(what); its log \(log) ends with:\n\(DetachedProcess.tail(of: log))\n"
                + "Everything this `up` started has been stopped."
        )
    }

    /// Stops whatever `up` started and forgets the pids.
    private func abandon(_ state: inout TestnetState) async {
        let report = await DetachedProcess.stop(state.processes, graceSeconds: Self.proxyStopSecondsMax)
        if !report.survivors.isEmpty { log("warning: still running after SIGKILL: \(report.survivors)") }
        for index in state.nodes.indices { state.nodes[index].process = nil }
        state.proxy = nil
        try? state.save()
    }

    /// Whether `socket` answers `GET path` with 200.
    func answers(_ socket: String, _ path: String) async -> Bool {
        let client = AdminClient(socketPath: socket, timeout: .seconds(Self.probeTimeoutSeconds))
        return (try? await client.request(.GET, path))?.status == 200
    }
}
