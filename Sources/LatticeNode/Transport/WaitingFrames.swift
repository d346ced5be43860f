import LatticeWire
import NIOCore

/// Outbound frames a connection holds, still unsealed, while its channel is not writable.
///
/// Sealing a frame makes a second, encrypted copy of it. Sealing every frame as soon as it
/// is written let a fast writer queue hundreds of sealed 64 KiB frames in NIO before the
/// channel's writability reached it (measured: over 1 GiB resident in `lattice bench wire`,
/// each frame in a freshly faulted-in buffer). Held here, a waiting frame costs only the
/// reference to a payload its writer already holds, and sealing happens as the socket
/// drains, into the few buffers `OutboundBufferPool` keeps.
///
/// Event-loop confined, like the handler that owns it. The queue is bounded by the
/// writer's own backpressure: `NIOAsyncChannel`'s writer stops once the channel reports
/// it is not writable.
struct WaitingFrames {
    struct Entry {
        let frame: WireFrame
        let promise: EventLoopPromise<Void>?
        /// A flush was requested after this frame was written.
        var flushed: Bool
    }

    private var entries = CircularBuffer<Entry>()
    /// Entries at the front that a flush already covers.
    private var flushedCount = 0

    var isEmpty: Bool { entries.isEmpty }

    mutating func append(_ frame: WireFrame, promise: EventLoopPromise<Void>?) {
        entries.append(Entry(frame: frame, promise: promise, flushed: false))
    }

    /// Every frame waiting now is to be flushed as soon as it is sealed.
    mutating func markFlushed() { flushedCount = entries.count }

    mutating func popFirst() -> Entry? {
        guard var entry = entries.popFirst() else { return nil }
        entry.flushed = flushedCount > 0
        flushedCount = max(flushedCount - 1, 0)
        return entry
    }

    /// Fails and drops every waiting frame (the connection is closing).
    mutating func failAll(_ error: WireError) {
        let failed = entries
        entries.removeAll()
        flushedCount = 0
        for entry in failed { entry.promise?.fail(error) }
    }
}
