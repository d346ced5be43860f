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
    /// One step of digest repair session `session` (range-based set reconciliation over
    /// (key, state hash); see `RepairSession`). The initiator picks the session id.
    case repair(tenant: String, session: UInt64, RepairMessage)
    /// States a finished repair session found the peer lacks or holds differently, each with
    /// its key context; `last` ends the sender's transfer for the session.
    case repairEntries(tenant: String, session: UInt64, entries: [RepairEntry], last: Bool)

    public var tenant: String {
        switch self {
        case let .summary(t, _, _), let .batch(t, _, _, _), let .push(t, _), let .refused(t, _, _),
            let .repair(t, _, _), let .repairEntries(t, _, _, _):
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
    }

    public var kind: Kind {
        switch self {
        case .summary: .summary
        case .batch: .batch
        case .push: .push
        case .refused: .refused
        case .repair: .repair
        case .repairEntries: .repairEntries
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
    /// Text of a `refused` message.
    public static let refusalTextBytesMax = 1_024
}
