/// Bounds of the digest repair protocol. A decoder rejects any message beyond them, so a
/// peer can make a repair session cost at most these amounts of memory and work.
public enum RepairLimits {
    /// Ranges in one message: 4,096 ranges of at most ~1 KiB bound each keep a message far
    /// below the sync message limit in the common case (bounds are a few bytes).
    public static let rangesPerMessageMax = 4_096
    /// Syndromes (4 bytes each) in one message, strata included: 1 MiB. Computing them costs
    /// the receiver of a `more` one field product per item of the range and syndrome.
    public static let syndromesPerMessageMax = 262_144
    /// Syndromes `more` requests in one message may ask for in all: half the syndromes limit,
    /// so the answers fit in one message with room for cuts.
    public static let moreSyndromesPerMessageMax = syndromesPerMessageMax / 2
    /// Syndromes of one range's sketch, extensions included: a sketch decodes at most one
    /// fewer differences. Decoding costs O(capacity²) products for Berlekamp–Massey and
    /// O(capacity² · 32 · log capacity) for the roots: about 10 ms at 128 in a release build,
    /// so a message of the most syndromes costs its receiver at most about 20 s of decoding.
    public static let sketchCapacityMax = 128
    /// Strata levels and the capacity of each: 32 levels sample down to 2^-32 of the items.
    public static let strataLevelsMax = 32
    public static let strataCapacityMax = 64
    /// Positions in one `found` payload: at most what a decoded strata or sketch can name
    /// (levels × (capacity − 1) < 2,048), and in one message (a sketch per range, each naming
    /// fewer than its capacity).
    public static let foundPerRangeMax = 2_048
    public static let foundPerMessageMax = rangesPerMessageMax * sketchCapacityMax
    /// Messages one session may receive. Stops a peer that never finishes; a session needing
    /// more is better served by a full state transfer.
    public static let roundsMax = 4_096
}
