import LatticeCore
import LatticeOps
import LatticeStore
import LatticeSync
import NIOHTTP1

/// The node's admin endpoints (`Protocols/admin-v1.md` §3.4–3.12), for `AdminServer`.
public enum NodeAdmin {
    /// Largest `limit` of a key listing (§3.7).
    public static let listLimitMax = 1_000
    static let listLimitDefault = 100

    /// The routes serving `node`; pass them to `AdminServer(router:)` with ``status(_:)`` as its status closure.
    public static func router(for node: LatticeNode) -> AdminRouter {
        var r = AdminRouter()
        r.add(.GET, "/v1/peers") { _ in .json(await node.peersDocument()) }
        r.add(.GET, "/v1/tenants") { _ in .json(await node.tenantsDocument()) }
        r.add(.GET, "/v1/kv/{tenant}") { request in try await list(node, request) }
        r.add(.GET, "/v1/kv/{tenant}/{key}") { request in
            let (tenant, key) = try names(request)
            guard let value = try await read(node, tenant, key) else {
                throw AdminHTTPError(
                    .notFound,
                    code: "key_not_found",
                    message: "no key \(key.debugDescription) in tenant \(tenant)"
                )
            }
            return .json(ValueJSON.document(key: key, value))
        }
        r.add(.PUT, "/v1/kv/{tenant}/{key}") { request in
            let (tenant, key) = try names(request)
            let body = try json(request)
            guard body["type"]?.stringValue == "register", let value = body["value"] else {
                throw AdminHTTPError(
                    .badRequest,
                    code: "bad_request",
                    message:
                        "PUT takes {\"type\": \"register\", \"value\": ...}; other types are created by their ops (POST .../ops)"
                )
            }
            return try await apply(node, tenant, key, .assign(scalar(value, "value")))
        }
        r.add(.DELETE, "/v1/kv/{tenant}/{key}") { request in
            let (tenant, key) = try names(request)
            guard try await read(node, tenant, key) != nil else {
                throw AdminHTTPError(
                    .notFound,
                    code: "key_not_found",
                    message: "no key \(key.debugDescription) in tenant \(tenant)"
                )
            }
            try await write(node, tenant, key, .clear)
            return .json(["deleted": true])
        }
        r.add(.POST, "/v1/kv/{tenant}/{key}/ops") { request in
            let (tenant, key) = try names(request)
            return try await apply(node, tenant, key, try operation(json(request)))
        }
        r.add(.POST, "/v1/sync") { request in
            let body = request.body.isEmpty ? JSONValue.object([:]) : try json(request)
            let peer = body["peer"]?.stringValue
            if let peer, !node.configuration.peers.contains(where: { $0.id == peer || $0.name == peer }) {
                throw AdminHTTPError(
                    .notFound,
                    code: "peer_not_found",
                    message: "no configured peer \(peer); see GET /v1/peers"
                )
            }
            let id = node.configuration.peers.first { $0.id == peer || $0.name == peer }?.id
            return .json(["scheduled": .int(Int64(await node.syncNow(peer: id)))], status: .accepted)
        }
        return r
    }

    // MARK: Requests

    private static func names(_ request: AdminRequest) throws -> (String, String) {
        (request.pathParameters["tenant"] ?? "", request.pathParameters["key"] ?? "")
    }

    private static func json(_ request: AdminRequest) throws -> JSONValue {
        do {
            return try JSONValue.parse(request.body)
        } catch {
            throw AdminHTTPError(.badRequest, code: "bad_json", message: "the body is not JSON: \(error)")
        }
    }

    private static func scalar(_ value: JSONValue, _ field: String) throws -> Scalar {
        do {
            return try ValueJSON.scalar(value, field: field)
        } catch {
            throw AdminHTTPError(.badRequest, code: "bad_request", message: error.message)
        }
    }

