/// Bounds of the digest repair protocol. A decoder rejects any message beyond them, so a
/// peer can make a repair session cost at most these amounts of memory and work.
public enum RepairLimits {
    /// Ranges in one message: 4,096 ranges of at most ~1 KiB bound each keep a message
    /// far below the frame limit in the common case (bounds are a few bytes) and bound
    /// the fingerprint work one message can request.
    public static let rangesPerMessageMax = 4_096
    /// Item hashes in one message (8 bytes each): 16,384 is 128 KiB of hashes.
    public static let itemsPerMessageMax = 16_384
    /// Items in one range's item list or need bitmap. A side sends its items only for a
    /// range at or below its items threshold, which must not exceed this.
    public static let rangeItemsMax = 256
    /// Messages one session may receive. Each round resolves at least one range level
    /// (at most log_b(n) levels for n keys) or a full message of ranges; a session
    /// needing more is better served by a full state transfer. Stops a peer that never
    /// finishes.
    public static let roundsMax = 4_096
    /// Splitting a mismatching range into more than this many parts buys few rounds and
    /// costs bytes: the message cost per difference grows with the branching factor.
    public static let branchingMax = 64
}
