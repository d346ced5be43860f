#if canImport(Glibc)
import Glibc
#endif

/// The one thread that writes: it takes the queued writes, runs them in one LMDB write
/// transaction and commits once for all of them (group commit), then acknowledges each.
///
/// With `durable` (the default) the commit's `fdatasync` finishes before any write in the
/// batch is acknowledged. With `relaxed` the environment is opened with `MDB_NOSYNC`, writes
/// are acknowledged after the commit reaches the page cache, and the thread flushes at least
/// every `syncIntervalMs` (a crash can lose that window; a process kill cannot).
///
/// Backpressure: at most `queueDepthMax` writes wait; further writers suspend in ``admit()``
/// until the thread takes a batch, so memory stays bounded however many tasks write.
final class GroupCommitWriter: @unchecked Sendable {
    struct Limits: Sendable {
        var queueDepthMax: Int
        var batchWritesMax: Int
    }

    let environment: LMDBEnvironment
    private let limits: Limits
    fileprivate let relaxedSyncIntervalNs: UInt64?
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var queue: [WriteJob] = []
    private var reserved = 0
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var closing = false
    // Writer thread only.
    fileprivate var unsyncedSinceNs: UInt64?
    private(set) var lastSyncError: StoreError?
    private var thread = pthread_t()

    init(environment: LMDBEnvironment, limits: Limits, relaxedSyncIntervalMs: Int?) {
        self.environment = environment
        self.limits = limits
        relaxedSyncIntervalNs = relaxedSyncIntervalMs.map { UInt64($0) * 1_000_000 }
        let me = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                let writer = Unmanaged<GroupCommitWriter>.fromOpaque(raw!).takeRetainedValue()
                writer.run()
                return nil
            },
            me
        )
        precondition(rc == 0, "cannot start the store's writer thread: \(String(cString: strerror(rc)))")
    }

    /// Reserves a place in the queue, suspending while `queueDepthMax` writes already wait.
    func admit() async throws {
        let admitted: Bool = try lock.withLock {
            guard !closing else { throw closedError() }
            guard queue.count + reserved < limits.queueDepthMax else { return false }
            reserved += 1
            return true
        }
        if admitted { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let immediate: Result<Void, any Error>? = lock.withLock {
                if closing { return .failure(closedError()) }
                if queue.count + reserved < limits.queueDepthMax {
                    reserved += 1
                    return .success(())
                }
                waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// Queues `job` in the place reserved by ``admit()``.
    func submit(_ job: WriteJob) {
        let accepted: Bool = lock.withLock {
            reserved -= 1
            guard !closing else { return false }
            queue.append(job)
            lock.signal()
            return true
        }
        if !accepted { job.complete(.failure(closedError())) }
    }

    /// Commits what is queued, stops the thread and waits for it. Later writes fail with `closed`.
    func close() {
        let parked: [CheckedContinuation<Void, any Error>]? = lock.withLock {
            guard !closing else { return nil }
            closing = true
            lock.signal()
            defer { waiters.removeAll() }
            return waiters
        }
        guard let parked else { return }
        for waiter in parked { waiter.resume(throwing: closedError()) }
        // The store may be released by a write closure on the writer thread itself: then the
        // thread drains and exits on its own, and joining would deadlock.
        if pthread_equal(pthread_self(), thread) == 0 { pthread_join(thread, nil) }
    }

    private func closedError() -> StoreError {
        StoreError(.closed, "the store in \(environment.path) is closed; no further writes are accepted")
    }

    // MARK: The writer thread

    private func run() {
        while let batch = nextBatch() {
            commit(batch)
            if let interval = relaxedSyncIntervalNs, let since = unsyncedSinceNs,
                monotonicNanoseconds() &- since >= interval
            {
                flush()
            }
        }
        flush()
    }

    /// Waits for queued writes and takes up to `batchWritesMax` of them; `nil` once closing
    /// and drained. Flushes a relaxed environment when the queue stays idle.
    private func nextBatch() -> [WriteJob]? {
        lock.lock()
        while queue.isEmpty && !closing {
            if let interval = relaxedSyncIntervalNs, let since = unsyncedSinceNs {
                let deadline = since &+ interval
                if monotonicNanoseconds() >= deadline {
                    lock.unlock()
                    flush()
                    lock.lock()
                    continue
                }
                lock.wait(untilMonotonicNs: deadline)
            } else {
                lock.wait()
            }
        }
        guard !queue.isEmpty else {
            lock.unlock()
            return nil
        }
        let count = min(queue.count, limits.batchWritesMax)
        let batch = Array(queue[..<count])
        queue.removeFirst(count)
        var resumed: [CheckedContinuation<Void, any Error>] = []
        while !waiters.isEmpty && queue.count + reserved < limits.queueDepthMax {
            reserved += 1
            resumed.append(waiters.removeFirst())
        }
        lock.unlock()
        for waiter in resumed { waiter.resume() }
        return batch
    }

    private func flush() {
        guard relaxedSyncIntervalNs != nil, unsyncedSinceNs != nil else { return }
        do {
            try environment.sync()
            unsyncedSinceNs = nil
        } catch {
            lastSyncError = error
        }
    }
}

// MARK: One group commit

extension GroupCommitWriter {
    private enum BodiesOutcome {
        case ran
        case mapFull
        case transactionFull
        case failed(index: Int, error: any Error)
    }

    /// Runs `jobs` in one transaction and commits it. A closure that throws is failed alone and
    /// the rest run again without it; `MDB_MAP_FULL` grows the map and retries; a transaction
    /// too large for LMDB is split in halves. Each job is completed exactly once.
    private func commit(_ jobs: [WriteJob]) {
        var live = jobs
        while !live.isEmpty {
            let txn: WriteTransaction
            do {
                txn = try environment.beginWrite()
            } catch {
                return fail(live, error)
            }
            switch runBodies(live, in: txn) {
            case .ran:
                break
            case .mapFull:
                txn.abort()
                do { try environment.grow() } catch { return fail(live, error) }
                continue
            case .transactionFull:
                txn.abort()
                return split(live, StoreError(.transactionFull, "one write dirtied more pages than LMDB allows"))
            case .failed(let index, let error):
                txn.abort()
                live[index].complete(.failure(error))
                live.remove(at: index)
                continue
            }
            do {
                try txn.commit()
            } catch  where error.code == .mapFull {
                do { try environment.grow() } catch { return fail(live, error) }
                continue
            } catch  where error.code == .transactionFull {
                return split(live, error)
            } catch {
                return fail(live, error)
            }
            if relaxedSyncIntervalNs != nil && unsyncedSinceNs == nil { unsyncedSinceNs = monotonicNanoseconds() }
            for action in txn.afterCommit { action() }
            for job in live { job.complete(.success(())) }
            return
        }
    }

    private func runBodies(_ jobs: [WriteJob], in txn: WriteTransaction) -> BodiesOutcome {
        for (index, job) in jobs.enumerated() {
            var thrown: (any Error)?
            do { try job.body(txn) } catch { thrown = error }
            // An LMDB failure counts even if the closure swallowed it: LMDB poisoned the txn.
            if let failure = txn.failure {
                if failure.code == .mapFull { return .mapFull }
                if failure.code == .transactionFull { return .transactionFull }
                return .failed(index: index, error: thrown ?? failure)
            }
            if let thrown { return .failed(index: index, error: thrown) }
        }
        return .ran
    }

    private func split(_ jobs: [WriteJob], _ error: StoreError) {
        guard jobs.count > 1 else { return fail(jobs, error) }
        let half = jobs.count / 2
        commit(Array(jobs[..<half]))
        commit(Array(jobs[half...]))
    }

    private func fail(_ jobs: [WriteJob], _ error: any Error) {
        for job in jobs { job.complete(.failure(error)) }
    }
}
