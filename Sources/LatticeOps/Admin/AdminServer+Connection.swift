import Logging
import Metrics
import NIOCore
import NIOHTTP1

extension AdminServer {
    /// Serves one connection: its requests in order, until the client closes, asks for
    /// `Connection: close`, sends too much, or the server shuts down.
    func handle(_ connection: AdminConnection) async {
        let channel = connection.channel.channel
        guard connections.open(channel, limit: configuration.connectionsMax) else {
            logger.warning("admin connection refused: too many connections or shutting down")
            try? await channel.close()
            return
        }
        defer { connections.close(channel) }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                try await serveRequests(inbound, outbound, connection: connection)
            }
        } catch {
            logger.debug("admin connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func serveRequests(
        _ inbound: NIOAsyncChannelInboundStream<HTTPServerRequestPart>,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        connection: AdminConnection
    ) async throws {
        let channel = connection.channel.channel
        var reader = AdminRequestReader(bodyBytesMax: configuration.requestBodyBytesMax)
        for try await part in inbound {
            switch reader.consume(part) {
            case .needMore:
                continue
            case .started(let head):
                guard connection.peerUID == configuration.allowedUID else {
                    try await refuseForeignUser(head, connection: connection, outbound: outbound)
                    return
                }
            case .tooLarge(let head):
                let response = AdminResponse.error(
                    .payloadTooLarge,
                    code: "payload_too_large",
                    message: "the request body is larger than \(configuration.requestBodyBytesMax) bytes"
                )
                record(route: "unmatched", status: response.status)
                try await write(response, for: head, keepAlive: false, to: outbound)
                return
            case .complete(let head, let body):
                connections.beginRequest(channel)
                let response = await respond(to: head, body: body, peerUID: connection.peerUID ?? 0)
                try await write(response, for: head, keepAlive: head.isKeepAlive, to: outbound)
                let closing = connections.endRequest(channel)
                if closing || !head.isKeepAlive { return }
            }
        }
    }

    private func refuseForeignUser(
        _ head: HTTPRequestHead,
        connection: AdminConnection,
        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let uid = connection.peerUID.map { String($0) } ?? "unknown"
        logger.warning(
            "admin request refused: connecting uid is not allowed",
            metadata: ["uid": "\(uid)", "allowed_uid": "\(configuration.allowedUID)", "uri": "\(head.uri)"]
        )
        Counter(label: MetricDefinition.adminRejectedConnections.name, factory: metrics.factory).increment()
        let response = AdminResponse.error(
            .forbidden,
            code: "forbidden",
            message: "uid \(uid) may not use this admin socket; connect as uid \(configuration.allowedUID)"
        )
        try await write(response, for: head, keepAlive: false, to: outbound)
    }

    private func write(
        _ response: AdminResponse,
        for head: HTTPRequestHead,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let (bytes, contentType) = response.encoded
        var headers = response.headers
        headers.replaceOrAdd(name: "content-type", value: contentType)
        headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        try await outbound.write(.head(responseHead))
        if head.method != .HEAD {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        }
        try await outbound.write(.end(nil))
    }

    func record(route: String, status: HTTPResponseStatus) {
        Counter(
            label: MetricDefinition.adminRequests.name,
            dimensions: [("route", route), ("status", String(status.code))],
            factory: metrics.factory
        ).increment()
    }
}
