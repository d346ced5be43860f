import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import LatticeOps

/// A running admin server in a fresh temp directory, with captured logs.
struct AdminHarness {
    let directory: TemporaryDirectory
    let socketPath: String
    let server: AdminServer
    let logs: MemoryLogSink

    init(
        allowedUID: UInt32 = UInt32(getuid()),
        bodyBytesMax: Int = 1024,
        router: AdminRouter = AdminRouter(),
        ready: Bool = true
    ) throws {
        directory = try TemporaryDirectory()
        socketPath = directory.file("admin/lattice.sock")
        logs = MemoryLogSink()
        let factory = LatticeLogging.handlerFactory(format: .logfmt, level: .debug, sink: logs)
        let configuration = AdminServerConfiguration(
            socketPath: socketPath,
            allowedUID: allowedUID,
            requestBodyBytesMax: bodyBytesMax
        )
        server = AdminServer(
            configuration: configuration,
            router: router,
            metrics: LatticeMetrics(),
            logger: Logger(label: "lattice.admin") { factory($0, nil) },
            readiness: { AdminReadiness(isReady: ready, reasons: ready ? [] : ["store not open"]) },
            status: { ["network": "test", "peers": 0] }
        )
    }

    /// Starts the server, runs `body`, shuts down, and checks that `run()` returned and the
    /// socket file is gone. Logs are printed when something fails.
    func run(_ body: () async throws -> Void) async throws {
        defer { directory.remove() }
        try await server.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                try await body()
            } catch {
                print(logs.lines.joined(separator: "\n"))
                await server.shutdown()
                throw error
            }
            await server.shutdown()
            try await group.waitForAll()
        }
        #expect(access(socketPath, F_OK) != 0, "the socket file is removed after shutdown")
    }
}

func fileMode(_ path: String) -> mode_t {
    var status = stat()
    guard lstat(path, &status) == 0 else { return 0 }
    return status.st_mode & 0o7777
}

@Suite("Admin socket server", .serialized)
struct AdminServerTests {
    @Test("creates its directory 0700 and the socket 0600; livez, readyz, metrics and status answer")
    func test_builtInRoutes_andPermissions() async throws {
        let harness = try AdminHarness(ready: false)
        try await harness.run {
            #expect(fileMode(harness.directory.file("admin")) == 0o700)
            #expect(fileMode(harness.socketPath) == 0o600)
            let livez = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/livez")
            #expect(livez.status == 200)
            #expect(livez.headers["content-type"] == "application/json")
            #expect(livez.body == "{\"status\":\"ok\"}\n")
            let readyz = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/readyz")
            #expect(readyz.status == 503)
            #expect(readyz.body == "{\"ready\":false,\"reasons\":[\"store not open\"]}\n")
            let status = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/v1/status")
            #expect(status.body == "{\"network\":\"test\",\"peers\":0}\n")
            let metrics = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let families = try PrometheusTextParser.parse(metrics.body)
            let requests = try #require(families["lattice_admin_requests_total"])
            #expect(requests.samples.contains { $0.labels == ["route": "/livez", "status": "200"] && $0.value == 1 })
            #expect(requests.samples.contains { $0.labels == ["route": "/readyz", "status": "503"] })
        }
    }

