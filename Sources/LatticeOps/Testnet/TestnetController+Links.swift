import Foundation
import NIOCore
import NIOHTTP1

extension TestnetController {
    /// Cuts the link between `a` and `b` in both directions; returns the connections closed.
    public func partition(_ a: String, _ b: String) async throws(TestnetError) -> Int {
        let state = try TestnetState.load(from: directory)
        try checkNodes([a, b], in: state)
        let answer = try await control(state, .POST, "/v1/partition", ["a": .string(a), "b": .string(b)])
        return Int(answer["closed_connections"]?.intValue ?? 0)
    }

    /// Lifts the partition between `a` and `b`, or every partition when both are nil;
    /// returns the pairs healed.
    public func heal(_ a: String?, _ b: String?) async throws(TestnetError) -> [[String]] {
        let state = try TestnetState.load(from: directory)
        var body: JSONValue = [:]
        if let a, let b {
            try checkNodes([a, b], in: state)
            body = ["a": .string(a), "b": .string(b)]
        }
        let answer = try await control(state, .POST, "/v1/heal", body)
        guard case .array(let pairs)? = answer["healed"] else { return [] }
        return pairs.map { pair in
            guard case .array(let names) = pair else { return [] }
            return names.compactMap(\.stringValue)
        }
    }

    /// Stops every node (SIGTERM, then SIGKILL after `nodeStopSecondsMax`) and then the proxy;
    /// with `purge`, removes the state directory. Returns lines to print.
    public func down(purge: Bool) async throws(TestnetError) -> [String] {
        var state = try TestnetState.load(from: directory)
        var lines: [String] = []
        let nodes = state.nodes.compactMap { node in node.process.map { (label: node.name, process: $0) } }
        let nodeReport = await DetachedProcess.stop(nodes, graceSeconds: Self.nodeStopSecondsMax)
        let proxy = state.proxy.map { [(label: "proxy", process: $0)] } ?? []
        let proxyReport = await DetachedProcess.stop(proxy, graceSeconds: Self.proxyStopSecondsMax)
        let killed = nodeReport.killed + proxyReport.killed
        let survivors = nodeReport.survivors + proxyReport.survivors
        if !killed.isEmpty {
            lines.append("did not exit after SIGTERM, killed with SIGKILL: \(killed.joined(separator: ", "))")
        }
        guard survivors.isEmpty else {
            let pids = state.processes.filter { survivors.contains($0.label) }.map {
                "\($0.label) pid \($0.process.pid)"
            }
            throw TestnetError(.stopFailed, "still running after SIGKILL: \(pids.joined(separator: ", "))")
        }
        let stopped = state.processes.map { "\($0.label) (pid \($0.process.pid))" }
        lines.append(stopped.isEmpty ? "nothing was running" : "stopped \(stopped.joined(separator: ", "))")
        for index in state.nodes.indices { state.nodes[index].process = nil }
        state.proxy = nil
        if purge {
            do {
                try FileManager.default.removeItem(atPath: directory)
            } catch {
                throw TestnetError(.system, "cannot remove \(directory): \(error)")
            }
            lines.append("removed \(displayDirectory) (keys, configs, data and logs)")
        } else {
            try state.save()
            lines.append(
                "data, keys and logs kept in \(displayDirectory); `lattice testnet up` reuses them,"
                    + " `lattice testnet down --purge --state \(displayDirectory)` removes them"
            )
        }
        return lines
    }

    private func checkNodes(_ names: [String], in state: TestnetState) throws(TestnetError) {
        for name in names where state.node(name) == nil {
            throw TestnetError(
                .unknownNode,
                "testnet \(state.name) has no node \(name); its nodes are "
                    + state.nodes.map(\.name).joined(separator: ", ")
            )
        }
    }

    /// One request to the proxy's control socket; throws with the proxy's message on an error.
    func control(
        _ state: TestnetState,
        _ method: HTTPMethod,
        _ path: String,
        _ body: JSONValue? = nil
    ) async throws(TestnetError) -> JSONValue {
        let client = AdminClient(socketPath: state.proxyControlSocket, timeout: .seconds(Self.probeTimeoutSeconds))
        let response: AdminClient.Response
        do {
            response = try await client.request(method, path, json: body)
        } catch {
            throw TestnetError(
                .proxyUnreachable,
                "the testnet's proxy does not answer on \(state.proxyControlSocket) (\(error)); is the testnet up?"
                    + " See `lattice testnet status --state \(displayDirectory)`"
            )
        }
        guard response.status == 200, let json = response.json else {
            throw TestnetError(.unknownNode, "the proxy refused: \(response.errorMessage)")
        }
        return json
    }
}
