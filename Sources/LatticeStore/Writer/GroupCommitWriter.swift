import Synchronization

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
///
/// Gathering: the writes a group acknowledges usually come back within microseconds (a
/// replication node applying deltas keeps a window of writes in flight). Taking the first to
/// return alone would commit a group of one and make the rest wait a whole commit, so groups
/// settle at about half the writes in flight. After acknowledging a group of `n` writes the thread
/// therefore waits until `n / 2` more writes have arrived (or a full group is queued), but never
/// longer than half that group's commit took, nor ``gatherWaitNsMax``. A lone writer (`n` = 1)
/// never waits.
///
/// Relaxed durability: a failed background flush is counted (``syncFailures``) and fails the
/// next group, so the writer learns that writes it was told about may not be on disk.
final class GroupCommitWriter: @unchecked Sendable {
    /// Longest wait for a group to gather: a fraction of a durable commit on the disks this
    /// runs on (0.1 ms on a good second, 4 ms on a bad one), so it costs little latency and
    /// saves whole commits.
    static let gatherWaitNsMax: UInt64 = 2_000_000

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
    /// Writes submitted so far (wrapping).
    private var submitted = 0
    /// `submitted` when the last group was acknowledged.
    private var submittedAtAck = 0
    /// While the writer gathers: the `submitted` count at which ``submit(_:)`` wakes it.
    private var gatherUntil: Int?
    // Writer thread only.
    fileprivate var unsyncedSinceNs: UInt64?
    /// A background flush failed since the last group; the next group fails with it.
    fileprivate var syncFailure: StoreError?
    private var lastGroupWrites = 0
    private var lastGroupNs: UInt64 = 0
    private var thread = pthread_t()
    /// Group transactions committed so far (for tests and diagnostics).
    let groupCommits = Atomic<Int>(0)
    /// Background flushes of a relaxed environment that failed.
    let syncFailures = Atomic<Int>(0)

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

    /// Writes queued and not yet taken by the writer thread.
    var queuedWrites: Int { lock.withLock { queue.count } }

