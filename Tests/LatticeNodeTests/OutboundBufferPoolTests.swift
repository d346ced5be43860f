import NIOCore
import Testing

@testable import LatticeNode

@Suite struct OutboundBufferPoolTests {
    let allocator = ByteBufferAllocator()
    let frameBytes = 65_579

    func storage(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { $0.baseAddress }
    }

    func write(_ pool: inout OutboundBufferPool, byte: UInt8, count: Int) -> ByteBuffer {
        pool.write(capacity: count, allocator: allocator) { (buffer: inout ByteBuffer) in
            buffer.writeRepeatingByte(byte, count: count)
        }
    }

    @Test func pool_reusesABufferOnceNoWriteHoldsIt() {
        var pool = OutboundBufferPool()
        var first: ByteBuffer? = write(&pool, byte: 1, count: frameBytes)
        let address = first.map(storage)
        first = nil
        let second = write(&pool, byte: 2, count: frameBytes)
        #expect(storage(second) == address)
        #expect(pool.count == 1)
        #expect(second.readableBytesView.allSatisfy { $0 == 2 } && second.readableBytes == frameBytes)
    }

    @Test func pool_neverWritesIntoABufferStillHeld() {
        var pool = OutboundBufferPool()
        let held = (1...OutboundBufferPool.buffersMax + 2).map { write(&pool, byte: UInt8($0), count: frameBytes) }
        for (index, buffer) in held.enumerated() {
            #expect(buffer.readableBytes == frameBytes)
            #expect(buffer.readableBytesView.allSatisfy { $0 == UInt8(index + 1) })
        }
        #expect(pool.count == OutboundBufferPool.buffersMax)
        #expect(Set(held.map(storage)).count == held.count)
    }

    @Test func pool_leavesSmallAndHugeFramesOut() {
        var pool = OutboundBufferPool()
        let small = write(&pool, byte: 1, count: OutboundBufferPool.pooledBytesMin - 1)
        let huge = write(&pool, byte: 2, count: OutboundBufferPool.bufferBytes + 1)
        #expect(pool.count == 0)
        #expect(small.readableBytes == OutboundBufferPool.pooledBytesMin - 1)
        #expect(huge.readableBytes == OutboundBufferPool.bufferBytes + 1)
    }
}
