import LatticeCore

/// The messages of `Protocols/sync-v1.md`. Every message names its tenant; a node never
/// sends a peer a message about a tenant that peer may not read.
public enum SyncMessage: Hashable, Sendable {
    /// "This is what I have completed for `tenant`; answer with what I lack." Also tells
    /// the peer our complete vector, which it uses for causal-stability GC.
    /// `round` names this pull; the answer's batches echo it, so a late batch of an
    /// abandoned pull is never mixed into a newer one.
    case summary(tenant: String, round: UInt64, complete: VersionVector)
    /// Slice `sequence` (from 0) of an answer to a summary; the last carries the
    /// completeness marks, which the receiver adopts once every slice has arrived.
    case batch(tenant: String, round: UInt64, sequence: UInt32, SyncBatch)
    /// A fresh local write, pushed eagerly.
    case push(tenant: String, KeyDelta)
    /// A write or request from the peer was refused (only for tenants it may read).
    case refused(tenant: String, code: String, message: String)
    /// One step of digest repair session `session` (set reconciliation with sketches over
    /// (key, state hash); see `RepairSession`). The initiator picks the session id.
    case repair(tenant: String, session: UInt64, RepairMessage)
    /// States a finished repair session found the peer lacks or holds differently, each with
    /// its key context; `last` ends the sender's transfer for the session.
    case repairEntries(tenant: String, session: UInt64, entries: [RepairEntry], last: Bool)
    /// Several fresh local writes of one tenant, oldest first, sent together when the
    /// sender's coalescing window for the peer closes: one frame, compressed as one, instead
    /// of one per write. The receiver handles each delta as a `push`, in order.
    case pushes(tenant: String, [KeyDelta])

    public var tenant: String {
        switch self {
        case let .summary(t, _, _), let .batch(t, _, _, _), let .push(t, _), let .refused(t, _, _),
            let .repair(t, _, _), let .repairEntries(t, _, _, _), let .pushes(t, _):
            t
        }
    }

    /// The registry of `Protocols/sync-v1.md` §3. ONLY APPEND TO THIS LIST.
    public enum Kind: UInt8, Sendable {
        case summary = 1
        case batch = 2
        case push = 3
        case refused = 4
        case repair = 5
        case repairEntries = 6
        case pushes = 7
    }

    public var kind: Kind {
        switch self {
        case .summary: .summary
        case .batch: .batch
        case .push: .push
        case .refused: .refused
        case .repair: .repair
        case .repairEntries: .repairEntries
        case .pushes: .pushes
        }
    }
}

/// Limits on sync messages. Each bounds what a decoder accepts before it allocates.
public enum SyncLimits {
    /// Tenant names, in UTF-8 bytes: identifiers, not data.
    public static let tenantBytesMax = 64
    /// Keys in one batch. Small enough that a batch of typical values fits a few wire
    /// frames; the scheduler picks smaller batches on slow links.
    public static let batchKeysMax = 4_096
    /// One encoded message. Matches the wire's 16 MiB frame limit.
    public static let messageBytesMax = 16 << 20
    /// Batches in one answer: bounds the receiver's record of which have arrived.
    /// 65,536 batches of `batchKeysMax` keys is over 268 million keys.
    public static let batchesPerAnswerMax = 65_536
    /// Deltas in one `pushes` message. A sender coalesces at most this many writes per peer
    /// before it sends them (`NodeLimits.pushesCoalescedMax`); 256 small deltas are a few
    /// tens of KiB, one frame, and a receiver applies them in one step.
    public static let pushesPerMessageMax = 256
    /// Text of a `refused` message.
    public static let refusalTextBytesMax = 1_024
    /// What a sender puts in one batch, `pushes` or `repairEntries` message, in encoded bytes
    /// of its entries: a message closes before the entry that would take it past this (it
    /// always holds one). A quarter of `messageBytesMax`, so keys of up to a few MiB (a 1 MiB
    /// scalar is the largest value a write makes) travel in messages the peer accepts.
    public static let entriesBytesTarget = 4 << 20
}

extension SyncMessage {
    /// Writes queued for one peer, oldest first, as the fewest messages: per tenant (in order of
    /// first appearance), `pushes` of at most `SyncLimits.pushesPerMessageMax` deltas and
    /// `SyncLimits.entriesBytesTarget` encoded bytes each, and a lone delta as a plain `push`.
    /// Each tenant's deltas keep their order.
    public static func coalescing(_ queued: [(tenant: String, delta: KeyDelta)]) -> [SyncMessage] {
        var order: [String] = []
        var byTenant: [String: [KeyDelta]] = [:]
        for (tenant, delta) in queued {
            if byTenant[tenant] == nil { order.append(tenant) }
            byTenant[tenant, default: []].append(delta)
        }
        var messages: [SyncMessage] = []
        for tenant in order {
            var chunk: [KeyDelta] = []
            var bytes = 0
            func flush() {
                guard !chunk.isEmpty else { return }
                messages.append(chunk.count == 1 ? .push(tenant: tenant, chunk[0]) : .pushes(tenant: tenant, chunk))
                chunk = []
                bytes = 0
            }
            for delta in byTenant[tenant]! {
                let size = SyncCodec.pushBytes(delta)
                if chunk.count == SyncLimits.pushesPerMessageMax || bytes + size > SyncLimits.entriesBytesTarget {
                    flush()
                }
                chunk.append(delta)
                bytes += size
            }
            flush()
        }
        return messages
    }
}
