extension TestnetState {
    /// The `testnet.json` document.
    public var json: JSONValue {
        [
            "version": 1,
            "name": .string(name),
            "topology_file": .string(topologyFile),
            "directory": .string(directory),
            "nodes": .array(nodes.map(\.json)),
            "links": .array(links.map(Self.json(link:))),
            "proxy_control_socket": .string(proxyControlSocket),
            "proxy_log_file": .string(proxyLogFile),
            "proxy": proxy?.json ?? .null,
        ]
    }

    /// Parses a `testnet.json` document; nil when it is not one.
    init?(json: JSONValue) {
        guard json["version"]?.intValue == 1,
            let name = json["name"]?.stringValue,
            let topologyFile = json["topology_file"]?.stringValue,
            let directory = json["directory"]?.stringValue,
            case .array(let nodes)? = json["nodes"],
            case .array(let links)? = json["links"],
            let control = json["proxy_control_socket"]?.stringValue,
            let proxyLog = json["proxy_log_file"]?.stringValue
        else { return nil }
        let parsedNodes = nodes.compactMap(Node.init(json:))
        let parsedLinks = links.compactMap(Self.link(json:))
        guard parsedNodes.count == nodes.count, parsedLinks.count == links.count else { return nil }
        self.init(
            name: name,
            topologyFile: topologyFile,
            directory: directory,
            nodes: parsedNodes,
            links: parsedLinks,
            proxyControlSocket: control,
            proxyLogFile: proxyLog,
            proxy: json["proxy"].flatMap(ProcessRecord.init(json:))
        )
    }

    static func json(link: ProxyLink) -> JSONValue {
        [
            "from": .string(link.from),
            "to": .string(link.to),
            "listen_port": .int(Int64(link.listenPort)),
            "target": .string(link.target.description),
            "profile": .string(link.profileName),
            "delay_ms": .int(Int64(link.profile.delayMilliseconds)),
            "jitter_ms": .int(Int64(link.profile.jitterMilliseconds)),
            "loss_permille": .int(Int64(link.profile.lossPermille)),
            "bandwidth_bits_per_second": link.profile.bandwidthBitsPerSecond.map { .int(Int64($0)) } ?? .null,
        ]
    }

    static func link(json: JSONValue) -> ProxyLink? {
        guard let from = json["from"]?.stringValue, let to = json["to"]?.stringValue,
            let port = json["listen_port"]?.intValue, (0...65535).contains(port),
            let target = json["target"]?.stringValue.flatMap(HostPort.init(parsing:)),
            let profileName = json["profile"]?.stringValue,
            let delay = json["delay_ms"]?.intValue, (0...Int64(TestnetLimits.delayMillisecondsMax)).contains(delay),
            let jitter = json["jitter_ms"]?.intValue, (0...Int64(TestnetLimits.delayMillisecondsMax)).contains(jitter),
            let loss = json["loss_permille"]?.intValue, (0...1000).contains(loss)
        else { return nil }
        let bandwidth = json["bandwidth_bits_per_second"]?.intValue.flatMap { $0 > 0 ? UInt64($0) : nil }
        return ProxyLink(
            from: from,
            to: to,
            listenPort: Int(port),
            target: target,
            profileName: profileName,
            profile: TestnetLinkProfile(
                delayMilliseconds: UInt64(delay),
                jitterMilliseconds: UInt64(jitter),
                lossPermille: Int(loss),
                bandwidthBitsPerSecond: bandwidth
            )
        )
    }
}

extension TestnetState.Node {
    var json: JSONValue {
        [
            "name": .string(name),
            "node_id": .string(nodeID),
            "listen": .string(listen.description),
            "config_file": .string(configFile),
            "admin_socket": .string(adminSocket),
            "log_file": .string(logFile),
            "process": process?.json ?? .null,
        ]
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let nodeID = json["node_id"]?.stringValue,
            let listen = json["listen"]?.stringValue.flatMap(HostPort.init(parsing:)),
            let config = json["config_file"]?.stringValue, let admin = json["admin_socket"]?.stringValue,
            let log = json["log_file"]?.stringValue
        else { return nil }
        self.init(
            name: name,
            nodeID: nodeID,
            listen: listen,
            configFile: config,
            adminSocket: admin,
            logFile: log,
            process: json["process"].flatMap(ProcessRecord.init(json:))
        )
    }
}

extension ProcessRecord {
    var json: JSONValue { ["pid": .int(Int64(pid)), "start_ticks": .int(Int64(startTicks))] }

    init?(json: JSONValue) {
        guard let pid = json["pid"]?.intValue, pid > 1, pid <= Int64(Int32.max),
            let ticks = json["start_ticks"]?.intValue, ticks >= 0
        else { return nil }
        self.init(pid: Int32(pid), startTicks: UInt64(ticks))
    }
}
