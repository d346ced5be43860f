/// One write waiting for a group commit: a synchronous closure over the write transaction,
/// and the completion that acknowledges it.
///
/// Each closure runs in its own transaction nested in the group's, so a closure that throws
/// undoes only its own changes. It may still run more than once: when the map has to grow, the
/// group's transaction is aborted and the closures run again in a fresh one. A closure must
/// therefore change nothing outside the transaction (use ``WriteTransaction/onCommit(_:)`` for
/// in-memory effects), and only its last run counts.
final class WriteJob: @unchecked Sendable {
    // Touched only by the writer thread after submission.
    let body: (WriteTransaction) throws -> Void
    private let completion: (Result<Void, any Error>) -> Void
    private var completed = false

    init(body: @escaping (WriteTransaction) throws -> Void, completion: @escaping (Result<Void, any Error>) -> Void) {
        self.body = body
        self.completion = completion
    }

    /// Acknowledges the write (once). Called after the commit is durable, or with its failure.
    func complete(_ result: Result<Void, any Error>) {
        guard !completed else { return }
        completed = true
        completion(result)
    }
}

/// Holds the value a write closure returned, from the writer thread to the waiting task.
final class ResultBox<T>: @unchecked Sendable {
    // Written by the writer thread before the continuation resumes; read after.
    var value: T?
}
