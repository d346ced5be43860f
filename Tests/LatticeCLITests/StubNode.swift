import Foundation
import LatticeOps
import Logging
import NIOHTTP1
import Synchronization

/// An in-process admin server answering like a node (admin-v1 section 3 as amended by the
/// node contract) from canned data, recording every data request it gets. Tenant `app` exists;
/// its values are ``values``; key listings come in pages of ``listingPageKeys`` whatever `limit` says.
final class StubNode: Sendable {
    /// A request the stub recorded: method, decoded key (if any), query and JSON body.
    struct Recorded: Sendable {
        var method: HTTPMethod
        var key: String?
        var query: [String: String]
        var body: JSONValue?
    }

    /// The tenant that exists.
    static let tenant = "app"
    /// Canned values: key -> (type, value) as the node sends them.
    static let values: [String: (type: String, value: JSONValue)] = [
        "greeting": ("register", "hello world"),
        "ratio": ("register", .double(2.5)),
        "hits": ("counter", 42),
        "tags": ("set", ["members": ["a", "b"]]),
        "profile": ("map", ["name": "x", "n": 1]),
        "conflict": ("mvregister", ["values": ["x", "y"]]),
        "both": ("counter", 7),
    ]
    /// Keys the listing returns, in byte order.
    static let listedKeys = ["k1", "k2", "k3", "k4", "k5", "other"]
    /// Keys per listing page: small, so listing five keys takes three pages.
    static let listingPageKeys = 2

    /// Peers as admin-v1 section 3.5 shows them (one connected, one backing off).
    static let peers: JSONValue = [
        "peers": [
            [
                "name": "n2", "id": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
                "public_key": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=", "address": "127.0.0.1:7402",
                "state": "connected", "reason": "connected to 127.0.0.1:7402", "rtt_seconds": .double(0.0123),
                "rtt_variance_seconds": .double(0.002), "goodput_bytes_per_second": 1_258_291,
                "bytes_in": 5120, "bytes_out": 300, "lag": ["app": 12], "next_round_in_seconds": .double(1.5),
                "next_round_reason": "backlog of 12 entries", "last_error": .null, "permissions": ["app": "read-write"],
            ],
            [
                "id": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
                "public_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "address": "10.0.0.3:7400",
                "state": "backoff", "reason": "3 failures, last: connection refused; retry in 4 s",
                "rtt_seconds": .null, "goodput_bytes_per_second": .null, "bytes_in": 0, "bytes_out": 0,
                "lag": ["app": 0], "next_round_in_seconds": 4, "next_round_reason": "backoff",
                "last_error": "connection refused", "permissions": ["app": "read"],
            ],
        ]
    ]
    static let tenants: JSONValue = [
        "tenants": [
            ["id": "app", "keys": 1234, "tombstones": 3, "complete": ["0a1b": 17], "peers": ["read": 2, "write": 1]]
        ]
    ]
    static let status: JSONValue = [
        "network": "testnet", "name": "n1", "node_id": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
        "listen": "127.0.0.1:0", "listen_address": "127.0.0.1:40123", "profile": "loopback",
        "uptime_seconds": .double(3725.2), "version": "0.1.0", "durability": "durable", "tenants": 1,
        "peers": ["configured": 2, "connected": 1],
        "scheduler": ["wakeups": 911, "next_tick_reason": "round with n2 due"],
    ]

    let directory: TemporaryDirectory
    let socketPath: String
    private let server: AdminServer
    private let log = RequestLog()

    init() throws {
        directory = try TemporaryDirectory()
        socketPath = directory.file("admin/lattice.sock")
        var router = AdminRouter()
        let log = self.log
        Self.addDataRoutes(&router, record: log)
        router.add(.GET, "/v1/peers") { _ in .json(Self.peers) }
        router.add(.GET, "/v1/tenants") { _ in .json(Self.tenants) }
        router.add(.POST, "/v1/sync") { request in
            let body = log.record(request)
            return .json(body?["repair"] == true ? ["repairs": 1] : ["scheduled": 2], status: .accepted)
        }
        server = AdminServer(
            configuration: AdminServerConfiguration(socketPath: socketPath),
            router: router,
            metrics: LatticeMetrics(),
            logger: Logger(label: "stub") { _ in SwiftLogNoOpLogHandler() },
            readiness: { AdminReadiness(isReady: true) },
            status: { Self.status }
        )
    }

