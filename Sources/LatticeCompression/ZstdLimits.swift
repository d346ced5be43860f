/// Bounds on what the zstd wrapper accepts and produces.
public enum ZstdLimits {
    /// Largest back-reference window a decoder accepts, as a power of two: 2^23 = 8 MiB.
    /// A frame may ask for up to 2^31; without this cap a peer could make every decoder
    /// allocate that much. Level 19 is the highest level whose window never exceeds 2^23
    /// (zstd's level table), so every frame this wrapper writes decodes under the cap.
    public static let windowLogMax = 23
    /// Highest compression level used. Levels above 19 ("ultra") need windows above
    /// `windowLogMax`, which receivers refuse; requests above it are lowered to it.
    public static let levelMax = 19
    /// Lowest compression level used. Negative levels trade ratio for speed; below -7 the
    /// ratio falls off with little speed left to gain. Requests below it are raised to it.
    public static let levelMin = -7
    /// Largest dictionary accepted. zstd's trainer defaults to 110 KiB; 1 MiB leaves room
    /// while bounding the memory one dictionary (and its digested forms) can take.
    public static let dictionaryBytesMax = 1 << 20
    /// Largest first allocation for decompressed output, whatever the frame header declares.
    /// A header may claim any size up to the caller's limit without containing it; past
    /// this, memory grows only as bytes are actually decoded (doubling, capped by the limit).
    public static let initialCapacityBytesMax = 4 << 20
}
