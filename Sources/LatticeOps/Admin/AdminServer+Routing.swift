import Logging
import Metrics
import NIOCore
import NIOHTTP1

extension AdminServer {
    /// Routes one complete request and turns every outcome into a JSON response.
    func respond(to head: HTTPRequestHead, body: [UInt8], peerUID: UInt32) async -> AdminResponse {
        let started = ContinuousClock.now
        let (path, queryText) = Self.splitURI(head.uri)
        var route = "unmatched"
        let response: AdminResponse
        switch router.match(method: head.method, path: path) {
        case .badPath:
            response = .error(.badRequest, code: "bad_request", message: "the path has an invalid percent escape")
        case .notFound:
            response = .error(.notFound, code: "not_found", message: "no route for \(head.method) \(path)")
        case .methodNotAllowed(let allowed):
            let names = allowed.map { "\($0)" }.joined(separator: ", ")
            var notAllowed = AdminResponse.error(
                .methodNotAllowed,
                code: "method_not_allowed",
                message: "\(head.method) is not allowed on \(path); allowed: \(names)"
            )
            notAllowed.headers.add(name: "allow", value: names)
            response = notAllowed
        case .found(let matched, let parameters):
            route = matched.pattern
            guard let query = PercentDecoding.query(queryText) else {
                response = .error(.badRequest, code: "bad_request", message: "the query has an invalid percent escape")
                break
            }
            let request = AdminRequest(
                method: head.method,
                path: path,
                pathParameters: parameters,
                query: query,
                headers: head.headers,
                body: body,
                peerUID: peerUID
            )
            response = await call(matched, request)
        }
        record(route: route, status: response.status)
        Metrics.Timer(
            label: MetricDefinition.adminRequestDuration.name,
            dimensions: [("route", route)],
            factory: metrics.factory
        ).record(duration: ContinuousClock.now - started)
        return response
    }

    private func call(_ route: AdminRouter.Route, _ request: AdminRequest) async -> AdminResponse {
        do {
            return try await route.handler(request)
        } catch let error as AdminHTTPError {
            return error.response
        } catch {
            logger.error(
                "admin handler failed",
                metadata: ["route": "\(route.pattern)", "error": "\(error)"]
            )
            return .error(.internalServerError, code: "internal", message: "the handler failed: \(error)")
        }
    }

    static func splitURI(_ uri: String) -> (path: String, query: Substring) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), uri[uri.index(after: mark)...])
    }

    /// `/livez`, `/readyz`, `/metrics` and `/v1/status`.
    static func builtInRoutes(
        metrics: LatticeMetrics,
        readiness: @escaping @Sendable () async -> AdminReadiness,
        status: @escaping @Sendable () async -> JSONValue
    ) -> AdminRouter {
        var router = AdminRouter()
        router.add(.GET, "/livez") { _ in .json(["status": "ok"]) }
        router.add(.GET, "/readyz") { _ in
            let report = await readiness()
            let reasons = JSONValue.array(report.reasons.map { .string($0) })
            return .json(
                ["ready": .bool(report.isReady), "reasons": reasons],
                status: report.isReady ? .ok : .serviceUnavailable
            )
        }
        router.add(.GET, "/metrics") { _ in
            AdminResponse(status: .ok, body: .bytes(metrics.exposition(), contentType: LatticeMetrics.contentType))
        }
        router.add(.GET, "/v1/status") { _ in .json(await status()) }
        return router
    }
}
