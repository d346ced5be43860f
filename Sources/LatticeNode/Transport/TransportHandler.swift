import LatticeWire
import Logging
import NIOCore

/// Runs one connection of the wire protocol: the Noise XX handshake under a deadline, the
/// admission check, then encrypted frames both ways.
///
/// Sits behind `ByteToMessageHandler(TransportMessageDecoder)`; reads length-delimited
/// messages, emits whole `WireFrame`s, and accepts `WireFrame`s to send. All protocol
/// decisions are made by `HandshakeDriver` and `TransportSession` (pure); this handler only
/// carries them out. Any error closes this connection and nothing else.
final class TransportHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WireFrame
    typealias OutboundIn = WireFrame
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle(HandshakeDriver)
        case handshaking(HandshakeDriver)
        /// Initiator only: the handshake is done; waiting for the responder's admission message.
        case awaitingAdmission(TransportSession, TransportPeer)
        case established(TransportSession, TransportPeer)
        case closed
    }

    private var state: State
    private let role: WireRole
    private let configuration: TransportConfiguration
    private let peerPromise: EventLoopPromise<TransportPeer>
    private var peerPromisePending = true
    private var deadline: Scheduled<Void>?
    private var address = "unknown"
    private var remoteKey: [UInt8]?
    private var handshakeMessagesRead = 0
    /// Set by the first failure: one log line and one count per connection.
    private var failed = false
    /// Reused buffers for large outbound frames.
    private var outboundBuffers = OutboundBufferPool()
    /// Frames written while the channel was not writable, sealed once it is.
    private var waiting = WaitingFrames()

    init(role: WireRole, configuration: TransportConfiguration, peerPromise: EventLoopPromise<TransportPeer>) {
        self.role = role
        self.configuration = configuration
        self.peerPromise = peerPromise
        let noise = configuration.makeHandshake(role)
        self.state = .idle(HandshakeDriver(role: role, handshake: noise, configuration: configuration.handshake))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    /// Arms the deadline and, for the initiator, sends handshake message 1.
    private func start(context: ChannelHandlerContext) {
        guard case .idle(var driver) = state else { return }
        address = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
        let timeout = configuration.handshakeTimeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            let ms = timeout.nanoseconds / 1_000_000
            self.fail(
                context: context,
                WireError(
                    .handshakeTimeout,
                    "handshake not finished within \(ms) ms; the peer is stalled, too slow, or not a Lattice node"
                )
            )
        }
        state = .handshaking(driver)
        guard role == .initiator else { return }
        do {
            let message = try driver.start()
            state = .handshaking(driver)
            send(message, context: context, flush: true)
        } catch {
            fail(context: context, error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        switch state {
        case .handshaking(let driver):
            readHandshake(Array(message.readableBytesView), driver: driver, context: context)
        case .awaitingAdmission(var session, let peer), .established(var session, let peer):
            let awaiting: Bool
            if case .awaitingAdmission = state { awaiting = true } else { awaiting = false }
            state = .closed  // `session` is now the only owner of its buffers
            do throws(WireError) {
                // Decrypted straight from the receive buffer.
                let frames = try message.withUnsafeReadableBytes { raw -> Result<[WireFrame], WireError> in
                    do throws(WireError) { return .success(try session.open(raw)) } catch { return .failure(error) }
                }.get()
                state = .established(session, peer)
                if awaiting { admitted(peer) }
                try deliver(frames, context: context)
            } catch {
                fail(context: context, error)
            }
        case .idle, .closed:
            break
        }
    }

    private func readHandshake(_ message: [UInt8], driver: HandshakeDriver, context: ChannelHandlerContext) {
        var driver = driver
        state = .closed
        handshakeMessagesRead += 1
        do throws(WireError) {
            defer { remoteKey = driver.remoteStaticKey }
            switch try driver.receive(message) {
            case .reply(let reply):
                state = .handshaking(driver)
                send(reply, context: context, flush: true)
            case .established(let reply, let established):
                if let reply { send(reply, context: context, flush: true) }
                try handshakeDone(established, context: context)
            case .refuse(let reply, let error):
                refuse(with: reply, error, context: context)
            }
        } catch {
            fail(context: context, error)
        }
    }

    /// Responder: admit at once by sending an empty transport message. Initiator: wait for it.
    private func handshakeDone(_ established: EstablishedSession, context: ChannelHandlerContext) throws(WireError) {
        var session = established.session
        let peer = TransportPeer(
            staticKey: established.remoteStaticKey,
            version: established.version,
            capabilities: established.remoteCapabilities,
            address: address
        )
        guard role == .responder else {
            state = .awaitingAdmission(session, peer)
            return
        }
        send(try session.sealMessage([]), context: context, flush: true)
        state = .established(session, peer)
        admitted(peer)
    }

    private func admitted(_ peer: TransportPeer) {
        deadline?.cancel()
        deadline = nil
        configuration.counters.recordHandshake()
        configuration.logger.debug(
            "transport: peer admitted",
            metadata: ["peer": "\(address)", "peer_key": "\(keyPrefix(peer.staticKey))", "version": "\(peer.version)"]
        )
        peerPromisePending = false
        peerPromise.succeed(peer)
    }

    /// Answers pings itself and passes every other frame on.
    private func deliver(_ frames: [WireFrame], context: ChannelHandlerContext) throws(WireError) {
        for frame in frames {
            guard frame.type == .ping else {
                context.fireChannelRead(wrapInboundOut(frame))
                continue
            }
            guard frame.payload.count <= WireLimits.pingPayloadBytesMax else {
                throw WireError(
                    .frameTooLarge,
                    "ping payload is \(frame.payload.count) bytes, above pingPayloadBytesMax "
                        + "(\(WireLimits.pingPayloadBytesMax))"
                )
            }
            // A peer that pings but does not read would grow the outbound buffer without bound:
            // while the socket is full, its pings go unanswered (a pong is only a liveness hint).
            guard context.channel.isWritable else { continue }
            try seal(WireFrame(type: .pong, payload: frame.payload), context: context, promise: nil)
            context.flush()
        }
    }

    /// Seals the frame now if the channel is writable, else queues it (unsealed) until it is.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        guard case .established = state, !waiting.isEmpty || !context.channel.isWritable else {
            sealOrRefuse(frame, context: context, promise: promise)
            return
        }
        waiting.append(frame, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        waiting.markFlushed()
        context.flush()
    }

    /// Seals waiting frames while the socket takes them, then lets the writer know.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        var flush = false
        while context.channel.isWritable, let next = waiting.popFirst() {
            sealOrRefuse(next.frame, context: context, promise: next.promise)
            flush = flush || next.flushed
        }
        if flush { context.flush() }
        context.fireChannelWritabilityChanged()
    }

    private func sealOrRefuse(_ frame: WireFrame, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        do throws(WireError) {
            try seal(frame, context: context, promise: promise)
        } catch {
            promise?.fail(error)  // the frame was refused before anything was encrypted
            if error.code == .state { fail(context: context, error) }
        }
    }

    /// Encrypts `frame` into transport messages and writes them (without flushing).
    private func seal(
        _ frame: WireFrame,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>?
    )
        throws(WireError)
    {
        guard case .established(var session, let peer) = state else {
            throw WireError(.state, "cannot send a frame: the connection is not established (or closed)")
        }
        state = .closed  // `session` is now the only owner of its buffers
        // One buffer (and one socket write) per frame: every message is `u16 length | ciphertext`,
        // encrypted in place in the buffer, which large frames take from the pool.
        let messages = (2 + frame.payload.count + FrameHeader.byteCount) / WireLimits.transportPlaintextBytesMax + 1
        let capacity = frame.payload.count + FrameHeader.byteCount + messages * (2 + WireLimits.transportTagBytes)
        let buffer: ByteBuffer
        do {
            buffer = try outboundBuffers.write(capacity: capacity, allocator: context.channel.allocator) {
                pooled throws(WireError) in
                var out = OutboundMessages(buffer: pooled)
                pooled = ByteBuffer()  // `out` is now the only owner, so it writes in place
                defer { pooled = out.buffer }
                try session.seal(frame, into: &out)
            }
        } catch {
            state = .established(session, peer)
            throw error
        }
        state = .established(session, peer)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let wire = error as? WireError ?? WireError(.connection, "socket error: \(error)")
        fail(context: context, wire)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking, .awaitingAdmission:
            let admission = role == .initiator && handshakeMessagesRead > 0
            let hint =
                admission
                ? "; the peer may not have this node's key in its config, or runs another network"
                : ""
            fail(
                context: context,
                WireError(
                    .truncated,
                    "peer closed the connection during the handshake after \(handshakeMessagesRead) message(s)\(hint)"
                )
            )
        case .established(let session, _) where !session.isAtFrameBoundary:
            fail(
                context: context,
                WireError(
                    .truncated,
                    "peer closed the connection in the middle of a frame (\(session.reassemblyBytes) bytes held)"
                )
            )
        case .established, .closed:
            state = .closed
        }
        waiting.failAll(WireError(.connection, "the connection closed before the frame was sent"))
        context.fireChannelInactive()
    }

    /// A handler removed before the handshake ended (the channel closed before it became active,
    /// or the pipeline was torn down) must still settle the peer promise.
    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        waiting.failAll(WireError(.connection, "the connection closed before the frame was sent"))
        if peerPromisePending {
            peerPromisePending = false
            peerPromise.fail(WireError(.connection, "the connection closed before its handshake completed"))
        }
    }

    /// `HOST:PORT` (`[HOST]:PORT` for IPv6), as operators write addresses in config.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Logs, counts, and closes this connection (once).
    private func fail(context: ChannelHandlerContext, _ error: WireError) {
        guard !failed else { return }
        failed = true
        state = .closed
        deadline?.cancel()
        deadline = nil
        configuration.logger.warning(
            "transport: connection closed: \(error.message)",
            metadata: [
                "peer": "\(address)",
                "peer_key": "\(remoteKey.map(keyPrefix) ?? "unknown")",
                "reason": "\(error.code)",
                "role": "\(role)",
            ]
        )
        configuration.counters.recordFailure(error.code)  // after the log line: tests poll the counter
        waiting.failAll(error)
        if peerPromisePending {
            peerPromisePending = false
            peerPromise.fail(error)
        }
        context.close(promise: nil)
    }

    /// Sends message 2 so the initiator learns why, then closes.
    private func refuse(with reply: [UInt8], _ error: WireError, context: ChannelHandlerContext) {
        let buffer = prefixed(reply, context: context)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            self.fail(context: context, error)
        }
    }

    private func send(_ message: [UInt8], context: ChannelHandlerContext, flush: Bool) {
        let buffer = prefixed(message, context: context)
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }

    private func prefixed(_ message: [UInt8], context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: 2 + message.count)
        buffer.writeInteger(UInt16(message.count))
        buffer.writeBytes(message)
        return buffer
    }
}

/// A frame's outbound transport messages, written where NIO will send them from.
private struct OutboundMessages: TransportMessageBuffer {
    var buffer: ByteBuffer

    mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            fill(UnsafeMutableRawBufferPointer(rebasing: raw[..<count]))
            return count
        }
    }
}
