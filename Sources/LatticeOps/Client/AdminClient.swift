import NIOCore
import NIOHTTP1
import NIOPosix

/// A client of a node's admin socket (`Protocols/admin-v1.md`): one HTTP/1.1 request per
/// connection over the Unix socket, as `curl --unix-socket` would send it. The CLI's data and
/// admin commands and the testnet tool use it.
public struct AdminClient: Sendable {
    /// The admin socket's path.
    public let socketPath: String
    /// How long one request may take, connect included, before it fails.
    public var timeout: TimeAmount

    /// Default for ``timeout``: generous, because a durable write waits for an fsync and a busy
    /// 2-core machine can take seconds to answer; a hung node still fails the command.
    public static let timeoutDefault = TimeAmount.seconds(30)
    /// Largest response body accepted (`/metrics` and key listings are the big ones).
    public static let responseBytesMax = 16 << 20

    public init(socketPath: String, timeout: TimeAmount = timeoutDefault) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// What the node answered.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as JSON, or `nil` if it is not JSON.
        public var json: JSONValue? { try? JSONValue.parse(body) }

        /// The `message` of an admin error body, or the raw body.
        public var errorMessage: String {
            if let message = json?["error"]?["message"]?.stringValue ?? json?["message"]?.stringValue { return message }
            return text.isEmpty ? "HTTP \(status)" : text
        }
    }

    /// Sends one request and returns the response. Throws ``AdminClientError`` when nothing
    /// listens on the socket, the node does not answer in time, or the response is malformed.
    public func request(_ method: HTTPMethod, _ path: String, json body: JSONValue? = nil) async throws -> Response {
        let payload = body.map { Array($0.serialized.utf8) }
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw AdminClientError(
                .unreachable,
                "cannot connect to the admin socket \(socketPath) (\(error)); is the node running? "
                    + "Start it with `lattice node --config FILE`, or pass the right --socket or --config"
            )
        }
        return try await withDeadline(channel.channel) {
            try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
                head.headers.add(name: "Host", value: "lattice")
                head.headers.add(name: "Connection", value: "close")
                if let payload {
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: "\(payload.count)")
                }
                try await outbound.write(.head(head))
                if let payload { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: payload)))) }
                try await outbound.write(.end(nil))
                return try await Self.readResponse(inbound, socketPath: socketPath)
            }
        }
    }

    private static func readResponse(
        _ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
        socketPath: String
    ) async throws -> Response {
        var response: Response?
        for try await part in inbound {
            switch part {
            case .head(let head):
                response = Response(
                    status: Int(head.status.code),
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: []
                )
            case .body(let buffer):
                guard response != nil, response!.body.count + buffer.readableBytes <= responseBytesMax else {
                    throw AdminClientError(
                        .malformedResponse,
                        "the response from \(socketPath) exceeds \(responseBytesMax) bytes (responseBytesMax)"
                    )
                }
                response!.body += buffer.readableBytesView
            case .end:
                if let response { return response }
            }
        }
        throw AdminClientError(.malformedResponse, "\(socketPath) closed the connection before a whole response")
    }

    /// Runs `body`, closing `channel` (which fails `body`) if it outlives ``timeout``.
    private func withDeadline<T: Sendable>(
        _ channel: any Channel,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { timer.cancel() }
        do {
            return try await body()
        } catch let error as AdminClientError {
            throw error
        } catch {
            throw AdminClientError(
                .timeout,
                "no answer from the admin socket \(socketPath) within \(timeout.nanoseconds / 1_000_000_000) s (\(error))"
            )
        }
    }
}

/// Why an admin request failed before the node answered it.
public struct AdminClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public var description: String { name }

        /// Nothing listens on the socket.
        public static let unreachable = Code(name: "unreachable")
        /// The node did not answer in time.
        public static let timeout = Code(name: "timeout")
        /// The response was not HTTP/1.1 within the limits.
        public static let malformedResponse = Code(name: "malformed_response")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