    /// The requests recorded so far.
    var requests: [Recorded] { log.entries.withLock { $0 } }

    /// Starts the server, runs `body`, stops it and removes the temp directory.
    func run(_ body: () async throws -> Void) async throws {
        defer { directory.remove() }
        try await server.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.server.run() }
            do {
                try await body()
            } catch {
                await server.shutdown()
                throw error
            }
            await server.shutdown()
            try await group.waitForAll()
        }
    }

    private static func addDataRoutes(_ router: inout AdminRouter, record: RequestLog) {
        router.add(.GET, "/v1/kv/{tenant}/{key}") { request in
            let key = try existingTenant(request)
            guard let (type, value) = values[key] else {
                throw AdminHTTPError(.notFound, code: "key_not_found", message: "no value under key \"\(key)\" in app")
            }
            var document: JSONValue = ["key": .string(key), "type": .string(type), "value": value]
            if key == "both" {
                document = ["key": "both", "type": "counter", "value": 7, "types": ["counter", "set"]]
            }
            return .json(document)
        }
        router.add(.PUT, "/v1/kv/{tenant}/{key}") { request in
            let key = try existingTenant(request)
            let body = record.record(request)
            return .json(["key": .string(key), "type": "register", "value": body?["value"] ?? .null])
        }
        router.add(.DELETE, "/v1/kv/{tenant}/{key}") { request in
            _ = try existingTenant(request)
            record.record(request)
            return .json(["deleted": true])
        }
        router.add(.POST, "/v1/kv/{tenant}/{key}/ops") { request in
            let key = try existingTenant(request)
            let body = record.record(request)
            if body?["op"]?.stringValue == "incr" {
                return .json(["key": .string(key), "type": "counter", "value": .int(42 + (body?["by"]?.intValue ?? 0))])
            }
            return .json(["key": .string(key), "type": "set", "value": ["members": ["a", "b", "c"]]])
        }
        router.add(.GET, "/v1/kv/{tenant}") { request in
            _ = try existingTenant(request)
            record.record(request)
            return .json(listing(prefix: request.query["prefix"] ?? "", after: request.query["after"]))
        }
    }

    private static func existingTenant(_ request: AdminRequest) throws -> String {
        guard request.pathParameters["tenant"] == tenant else {
            let name = request.pathParameters["tenant"] ?? ""
            throw AdminHTTPError(.notFound, code: "tenant_not_found", message: "tenant \"\(name)\" is not configured")
        }
        return request.pathParameters["key"] ?? ""
    }

    private static func listing(prefix: String, after: String?) -> JSONValue {
        let matching = listedKeys.filter { $0.hasPrefix(prefix) && (after == nil || $0 > after!) }
        let page = matching.prefix(listingPageKeys)
        var document: [String: JSONValue] = [
            "keys": .array(page.map { ["key": .string($0), "type": "counter"] })
        ]
        if matching.count > page.count, let last = page.last { document["next"] = .string(last) }
        return .object(document)
    }
}

/// The data requests a stub received, in arrival order.
private final class RequestLog: Sendable {
    let entries = Mutex<[StubNode.Recorded]>([])

    /// Records `request` and returns its JSON body.
    @discardableResult
    func record(_ request: AdminRequest) -> JSONValue? {
        let body = request.body.isEmpty ? nil : try? JSONValue.parse(request.body)
        let entry = StubNode.Recorded(
            method: request.method,
            key: request.pathParameters["key"],
            query: request.query,
            body: body
        )
        entries.withLock { $0.append(entry) }
        return body
    }
}
