import Synchronization

/// The node's event queue: many producers (connections, timers, API calls), one consumer (the
/// node's loop), which takes events in batches so one durable commit covers many of them.
///
/// Network input is bounded: ``postAwaitingRoom(_:)`` suspends a connection's reader while the
/// queue holds ``NodeLimits/inboxEventsMax`` events, which stops reading from that socket (TCP
/// backpressure) instead of growing memory.
final class NodeInbox<Event: Sendable>: Sendable {
    private struct State {
        var events: [Event] = []
        var consumer: CheckedContinuation<Bool, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues `event` whatever the queue's length (API calls, timers: few and small).
    func post(_ event: Event) {
        let consumer = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            guard !s.closed else { return nil }
            s.events.append(event)
            defer { s.consumer = nil }
            return s.consumer
        }
        consumer?.resume(returning: true)
    }

    /// Queues `event` once the queue has room (network input).
    func postAwaitingRoom(_ event: Event) async {
        while true {
            let full = state.withLock { $0.events.count >= capacity && !$0.closed }
            guard full else { break }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    guard s.events.count >= capacity && !s.closed else { return true }
                    s.producers.append(c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
        post(event)
    }

    /// Up to `limit` events, waiting for at least one; `nil` once closed and drained.
    func take(limit: Int) async -> [Event]? {
        while true {
            let (batch, waiters, closed) = state.withLock { s -> ([Event], [CheckedContinuation<Void, Never>], Bool) in
                let n = min(limit, s.events.count)
                let batch = Array(s.events.prefix(n))
                s.events.removeFirst(n)
                let waiters = s.events.count < capacity ? s.producers : []
                if !waiters.isEmpty { s.producers = [] }
                return (batch, waiters, s.closed)
            }
            for w in waiters { w.resume() }
            if !batch.isEmpty { return batch }
            if closed { return nil }
            let open = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let resumeNow = state.withLock { s -> Bool? in
                    if !s.events.isEmpty { return true }
                    if s.closed { return false }
                    s.consumer = c
                    return nil
                }
                if let resumeNow { c.resume(returning: resumeNow) }
            }
            if !open { return nil }
        }
    }

    /// Stops accepting events; the consumer gets what is queued, then `nil`.
    func close() {
        let (consumer, producers) = state.withLock { s in
            s.closed = true
            defer {
                s.consumer = nil
                s.producers = []
            }
            return (s.consumer, s.producers)
        }
        consumer?.resume(returning: false)
        for p in producers { p.resume() }
    }
}
