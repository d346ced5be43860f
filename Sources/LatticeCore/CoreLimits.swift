/// Limits on everything LatticeCore accepts. Decoders check each one before allocating,
/// so malformed input costs at most these amounts of memory.
public enum CoreLimits {
    /// Key names, in UTF-8 bytes. Keys are identifiers, not payloads; 1 KiB is generous
    /// and keeps index entries small.
    public static let keyBytesMax = 1024
    /// Map field names, in UTF-8 bytes (same reasoning as keys).
    public static let fieldBytesMax = 1024
    /// One string or byte-string scalar. Larger blobs belong in a blob store, and this
    /// keeps any one register comfortably inside a 16 MiB wire frame.
    public static let scalarBytesMax = 1 << 20
    /// Maps inside maps. Bounds decoder recursion (stack) as well as operation depth.
    public static let nestingDepthMax = 8
    /// Entries in one collection (counter entries, register entries, set members, map
    /// fields): 2^21, room for the million-element benchmarks.
    public static let collectionCountMax = 1 << 21
    /// The largest dot counter. A replica issuing a million writes a second takes 146,000
    /// years to get there; a peer claiming more is lying, and keeping counters below 2^62
    /// keeps every `counter + 1` in this codebase from overflowing.
    public static let counterMax: UInt64 = 1 << 62
    /// Dots a tenant's causal context may hold out of order (its cloud). Deltas and
    /// batches that would grow it past this are refused: a peer must not be able to make a
    /// context, which is stored and sent whole, arbitrarily large.
    public static let cloudDotsMax = 65_536
    /// Distinct replica ids one tenant's context may name: every data directory that ever
    /// wrote to the tenant. 16,384 covers a large edge fleet with room for re-installs, and
    /// bounds a stored context (with a full cloud) to about 1.3 MB.
    public static let replicasPerTenantMax = 16_384
    /// Dots in one encoded value or context cloud.
    public static let dotsMax = 1 << 22
    /// Distinct replica ids in one encoding.
    public static let replicasMax = 1 << 16
    /// One encoded value, context or delta.
    public static let encodedBytesMax = 64 << 20
}
