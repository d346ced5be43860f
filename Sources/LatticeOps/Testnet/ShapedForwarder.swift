import NIOCore

/// Forwards what one side of a proxied connection reads to the other side, each chunk held
/// until its `LinkShaper` release time. Order is kept (one FIFO queue, one timer for its
/// head). Backpressure: while more than `bufferedBytesMax` bytes are queued or being written,
/// the handler swallows `read()` so the sender's TCP window fills up, and reads again once
/// writes complete. When its side closes, what is queued is still delivered, then the other
/// side is closed.
final class ShapedForwarder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var buffer: ByteBuffer
        var releaseNanoseconds: UInt64
    }

    private let peer: any Channel
    private let eventLoop: any EventLoop
    private var shaper: LinkShaper
    private var generator = SystemRandomNumberGenerator()
    private let bufferedBytesMax: Int
    private let delivered: @Sendable (Int) -> Void
    private var queue = CircularBuffer<Pending>()
    private var bufferedBytes = 0
    private var writesInFlight = 0
    private var readHeld = false
    private var inputClosed = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    /// `delivered` is told the size of every chunk written to `peer` (for the link's
    /// counters). `peer` must be on the same event loop as this handler's channel.
    init(
        peer: any Channel,
        profile: TestnetLinkProfile,
        bufferedBytesMax: Int,
        delivered: @escaping @Sendable (Int) -> Void
    ) {
        self.peer = peer
        self.eventLoop = peer.eventLoop
        self.shaper = LinkShaper(profile: profile)
        self.bufferedBytesMax = bufferedBytesMax
        self.delivered = delivered
    }

    func handlerAdded(context: ChannelHandlerContext) {
        precondition(context.eventLoop === eventLoop, "both sides of a proxied connection share one event loop")
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = NIODeadline.now().uptimeNanoseconds
        let release = shaper.isShaping ? shaper.release(bytes: buffer.readableBytes, at: now, using: &generator) : now
        queue.append(Pending(buffer: buffer, releaseNanoseconds: release))
        bufferedBytes += buffer.readableBytes
        deliverDue()
    }

    func read(context: ChannelHandlerContext) {
        if bufferedBytes >= bufferedBytesMax {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputClosed = true
        closePeerWhenDrained()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Writes every chunk whose release time has come, then arms the timer for the next one.
    private func deliverDue() {
        let now = NIODeadline.now().uptimeNanoseconds
        var wrote = false
        while let head = queue.first, head.releaseNanoseconds <= now {
            queue.removeFirst()
            let size = head.buffer.readableBytes
            let promise = eventLoop.makePromise(of: Void.self)
            writesInFlight += 1
            peer.write(head.buffer, promise: promise)
            promise.futureResult.assumeIsolated().whenComplete { result in
                switch result {
                case .success: self.delivered(size)
                case .failure: self.dropQueue()
                }
                self.written(size)
            }
            wrote = true
        }
        if wrote { peer.flush() }
        armTimer()
    }

    private func armTimer() {
        guard timer == nil, let head = queue.first else { return }
        timer = eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(head.releaseNanoseconds)) {
            self.timer = nil
            self.deliverDue()
        }
    }

    private func written(_ size: Int) {
        bufferedBytes -= size
        writesInFlight -= 1
        if readHeld, bufferedBytes < bufferedBytesMax, let context {
            readHeld = false
            context.read()
        }
        closePeerWhenDrained()
    }

    /// The peer cannot take more (it closed): what is queued will never be delivered.
    private func dropQueue() {
        for pending in queue { bufferedBytes -= pending.buffer.readableBytes }
        queue.removeAll()
        timer?.cancel()
        timer = nil
    }

    private func closePeerWhenDrained() {
        guard inputClosed, queue.isEmpty, writesInFlight == 0 else { return }
        peer.close(promise: nil)
    }
}
