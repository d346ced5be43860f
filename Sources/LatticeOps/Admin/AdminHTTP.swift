import NIOHTTP1

/// One admin request, fully read (the body is bounded by `AdminLimits.requestBodyBytesMax`).
public struct AdminRequest: Sendable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// The path without the query, percent-encoded as received.
    public var path: String
    /// Values of the route pattern's `{param}` segments, percent-decoded.
    public var pathParameters: [String: String]
    /// Query parameters, percent-decoded (`+` is a space); the last of repeated names wins.
    public var query: [String: String]
    /// The request headers.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]
    /// The uid of the connecting process (from `SO_PEERCRED`).
    public var peerUID: UInt32

    /// Makes a request (tests and the server use this).
    public init(
        method: HTTPMethod,
        path: String,
        pathParameters: [String: String] = [:],
        query: [String: String] = [:],
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        peerUID: UInt32 = 0
    ) {
        self.method = method
        self.path = path
        self.pathParameters = pathParameters
        self.query = query
        self.headers = headers
        self.body = body
        self.peerUID = peerUID
    }
}

/// An admin response: a status and a JSON document, or text (for `/metrics`).
public struct AdminResponse: Sendable {
    /// What the response carries.
    public enum Body: Sendable {
        /// `application/json`.
        case json(JSONValue)
        /// Raw bytes with their content type.
        case bytes([UInt8], contentType: String)
    }

    /// The HTTP status.
    public var status: HTTPResponseStatus
    /// The body.
    public var body: Body
    /// Extra headers (for example `Allow` on 405).
    public var headers: HTTPHeaders

    /// Makes a response.
    public init(status: HTTPResponseStatus, body: Body, headers: HTTPHeaders = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// A JSON response.
    public static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> AdminResponse {
        AdminResponse(status: status, body: .json(value))
    }

    /// The error shape every admin error uses: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ status: HTTPResponseStatus, code: String, message: String) -> AdminResponse {
        .json(["error": ["code": .string(code), "message": .string(message)]], status: status)
    }

    /// The serialized body and its content type.
    var encoded: (bytes: [UInt8], contentType: String) {
        switch body {
        case .json(let value): (Array((value.serialized + "\n").utf8), "application/json")
        case .bytes(let bytes, let contentType): (bytes, contentType)
        }
    }
}

/// An error a handler throws to answer with a specific status and error code
/// (`404 not_found`, `400 bad_request`, ...). Any other error becomes `500 internal`.
public struct AdminHTTPError: Error, Sendable {
    /// The HTTP status to answer with.
    public var status: HTTPResponseStatus
    /// A stable, machine-readable code (`snake_case`).
    public var code: String
    /// What went wrong and what to do, for people.
    public var message: String

    /// Makes an error.
    public init(_ status: HTTPResponseStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The response for this error.
    public var response: AdminResponse { .error(status, code: code, message: message) }
}

/// Percent-decoding for paths and query strings (RFC 3986 section 2.1).
enum PercentDecoding {
    /// Decodes `%XX`; with `plusIsSpace` (query strings), `+` becomes a space. Nil on a bad
    /// escape or when the result is not UTF-8.
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high < utf8.endIndex, utf8.index(after: high) < utf8.endIndex,
                    let value = UInt8(
                        String(decoding: [utf8[high], utf8[utf8.index(after: high)]], as: UTF8.self),
                        radix: 16
                    )
                else { return nil }
                bytes.append(value)
                index = utf8.index(high, offsetBy: 2)
                continue
            }
            bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `a=1&b=x%20y` -> `["a": "1", "b": "x y"]`; nil on a bad escape.
    static func query(_ text: Substring) -> [String: String]? {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0], plusIsSpace: true),
                let value = decode(parts.count > 1 ? parts[1] : "", plusIsSpace: true)
            else { return nil }
            result[name] = value
        }
        return result
    }
}
