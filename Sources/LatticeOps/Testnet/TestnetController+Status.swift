import NIOCore
import NIOHTTP1

extension TestnetController {
    /// Asks every node (`GET /v1/status`, `GET /v1/peers`) and the proxy (`GET /v1/links`)
    /// and returns one JSON report; unreachable parts carry an `"error"` string instead.
    public func status() async throws(TestnetError) -> JSONValue {
        let state = try TestnetState.load(from: directory)
        var nodes: [JSONValue] = []
        for node in state.nodes {
            nodes.append(await report(node))
        }
        var proxy: [String: JSONValue] = [
            "pid": state.proxy.map { .int(Int64($0.pid)) } ?? .null,
            "alive": .bool(state.proxy.map(DetachedProcess.isAlive) ?? false),
            "control_socket": .string(state.proxyControlSocket),
            "log_file": .string(state.proxyLogFile),
        ]
        do {
            proxy["links"] = try await control(state, .GET, "/v1/links")["links"] ?? []
        } catch {
            proxy["error"] = .string(error.message)
        }
        return [
            "name": .string(state.name),
            "directory": .string(state.directory),
            "nodes": .array(nodes),
            "proxy": .object(proxy),
        ]
    }

    private func report(_ node: TestnetState.Node) async -> JSONValue {
        var fields: [String: JSONValue] = [
            "name": .string(node.name),
            "node_id": .string(node.nodeID),
            "pid": node.process.map { .int(Int64($0.pid)) } ?? .null,
            "alive": .bool(node.process.map(DetachedProcess.isAlive) ?? false),
            "listen": .string(node.listen.description),
            "admin_socket": .string(node.adminSocket),
            "config_file": .string(node.configFile),
            "log_file": .string(node.logFile),
        ]
        guard fields["alive"] == .bool(true) else {
            fields["error"] = .string("not running; its log is \(node.logFile)")
            return .object(fields)
        }
        let client = AdminClient(socketPath: node.adminSocket, timeout: .seconds(Self.probeTimeoutSeconds))
        do {
            let status = try await client.request(.GET, "/v1/status")
            let peers = try await client.request(.GET, "/v1/peers")
            fields["status"] = status.status == 200 ? status.json ?? .null : .null
            fields["peers"] = peers.status == 200 ? peers.json?["peers"] ?? .null : .null
            if status.status != 200 || peers.status != 200 {
                fields["error"] = .string(status.status != 200 ? status.errorMessage : peers.errorMessage)
            }
        } catch {
            fields["error"] = .string("\(error)")
        }
        return .object(fields)
    }
}