    @Test("unknown paths get 404, wrong methods 405 with Allow, both as JSON errors")
    func test_notFound_andMethodNotAllowed() async throws {
        let harness = try AdminHarness()
        try await harness.run {
            let missing = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/v1/nothing")
            #expect(missing.status == 404)
            #expect(
                missing.body == "{\"error\":{\"code\":\"not_found\",\"message\":\"no route for GET /v1/nothing\"}}\n"
            )
            let wrong = try await RawUnixHTTPClient.request(harness.socketPath, "DELETE", "/livez")
            #expect(wrong.status == 405)
            #expect(wrong.headers["allow"] == "GET")
            #expect(
                wrong.body
                    == "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"DELETE is not allowed on /livez;"
                    + " allowed: GET\"}}\n"
            )
        }
    }

    @Test("a body past the limit gets 413, whether announced by Content-Length or streamed chunked")
    func test_oversizedBody_gets413() async throws {
        var router = AdminRouter()
        router.add(.POST, "/echo") { request in .json(["bytes": .int(Int64(request.body.count))]) }
        let harness = try AdminHarness(bodyBytesMax: 1024, router: router)
        try await harness.run {
            let fits = try await RawUnixHTTPClient.request(
                harness.socketPath,
                "POST",
                "/echo",
                body: String(repeating: "a", count: 1024)
            )
            #expect(fits.status == 200)
            #expect(fits.body == "{\"bytes\":1024}\n")
            let announced = try await RawUnixHTTPClient.request(
                harness.socketPath,
                "POST",
                "/echo",
                body: String(repeating: "a", count: 1025)
            )
            #expect(announced.status == 413)
            #expect(
                announced.body
                    == "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"the request body is larger than"
                    + " 1024 bytes\"}}\n"
            )
            let chunk = String(repeating: "b", count: 600)
            let chunked =
                "POST /echo HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
            let responses = try await RawUnixHTTPClient.exchange(harness.socketPath, chunked)
            #expect(responses.map(\.status) == [413])
        }
    }

    @Test("routes bind {params} (percent-decoded) and query strings; handler errors become JSON errors")
    func test_customRoutes_paramsAndErrors() async throws {
        struct Broken: Error {}
        var router = AdminRouter()
        router.add(.GET, "/v1/kv/{tenant}/{key}") { request in
            .json([
                "tenant": .string(request.pathParameters["tenant"] ?? ""),
                "key": .string(request.pathParameters["key"] ?? ""),
                "prefix": .string(request.query["prefix"] ?? ""),
            ])
        }
        router.add(.GET, "/v1/kv/{tenant}") { request in
            throw AdminHTTPError(
                .notFound,
                code: "unknown_tenant",
                message: "no tenant \(request.pathParameters["tenant"]!)"
            )
        }
        router.add(.GET, "/broken") { _ in throw Broken() }
        let harness = try AdminHarness(router: router)
        try await harness.run {
            let value = try await RawUnixHTTPClient.request(
                harness.socketPath,
                "GET",
                "/v1/kv/acme/a%2Fb%20c?prefix=x+y"
            )
            #expect(value.body == "{\"key\":\"a/b c\",\"prefix\":\"x y\",\"tenant\":\"acme\"}\n")
            let tenant = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/v1/kv/globex")
            #expect(tenant.status == 404)
            #expect(tenant.body == "{\"error\":{\"code\":\"unknown_tenant\",\"message\":\"no tenant globex\"}}\n")
            let broken = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/broken")
            #expect(broken.status == 500)
            #expect(broken.body.hasPrefix("{\"error\":{\"code\":\"internal\""))
            let badEscape = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/v1/kv/acme/%zz")
            #expect(badEscape.status == 400)
        }
        #expect(
            harness.logs.lines.contains { $0.contains("msg=\"admin handler failed\"") && $0.contains("route=/broken") }
        )
    }

    @Test("keep-alive: two pipelined requests on one connection are answered in order")
    func test_keepAlive_answersInOrder() async throws {
        let harness = try AdminHarness()
        try await harness.run {
            let request =
                "GET /livez HTTP/1.1\r\nHost: l\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n"
            let responses = try await RawUnixHTTPClient.exchange(harness.socketPath, request)
            #expect(responses.map(\.status) == [200, 200])
            #expect(responses.map { $0.headers["connection"] } == ["keep-alive", "close"])
            #expect(responses.last?.body == "{\"network\":\"test\",\"peers\":0}\n")
        }
    }

    @Test("a connecting uid other than the allowed one gets 403, a log line and a metric")
    func test_foreignUID_isRefused() async throws {
        let other = UInt32(getuid()) &+ 1
        let harness = try AdminHarness(allowedUID: other)
        try await harness.run {
            let refused = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/livez")
            #expect(refused.status == 403)
            #expect(
                refused.body
                    == "{\"error\":{\"code\":\"forbidden\",\"message\":\"uid \(getuid()) may not use this admin socket;"
                    + " connect as uid \(other)\"}}\n"
            )
            let metrics = String(decoding: harness.server.metrics.exposition(), as: UTF8.self)
            #expect(metrics.contains("lattice_admin_rejected_connections_total 1\n"))
        }
        #expect(
            harness.logs.lines.contains {
                $0.contains("level=warning") && $0.contains("connecting uid is not allowed")
                    && $0.contains("uid=\(getuid())")
            }
        )
    }
}