    /// Queues `job` in the place reserved by ``admit()``.
    func submit(_ job: WriteJob) {
        let accepted: Bool = lock.withLock {
            reserved -= 1
            guard !closing else { return false }
            queue.append(job)
            submitted &+= 1
            if let until = gatherUntil, submitted &- until < 0 && queue.count < limits.batchWritesMax {
                return true  // still gathering: no need to wake the writer yet
            }
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
            let start = monotonicNanoseconds()
            if let failure = syncFailure {
                syncFailure = nil
                fail(batch, failure)
            } else {
                commit(batch)
            }
            lastGroupWrites = batch.count
            lastGroupNs = monotonicNanoseconds() &- start
            lock.withLock { submittedAtAck = submitted }
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
        gatherLocked()
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

    /// With the lock held: waits, briefly, for the writers of the last group to write again
    /// (see "Gathering" above).
    private func gatherLocked() {
        let until = submittedAtAck &+ lastGroupWrites / 2
        let full = min(limits.batchWritesMax, limits.queueDepthMax)
        func gathered() -> Bool { submitted &- until >= 0 || queue.count >= full || !waiters.isEmpty || closing }
        guard !gathered() else { return }
        let deadline = monotonicNanoseconds() &+ min(Self.gatherWaitNsMax, lastGroupNs / 2)
        gatherUntil = until
        defer { gatherUntil = nil }
        while !gathered() && monotonicNanoseconds() < deadline {
            lock.wait(untilMonotonicNs: deadline)
        }
    }

    /// Flushes a relaxed environment. A failure is counted and kept for the next group: after a
    /// failed `fsync` the kernel may have dropped the pages, so retrying cannot promise them.
    private func flush() {
        guard relaxedSyncIntervalNs != nil, unsyncedSinceNs != nil else { return }
        do {
            try environment.sync()
        } catch {
            syncFailures.add(1, ordering: .relaxed)
            syncFailure = StoreError(
                error.code,
                "flushing relaxed-durability writes to disk failed (\(error.message)); writes acknowledged "
                    + "in the last syncIntervalMs may be lost. Check the disk",
                returnCode: error.returnCode
            )
        }
        unsyncedSinceNs = nil
    }
}

// MARK: One group commit

extension GroupCommitWriter {
    /// Why a pass over the jobs stopped before the last one.
    private enum Stop {
        /// The map is full: grow it, then run the surviving jobs again.
        case mapFull
        /// The group's transaction holds as many dirty pages as LMDB allows.
        case transactionFull(StoreError)
    }

    /// What one pass did: the jobs whose nested transaction committed into the group's, how
    /// many jobs it got through (ran or failed), and why it stopped early, if it did.
    private struct Pass {
        var ran: [WriteJob] = []
        var consumed = 0
        var stop: Stop?
    }

    /// Runs `jobs` in one transaction, each in its own nested transaction, and commits once.
    /// A job that throws aborts only its nested transaction and is failed alone; the others are
    /// not run again. `MDB_MAP_FULL` grows the map and runs the surviving jobs again; a group
    /// too large for one transaction commits what ran and continues in the next. Each job is
    /// completed exactly once.
    private func commit(_ jobs: [WriteJob]) {
        var pending = jobs[...]
        while !pending.isEmpty {
            let group: WriteTransaction
            do {
                group = try environment.beginWrite()
            } catch {
                return fail(pending, error)
            }
            let pass = runJobs(pending, in: group)
            let rest = pending[(pending.startIndex + pass.consumed)...]
            switch pass.stop {
            case .mapFull:
                group.abort()
                do { try environment.grow() } catch { return fail(pass.ran + rest, error) }
                pending = (pass.ran + rest)[...]
                continue
            case .transactionFull(let error) where pass.ran.isEmpty:
                // The first job alone is too large for a transaction.
                group.abort()
                rest.first?.complete(.failure(error))
                pending = rest.dropFirst()
                continue
            case .transactionFull, nil:
                break
            }
            do {
                try group.commit()
            } catch  where error.code == .mapFull {
                do { try environment.grow() } catch { return fail(pass.ran + rest, error) }
                pending = (pass.ran + rest)[...]
                continue
            } catch {
                fail(pass.ran, error)
                pending = rest
                continue
            }
            if relaxedSyncIntervalNs != nil && unsyncedSinceNs == nil { unsyncedSinceNs = monotonicNanoseconds() }
            groupCommits.add(1, ordering: .relaxed)
            environment.resetIdleSnapshots()
            for action in group.afterCommit { action() }
            for job in pass.ran { job.complete(.success(())) }
            pending = rest
        }
    }

    /// Runs each job in a transaction nested in `group`, until the jobs run out or the group
    /// cannot take more.
    private func runJobs(_ jobs: ArraySlice<WriteJob>, in group: WriteTransaction) -> Pass {
        var pass = Pass()
        for job in jobs {
            let nested: WriteTransaction
            do {
                nested = try group.beginNested()
            } catch {
                job.complete(.failure(error))
                pass.consumed += 1
                continue
            }
            var thrown: (any Error)?
            do { try job.body(nested) } catch { thrown = error }
            // An LMDB failure counts even if the closure swallowed it: LMDB poisoned the txn.
            if let stop = Self.stop(for: nested.failure) {
                nested.abort()
                pass.stop = stop
                return pass
            }
            if let error = thrown ?? nested.failure {
                nested.abort()
                job.complete(.failure(error))
                pass.consumed += 1
                continue
            }
            do {
                try nested.commit()
            } catch {
                if let stop = Self.stop(for: error) {
                    pass.stop = stop
                    return pass
                }
                job.complete(.failure(error))
                pass.consumed += 1
                continue
            }
            pass.ran.append(job)
            pass.consumed += 1
        }
        return pass
    }

    private static func stop(for failure: StoreError?) -> Stop? {
        switch failure?.code {
        case .mapFull?: .mapFull
        case .transactionFull?: .transactionFull(failure!)
        default: nil
        }
    }

    private func fail(_ jobs: some Sequence<WriteJob>, _ error: any Error) {
        for job in jobs { job.complete(.failure(error)) }
    }
}
