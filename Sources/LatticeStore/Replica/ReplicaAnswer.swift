import LatticeCore
import LatticeSync

/// An answer to a peer's complete vector, in progress on this (the sending) side.
///
/// Small on purpose: the peer's vector, the marks captured when the answer started, and a
/// cursor into the version index — never the list of keys, so answering a peer that lacks a
/// million keys holds no million names. Each ``ReplicaStore/nextBatch(of:limit:)`` reads the
/// keys' current states in one snapshot.
///
/// **Order.** Keys come in version-index order: by origin replica id (as bytes), then by that
/// origin's counter in the key version, then by the key's name hash; a key that several origins
/// touched is sent in the scan of the first such origin (see `ReplicaReader.answerBatch`). The
/// receiver does not depend on the order. A key changed while the answer runs may be sent twice
/// (joining is idempotent) and is sent with its newer state.
public struct ReplicaAnswer: Sendable {
    public let tenant: String
    /// What the peer has completed: every key with a key version entry above it is sent.
    let peer: VersionVector
    /// The sender's context and complete vector when the answer started (`Protocols/sync-v1.md`
    /// §2: a key the cursor already passed may change later, and its new dots are not sent).
    let mark: SyncBatch.Mark
    /// The version-index key the next batch starts at (inclusive); `nil` before the first batch.
    var position: [UInt8]?
    /// Whether the batch carrying the marks has been cut.
    public internal(set) var isFinished = false

    /// How many values the answer holds (vector entries, cloud dots and cursor bytes):
    /// O(origins), independent of how many keys the answer sends.
    public var heldElements: Int {
        peer.count + mark.complete.count + mark.context.vector.count + mark.context.cloud.count
            + (position?.count ?? 0)
    }
}

extension ReplicaStore {
    /// Starts answering a peer whose complete vector is `peer` on `tenant`: every key whose key
    /// version has an entry above `peer`. Captures the marks now; reads no keys yet.
    public func answer(tenant: String, to peer: VersionVector) throws -> ReplicaAnswer {
        let mark = try store.read { r in
            let reader = try ReplicaReader(r, tenant: tenant)
            return SyncBatch.Mark(context: try reader.context(), complete: try reader.complete())
        }
        return ReplicaAnswer(tenant: tenant, peer: peer, mark: mark)
    }

    /// The next batch of `answer`: at most `limit` keys with their states as they are now, the
    /// context as it is now, and — on the last batch — the marks. One range scan per origin over
    /// the version index (O(difference)), continued from where the previous batch stopped.
    /// After the last batch, returns an empty batch with the marks again.
    public func nextBatch(of answer: inout ReplicaAnswer, limit: Int) throws -> SyncBatch {
        guard (1...SyncLimits.batchKeysMax).contains(limit) else {
            throw StoreError(
                .limitExceeded,
                "a sync batch of \(limit) keys was asked for; batches hold 1...\(SyncLimits.batchKeysMax) keys "
                    + "(SyncLimits.batchKeysMax)"
            )
        }
        let current = answer
        let (batch, next) = try store.read { r in
            let reader = try ReplicaReader(r, tenant: current.tenant)
            let context = try reader.context()
            if current.isFinished {
                return (SyncBatch(entries: [], senderContext: context, mark: current.mark), current.position)
            }
            let (entries, next) = try reader.answerBatch(current, limit: limit)
            return (SyncBatch(entries: entries, senderContext: context, mark: next == nil ? current.mark : nil), next)
        }
        answer.position = next
        answer.isFinished = batch.mark != nil
        return batch
    }
}
