/// Events ordered by virtual time, ties broken by insertion order, so a run is a pure
/// function of its seed.
struct EventQueue {
    enum Event {
        case deliver(from: Int, to: Int, bytes: [UInt8])
        case tick(Int)
        case write(Int)
        case cut(Int, Int)
        case heal(Int, Int)
        case crash(Int)
        case restart(Int)
        case endFaults
        /// An adaptive scheduler's tick; stale when a newer one was scheduled.
        case scheduledTick(Int, generation: UInt64)
        /// The scheduler's deadline for node's round with peer that started at `startedAt`.
        case roundTimeout(Int, peer: Int, startedAt: UInt64)

    }

    private var heap: [(time: UInt64, seq: UInt64, event: Event)] = []
    private var seq: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func push(_ event: Event, at time: UInt64) {
        seq += 1
        heap.append((time, seq, event))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: UInt64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < heap.count && Self.before(heap[l], heap[m]) { m = l }
            if r < heap.count && Self.before(heap[r], heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.event)
    }

    private static func before(
        _ a: (time: UInt64, seq: UInt64, event: Event),
        _ b: (time: UInt64, seq: UInt64, event: Event)
    )
        -> Bool
    {
        (a.time, a.seq) < (b.time, b.seq)
    }
}
