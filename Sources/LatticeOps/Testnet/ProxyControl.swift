import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The proxy's control channel: small JSON endpoints on a Unix socket (served by
/// `AdminServer`, so the socket is 0600 in a 0700 directory and only this user may connect).
///
/// - `GET /v1/links` → `{"links": [LINK, …]}` (see `ProxyLinkStatus.json`)
/// - `POST /v1/partition` with `{"a": "n1", "b": "n2"}` → `{"closed_connections": N}`
/// - `POST /v1/heal` with `{"a": "n1", "b": "n2"}` → `{"healed": [["n1","n2"]]}`; with `{}`
///   every link is healed.
public enum ProxyControl {
    /// The routes above, for `proxy`.
    public static func router(for proxy: ShapingProxy) -> AdminRouter {
        var router = AdminRouter()
        router.add(.GET, "/v1/links") { _ in
            .json(["links": .array(proxy.statuses().map(\.json))])
        }
        router.add(.POST, "/v1/partition") { request in
            let (a, b) = try pair(in: request, required: true)!
            do throws(TestnetError) {
                let closed = try proxy.partition(a, b)
                return .json(["closed_connections": .int(Int64(closed))])
            } catch {
                throw AdminHTTPError(.notFound, code: "unknown_link", message: error.message)
            }
        }
        router.add(.POST, "/v1/heal") { request in
            guard let (a, b) = try pair(in: request, required: false) else {
                return .json(["healed": .array(proxy.healAll().map { .array($0.map(JSONValue.string)) })])
            }
            do throws(TestnetError) {
                let healed = try proxy.heal(a, b)
                return .json(["healed": healed ? [.array([.string(a), .string(b)])] : []])
            } catch {
                throw AdminHTTPError(.notFound, code: "unknown_link", message: error.message)
            }
        }
        return router
    }

    private static func pair(in request: AdminRequest, required: Bool) throws -> (String, String)? {
        let body = request.body.isEmpty ? JSONValue.object([:]) : try? JSONValue.parse(request.body)
        guard let body, case .object(let fields) = body else {
            throw AdminHTTPError(.badRequest, code: "bad_request", message: "the body must be a JSON object")
        }
        if fields.isEmpty && !required { return nil }
        guard let a = fields["a"]?.stringValue, let b = fields["b"]?.stringValue else {
            throw AdminHTTPError(
                .badRequest,
                code: "bad_request",
                message: "name the link's two nodes: {\"a\": \"n1\", \"b\": \"n2\"}"
            )
        }
        return (a, b)
    }

    /// The body of `lattice testnet proxy --state STATE`: reads the links from
    /// `STATE/testnet.json`, logs (logfmt) to stderr, and serves until SIGTERM or SIGINT.
    public static func runProcess(stateDirectory: String) async throws {
        let state = try TestnetState.load(from: stateDirectory)
        LatticeLogging.bootstrap(format: .logfmt, level: .info)
        var logger = Logger(label: "lattice.testnet.proxy")
        logger[metadataKey: "testnet"] = "\(state.name)"
        try TestnetGenerator.makeDirectory(PathResolution.directory(of: state.proxyControlSocket))
        logger.notice(
            "proxy starting",
            metadata: ["links": "\(state.links.count)", "control_socket": "\(state.proxyControlSocket)"]
        )
        try await run(
            proxy: ShapingProxy(links: state.links, logger: logger),
            controlSocket: state.proxyControlSocket,
            logger: logger
        )
        logger.notice("proxy stopped")
    }

    /// Runs `proxy` and its control socket at `controlSocket` until SIGTERM or SIGINT, then
    /// closes every connection and removes the socket.
    public static func run(proxy: ShapingProxy, controlSocket: String, logger: Logger) async throws {
        let server = AdminServer(
            configuration: AdminServerConfiguration(socketPath: controlSocket),
            router: router(for: proxy),
            metrics: LatticeMetrics(),
            logger: logger,
            readiness: { AdminReadiness(isReady: true) },
            status: { ["links": .int(Int64(proxy.links.count))] }
        )
        try await proxy.start()
        try await server.start()
        let group = ServiceGroup(
            services: [server, ProxyService(proxy: proxy)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

/// Keeps the proxy open until graceful shutdown.
private struct ProxyService: Service {
    let proxy: ShapingProxy

    func run() async throws {
        try? await gracefulShutdown()
        await proxy.shutdown()
    }
}

extension ProxyLinkStatus {
    /// The JSON object `GET /v1/links` lists.
    public var json: JSONValue {
        var profile: [String: JSONValue] = [
            "name": .string(link.profileName),
            "delay_ms": .int(Int64(link.profile.delayMilliseconds)),
            "jitter_ms": .int(Int64(link.profile.jitterMilliseconds)),
            "loss_percent": .double(Double(link.profile.lossPermille) / 10),
        ]
        profile["bandwidth_bits_per_second"] = link.profile.bandwidthBitsPerSecond.map { .int(Int64($0)) } ?? .null
        return [
            "from": .string(link.from),
            "to": .string(link.to),
            "listen": .string("127.0.0.1:\(link.listenPort)"),
            "target": .string(link.target.description),
            "profile": .object(profile),
            "state": isPartitioned ? "partitioned" : "up",
            "open_connections": .int(Int64(openConnections)),
            "accepted_connections": .int(Int64(acceptedConnections)),
            "refused_connections": .int(Int64(refusedConnections)),
            "bytes_to_target": .int(Int64(bytesToTarget)),
            "bytes_from_target": .int(Int64(bytesFromTarget)),
        ]
    }
}
