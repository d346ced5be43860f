import Foundation
import Logging
import Testing

@testable import LatticeOps

@Suite("Admin socket file handling", .serialized)
struct AdminSocketTests {
    @Test("a stale socket file (nobody listening) is replaced")
    func test_staleSocket_isReplaced() async throws {
        let harness = try AdminHarness()
        mkdir(harness.directory.file("admin"), 0o700)
        // Bind a socket and close it without unlinking: what a crashed node leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        _ = UnixAddress.fill(&address, path: harness.socketPath)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)
        #expect(AdminSocketPreparation.probe(harness.socketPath) == .refused)
        try await harness.run {
            let livez = try await RawUnixHTTPClient.request(harness.socketPath, "GET", "/livez")
            #expect(livez.status == 200)
        }
    }

    @Test("a socket someone listens on is refused with advice, and left in place")
    func test_liveSocket_isRefused() async throws {
        let first = try AdminHarness()
        try await first.run {
            let second = AdminServer(
                configuration: AdminServerConfiguration(socketPath: first.socketPath),
                metrics: LatticeMetrics(),
                logger: Logger(label: "second") { _ in SwiftLogNoOpLogHandler() },
                readiness: { AdminReadiness(isReady: true) },
                status: { [:] }
            )
            let expected = AdminServerError(
                .socketInUse,
                "another node is listening on \(first.socketPath); stop it or choose another admin_socket"
            )
            await #expect(throws: expected) { try await second.start() }
            let livez = try await RawUnixHTTPClient.request(first.socketPath, "GET", "/livez")
            #expect(livez.status == 200)
        }
    }

    @Test("a socket directory others can reach is refused with chmod advice")
    func test_openDirectory_isRefused() async throws {
        let harness = try AdminHarness()
        defer { harness.directory.remove() }
        let directory = harness.directory.file("admin")
        mkdir(directory, 0o755)
        chmod(directory, 0o755)
        let expected = AdminServerError(
            .unsafeDirectory,
            "\(directory) has mode 0755, so other users can reach the admin socket; run: chmod 700 \(directory)"
        )
        await #expect(throws: expected) { try await harness.server.start() }
        #expect(access(harness.socketPath, F_OK) != 0)
    }

    @Test("a non-socket file at the socket path is refused")
    func test_regularFile_isRefused() async throws {
        let harness = try AdminHarness()
        defer { harness.directory.remove() }
        mkdir(harness.directory.file("admin"), 0o700)
        try harness.directory.write("admin/lattice.sock", "not a socket")
        let expected = AdminServerError(
            .notASocket,
            "\(harness.socketPath) exists and is not a socket; remove it or choose another admin_socket"
        )
        await #expect(throws: expected) { try await harness.server.start() }
    }
}

@Suite("Admin router")
struct AdminRouterTests {
    @Test("literal segments win over parameters; 405 lists the methods of the matching path")
    func test_router_precedenceAndMethods() {
        var router = AdminRouter()
        router.add(.GET, "/v1/kv/{tenant}") { _ in .json("param") }
        router.add(.GET, "/v1/kv/special") { _ in .json("literal") }
        router.add(.PUT, "/v1/kv/{tenant}/{key}") { _ in .json("put") }
        router.add(.DELETE, "/v1/kv/{tenant}/{key}") { _ in .json("delete") }
        guard case .found(let route, let parameters) = router.match(method: .GET, path: "/v1/kv/special") else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern == "/v1/kv/special")
        #expect(parameters.isEmpty)
        guard case .found(_, let bound) = router.match(method: .GET, path: "/v1/kv/acme") else {
            Issue.record("no match")
            return
        }
        #expect(bound == ["tenant": "acme"])
        guard case .methodNotAllowed(let allowed) = router.match(method: .GET, path: "/v1/kv/a/b") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.PUT, .DELETE])
        guard case .notFound = router.match(method: .GET, path: "/v1/other") else {
            Issue.record("expected 404")
            return
        }
    }
}
