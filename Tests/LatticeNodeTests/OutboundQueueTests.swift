import LatticeWire
import Testing

@testable import LatticeNode

@Suite struct OutboundQueueTests {
    static func frame(_ bytes: Int) -> WireFrame {
        WireFrame(type: .sync, payload: [UInt8](repeating: 7, count: bytes))
    }

    @Test("a peer that does not read can make the node queue only so many bytes for it, however few the frames")
    func queue_isBoundedByBytes() {
        let queue = OutboundQueue(framesMax: 100, bytesMax: 10_000)
        for _ in 0..<2 { #expect(queue.enqueue(Self.frame(4_000))) }
        #expect(!queue.enqueue(Self.frame(4_000)), "12,000 bytes would pass the 10,000-byte bound")
        #expect(queue.bytesQueued == 8_000, "a refused frame is not counted")
        #expect(queue.enqueue(Self.frame(2_000)))
    }

    @Test("frames the writer took free their bytes; the frame bound still holds")
    func dequeuedFrames_freeTheirBytes() async {
        let queue = OutboundQueue(framesMax: 3, bytesMax: 10_000)
        for _ in 0..<2 { #expect(queue.enqueue(Self.frame(4_000))) }
        var iterator = queue.frames.makeAsyncIterator()
        let first = await iterator.next()!
        queue.dequeued(first)
        #expect(queue.bytesQueued == 4_000)
        #expect(queue.enqueue(Self.frame(4_000)))
        #expect(queue.enqueue(Self.frame(1)))
        #expect(!queue.enqueue(Self.frame(1)), "three frames queued: the frame bound")
        queue.finish()
    }
}
