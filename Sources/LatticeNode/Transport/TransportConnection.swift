import LatticeWire
import NIOCore

/// An admitted, encrypted connection to a peer: whole frames in and out.
///
/// Use it inside `run`, which closes the connection when the body returns or throws:
///
/// ```swift
/// try await connection.run { inbound, outbound in
///     try await outbound.write(WireFrame(type: .ping, payload: []))
///     for try await frame in inbound { … }
/// }
/// ```
public struct TransportConnection: Sendable {
    /// Who is on the other side.
    public let peer: TransportPeer
    let channel: NIOAsyncChannel<WireFrame, WireFrame>

    /// Runs `body` with the inbound frames and the outbound writer, then closes the connection.
    public func run<Result: Sendable>(
        _ body: (
            _ inbound: NIOAsyncChannelInboundStream<WireFrame>,
            _ outbound: NIOAsyncChannelOutboundWriter<WireFrame>
        ) async throws -> Result
    ) async throws -> Result {
        try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }
}

/// A connection whose handshake is still running.
struct PendingConnection: Sendable {
    let channel: NIOAsyncChannel<WireFrame, WireFrame>
    let peer: EventLoopFuture<TransportPeer>

    /// Installs the wire handlers on a fresh channel (on its event loop).
    static func install(
        on channel: any Channel,
        role: WireRole,
        configuration: TransportConfiguration
    ) throws
        -> PendingConnection
    {
        let promise = channel.eventLoop.makePromise(of: TransportPeer.self)
        do {
            let handler = TransportHandler(role: role, configuration: configuration, peerPromise: promise)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ByteToMessageHandler(TransportMessageDecoder(role: role)))
            try pipeline.addHandler(handler)
            let asyncChannel = try NIOAsyncChannel<WireFrame, WireFrame>(
                wrappingChannelSynchronously: channel,
                configuration: .init(
                    backPressureStrategy: .init(lowWatermark: 1, highWatermark: inboundFramesQueuedMax)
                )
            )
            return PendingConnection(channel: asyncChannel, peer: promise.futureResult)
        } catch {
            // The channel closed before its pipeline was set up; the promise must not leak.
            promise.fail(error)
            throw error
        }
    }

    /// Whole inbound frames queued for the application before the connection stops reading
    /// from its socket. With frames up to `frameBytesMax`, this bounds a slow reader's
    /// queue to a few frames' worth of memory.
    static let inboundFramesQueuedMax = 2

    /// Largest single socket read. NIO's default (64 KiB) is one byte short of a full
    /// transport message (65,537 bytes with its prefix), so at full speed every message
    /// took two reads; 256 KiB reads take several messages per system call. NIO starts
    /// small and grows a connection's read buffer only while reads fill it.
    static let receiveBufferBytesMax = 256 * 1024

    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(
        minimum: 64,
        initial: 2048,
        maximum: receiveBufferBytesMax
    )

    /// Waits for the handshake; on failure the channel is already closed by the handler.
    func established() async throws -> TransportConnection {
        do {
            return TransportConnection(peer: try await peer.get(), channel: channel)
        } catch {
            try? await channel.executeThenClose { _, _ in }
            throw error
        }
    }
}