    /// The CRDT operation an ops body names (§3.11).
    static func operation(_ body: JSONValue) throws -> CRDTOperation {
        func need(_ field: String) throws -> JSONValue {
            guard let v = body[field] else {
                throw AdminHTTPError(
                    .badRequest,
                    code: "bad_request",
                    message: "op \(body["op"]?.stringValue ?? "") needs \"\(field)\""
                )
            }
            return v
        }
        switch body["op"]?.stringValue {
        case "incr":
            let by = body["by"] ?? .int(1)
            guard let n = by.intValue else {
                throw AdminHTTPError(.badRequest, code: "bad_request", message: "\"by\" must be an integer")
            }
            return .increment(by: n)
        case "set": return .assign(try scalar(need("value"), "value"))
        case "mvset": return .assignMultiValue(try scalar(need("value"), "value"))
        case "add": return .add(try scalar(need("member"), "member"))
        case "remove": return .remove(try scalar(need("member"), "member"))
        case "insert", "delete":
            throw AdminHTTPError(
                .badRequest,
                code: "unsupported_type",
                message: "text operations are not supported yet"
            )
        default:
            throw AdminHTTPError(
                .badRequest,
                code: "bad_request",
                message: "unknown op; use one of incr, set, mvset, add, remove (see Protocols/admin-v1.md §3.11)"
            )
        }
    }

    private static func read(_ node: LatticeNode, _ tenant: String, _ key: String) async throws -> CRDTValue? {
        do {
            return try await node.value(tenant: tenant, key: key)
        } catch let error as NodeError {
            throw AdminHTTPError(.notFound, code: "tenant_not_found", message: error.message)
        }
    }

    private static func write(_ node: LatticeNode, _ tenant: String, _ key: String, _ op: CRDTOperation) async throws {
        if let type = op.type, let current = try await read(node, tenant, key), !current.types.contains(type) {
            let existing = current.types.map(\.description).joined(separator: ", ")
            throw AdminHTTPError(
                .conflict,
                code: "type_mismatch",
                message: "key \(key.debugDescription) in \(tenant) holds a \(existing), not a \(type); use another key"
            )
        }
        do {
            try await node.write(tenant: tenant, key: key, op)
        } catch let error as NodeError {
            switch error.code {
            case .unknownTenant: throw AdminHTTPError(.notFound, code: "tenant_not_found", message: error.message)
            case .shutDown: throw AdminHTTPError(.serviceUnavailable, code: "shutting_down", message: error.message)
            default: throw AdminHTTPError(.badRequest, code: "rejected", message: error.message)
            }
        }
    }

    private static func apply(
        _ node: LatticeNode,
        _ tenant: String,
        _ key: String,
        _ op: CRDTOperation
    ) async throws
        -> AdminResponse
    {
        try await write(node, tenant, key, op)
        guard let value = try await read(node, tenant, key) else {
            return .json(["key": .string(key), "value": .null])
        }
        return .json(ValueJSON.document(key: key, value))
    }

    private static func list(_ node: LatticeNode, _ request: AdminRequest) async throws -> AdminResponse {
        let tenant = request.pathParameters["tenant"] ?? ""
        let limit = Int(request.query["limit"] ?? "") ?? listLimitDefault
        guard (1...listLimitMax).contains(limit) else {
            throw AdminHTTPError(.badRequest, code: "bad_request", message: "limit must be 1...\(listLimitMax)")
        }
        let keys: [String]
        do {
            keys = try await node.keys(
                tenant: tenant,
                prefix: request.query["prefix"] ?? "",
                after: request.query["after"],
                limit: limit + 1
            )
        } catch let error as NodeError {
            throw AdminHTTPError(.notFound, code: "tenant_not_found", message: error.message)
        }
        var entries = [JSONValue]()
        for key in keys.prefix(limit) {
            let type = try await read(node, tenant, key).map { ValueJSON.value($0).type } ?? "empty"
            entries.append(["key": .string(key), "type": .string(type)])
        }
        var doc: [String: JSONValue] = ["keys": .array(entries)]
        if keys.count > limit, let last = keys.prefix(limit).last { doc["next"] = .string(last) }
        return .json(.object(doc))
    }
}
