import NIOHTTP1

/// Maps a method and a path to a handler. Patterns are literal segments and `{name}`
/// parameters, one segment each: `/v1/kv/{tenant}/{key}`. Literal segments win over
/// parameters regardless of the order routes were added.
public struct AdminRouter: Sendable {
    /// An async handler answering one request.
    public typealias Handler = @Sendable (AdminRequest) async throws -> AdminResponse

    enum Segment: Hashable, Sendable {
        case literal(String)
        case parameter(String)
    }

    struct Route: Sendable {
        var method: HTTPMethod
        var pattern: String
        var segments: [Segment]
        var handler: Handler
    }

    /// What matching a request found.
    enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists under other methods.
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
        /// A path segment had a bad percent escape.
        case badPath
    }

    private(set) var routes: [Route] = []

    /// An empty router.
    public init() {}

    /// Adds a route. A pattern must start with `/`; a later route with the same method and
    /// pattern replaces the earlier one.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        precondition(pattern.hasPrefix("/"), "route patterns start with /: \(pattern)")
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}")
                ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        routes.removeAll { $0.method == method && $0.pattern == pattern }
        routes.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// The route patterns, for documentation and tests.
    public var patterns: [(method: HTTPMethod, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    func match(method: HTTPMethod, path: String) -> Match {
        var decoded: [String] = []
        for part in Self.split(path) {
            guard let value = PercentDecoding.decode(Substring(part), plusIsSpace: false) else { return .badPath }
            decoded.append(value)
        }
        var best: (route: Route, parameters: [String: String], literals: Int)?
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let (parameters, literals) = Self.bind(route.segments, to: decoded) else { continue }
            guard route.method == method else {
                if !allowed.contains(route.method) { allowed.append(route.method) }
                continue
            }
            if best == nil || literals > best!.literals {
                best = (route, parameters, literals)
            }
        }
        if let best { return .found(best.route, parameters: best.parameters) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Parameter values and the number of literal segments matched, or nil.
    private static func bind(_ segments: [Segment], to parts: [String]) -> ([String: String], Int)? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        var literals = 0
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard literal == part else { return nil }
                literals += 1
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = part
            }
        }
        return (parameters, literals)
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
