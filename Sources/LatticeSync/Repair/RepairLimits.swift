/// Bounds of the digest repair protocol. A decoder rejects any message beyond them, so a
/// peer can make a repair session cost at most these amounts of memory and work.
public enum RepairLimits {
    /// Ranges in one message: 4,096 ranges of at most ~1 KiB bound each keep a message far
    /// below the sync message limit in the common case (bounds are a few bytes).
    public static let rangesPerMessageMax = 4_096
    /// Syndromes (4 bytes each) in one message, strata included: 1 MiB. Computing them costs
    /// the receiver of a `more` one field product per item of the range and syndrome.
    public static let syndromesPerMessageMax = 262_144
    /// Syndromes of one range's sketch, extensions included: a sketch decodes at most one
    /// fewer differences, and decoding costs O(capacity²) products and root finding
    /// O(capacity² · 32) (a few milliseconds at 256).
    public static let sketchCapacityMax = 256
    /// Strata levels and the capacity of each: 32 levels sample down to 2^-32 of the items.
    public static let strataLevelsMax = 32
    public static let strataCapacityMax = 64
    /// Positions in one `found` payload: at most what a decoded strata or sketch can name
    /// (levels × (capacity − 1) < 2,048), and in one message.
    public static let foundPerRangeMax = 2_048
    public static let foundPerMessageMax = 65_536
    /// Messages one session may receive. Stops a peer that never finishes; a session needing
    /// more is better served by a full state transfer.
    public static let roundsMax = 4_096
}
