import NIOCore

/// The outbound buffers one connection reuses for its large frames.
///
/// A 64 KiB frame takes 65,579 bytes on the wire (two transport messages), which
/// `ByteBuffer` rounds up to a 128 KiB allocation. glibc serves allocations of that size
/// with `mmap` (or trims them back off the heap when freed), so a fresh buffer per frame
/// costs one page fault and one zeroed page per 4 KiB sent: measured, a quarter of the
/// sending event loop's time. A pooled buffer is faulted in once and then reused as soon
/// as NIO has written it to the socket and dropped its reference (`ByteBuffer` storage is
/// shared, not copied, so the pool sees when it is the only owner left).
///
/// Event-loop confined, like the handler that owns it.
struct OutboundBufferPool {
    /// Capacity of every pooled buffer: what `ByteBuffer` allocates for one 64 KiB frame
    /// anyway (capacities are rounded up to a power of two).
    static let bufferBytes = 128 * 1024

    /// Pooled buffers per connection at most: 16 × 128 KiB = 2 MiB. The pool grows only
    /// while every buffer it holds is still queued in the channel, so it reaches this size
    /// only on a connection that had 16 large frames waiting for the socket at once (a
    /// sender writing frames in batches); a frame that finds none free beyond this gets a
    /// fresh buffer, as without a pool.
    static let buffersMax = 16

    /// Frames needing fewer bytes get a buffer of their own size: malloc serves those from
    /// its free lists without faulting, and a small frame should not pin a 128 KiB buffer.
    static let pooledBytesMin = 16 * 1024

    private var buffers: [ByteBuffer] = []

    /// Buffers held now (for tests).
    var count: Int { buffers.count }

    /// Calls `fill` with an empty buffer of at least `capacity` bytes and returns what it
    /// wrote. The buffer is a pooled one that no pending write still holds when `capacity`
    /// is in the pooled range and one is free (or the pool may grow); otherwise it is
    /// freshly allocated. Nothing `fill` writes is visible to an earlier returned buffer.
    mutating func write<Failure: Error>(
        capacity: Int,
        allocator: ByteBufferAllocator,
        _ fill: (inout ByteBuffer) throws(Failure) -> Void
    ) throws(Failure) -> ByteBuffer {
        guard (Self.pooledBytesMin...Self.bufferBytes).contains(capacity), let index = freeIndex(allocator) else {
            var buffer = allocator.buffer(capacity: capacity)
            try fill(&buffer)
            return buffer
        }
        // Written in place: the pool's reference is the only one, so no copy-on-write.
        try fill(&buffers[index])
        return buffers[index]
    }

    /// A pooled buffer no pending write holds (cleared), or a new one if the pool may grow.
    private mutating func freeIndex(_ allocator: ByteBufferAllocator) -> Int? {
        for index in buffers.indices where buffers[index].modifyIfUniquelyOwned({ $0.clear() }) != nil {
            return index
        }
        guard buffers.count < Self.buffersMax else { return nil }
        buffers.append(allocator.buffer(capacity: Self.bufferBytes))
        return buffers.count - 1
    }
}
