import Foundation

/// Text tables for the testnet commands.
public enum TestnetReport {
    /// The table `lattice testnet up` prints, and the commands to try next.
    public static func started(_ state: TestnetState, displayDirectory: String, relative: (String) -> String) -> String
    {
        let rows = state.nodes.map { node in
            [
                node.name, node.process.map { "\($0.pid)" } ?? "-", node.listen.description,
                relative(node.adminSocket), relative(node.configFile),
            ]
        }
        let shaped = state.links.filter { $0.profileName != "loopback" }.count
        let first = state.nodes[0].name
        let second = state.nodes[1].name
        func config(_ name: String) -> String { relative(state.node(name)!.configFile) }
        return """
            testnet \(state.name) is up: \(state.nodes.count) nodes, \(state.links.count) directed links through \
            the proxy (\(shaped) shaped), state in \(displayDirectory)

            \(table(["NODE", "PID", "LISTEN", "ADMIN SOCKET", "CONFIG"], rows))
            proxy pid \(state.proxy.map { "\($0.pid)" } ?? "-"), control socket \(relative(state.proxyControlSocket)), \
            log \(relative(state.proxyLogFile)); node logs are STATE/NAME/node.log

            Try next:
              lattice put default greeting hello --config \(config(first))
              lattice get default greeting --config \(config(second))
              lattice admin peers --config \(config(first))
              lattice testnet status --state \(displayDirectory)
              lattice testnet partition \(first) \(second) --state \(displayDirectory)
              lattice testnet heal --state \(displayDirectory)
              lattice testnet down --state \(displayDirectory)
            """
    }

    /// `lattice testnet status` as tables: nodes, each node's peers, links.
    public static func status(_ report: JSONValue) -> String {
        var out = "testnet \(report["name"]?.stringValue ?? "?") (\(report["directory"]?.stringValue ?? "?"))\n\n"
        guard case .array(let nodes)? = report["nodes"] else { return out }
        let nodeRows = nodes.map { node -> [String] in
            let alive = node["alive"] == .bool(true)
            let peers = node["peers"].map(peerCounts) ?? "-"
            return [
                node["name"]?.stringValue ?? "?", node["pid"]?.intValue.map { "\($0)" } ?? "-",
                alive ? "running" : "stopped", node["listen"]?.stringValue ?? "-", peers,
                node["error"]?.stringValue ?? "",
            ]
        }
        out += table(["NODE", "PID", "PROCESS", "LISTEN", "PEERS", "ERROR"], nodeRows) + "\n"
        for node in nodes {
            guard case .array(let peers)? = node["peers"], !peers.isEmpty else { continue }
            out += "peers of \(node["name"]?.stringValue ?? "?"):\n"
            out += table(["PEER", "STATE", "RTT", "LAG", "REASON"], peers.map(peerRow)) + "\n"
        }
        out += links(report["proxy"] ?? .null)
        return out
    }

    private static func peerCounts(_ peers: JSONValue) -> String {
        guard case .array(let list) = peers else { return "-" }
        let connected = list.filter { $0["state"]?.stringValue == "connected" }.count
        return "\(connected)/\(list.count) connected"
    }

    private static func peerRow(_ peer: JSONValue) -> [String] {
        let rtt: String
        switch peer["rtt_seconds"] {
        case .double(let seconds)?: rtt = formatMilliseconds(seconds * 1000)
        case .int(let seconds)?: rtt = formatMilliseconds(Double(seconds) * 1000)
        default: rtt = "-"
        }
        var lag = "-"
        if case .object(let tenants)? = peer["lag"] {
            lag = tenants.keys.sorted().map { "\($0):\(tenants[$0]!.intValue.map { "\($0)" } ?? "?")" }
                .joined(separator: " ")
        }
        let reason = peer["reason"]?.stringValue ?? peer["last_error"]?.stringValue ?? ""
        return [
            peer["name"]?.stringValue ?? peer["public_key"]?.stringValue ?? "?",
            peer["state"]?.stringValue ?? "?", rtt, lag, reason,
        ]
    }

    private static func links(_ proxy: JSONValue) -> String {
        let pid = proxy["pid"]?.intValue.map { "pid \($0)" } ?? "no pid"
        let alive = proxy["alive"] == .bool(true) ? "running" : "stopped"
        var out = "proxy \(pid), \(alive)"
        if let error = proxy["error"]?.stringValue { return out + ": \(error)\n" }
        guard case .array(let links)? = proxy["links"] else { return out + "\n" }
        out += "\n"
        let rows = links.map { link -> [String] in
            let profile = link["profile"] ?? .null
            let bandwidth = profile["bandwidth_bits_per_second"]?.intValue.map { "\(Double($0) / 1e6) Mbit/s" } ?? "-"
            var loss = "0%"
            if case .double(let percent)? = profile["loss_percent"] { loss = "\(percent)%" }
            return [
                "\(link["from"]?.stringValue ?? "?") -> \(link["to"]?.stringValue ?? "?")",
                link["state"]?.stringValue ?? "?", profile["name"]?.stringValue ?? "?",
                "\(profile["delay_ms"]?.intValue ?? 0)+\(profile["jitter_ms"]?.intValue ?? 0) ms", loss, bandwidth,
                "\(link["open_connections"]?.intValue ?? 0)", "\(link["bytes_to_target"]?.intValue ?? 0)",
                "\(link["bytes_from_target"]?.intValue ?? 0)",
            ]
        }
        let header = ["LINK", "STATE", "PROFILE", "DELAY", "LOSS", "BANDWIDTH", "CONNS", "BYTES OUT", "BYTES BACK"]
        return out + table(header, rows)
    }

    private static func formatMilliseconds(_ value: Double) -> String {
        "\((value * 10).rounded() / 10) ms"
    }

    /// Left-aligned columns separated by two spaces, header first.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
