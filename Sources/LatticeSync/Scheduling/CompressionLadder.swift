/// Which zstd level a round should use, from the link's goodput.
///
/// Compression pays when compressing a batch costs less time than sending the bytes it saves.
/// zstd's fast levels compress at hundreds of MB/s per core (facebook/zstd README, benchmark
/// table), so on a link that already moves ~100 MB/s (loopback, 10 GbE) sending raw is as fast and
/// spends no CPU. Each tenfold drop in goodput makes a byte ten times dearer relative to CPU, so
/// the ladder climbs one step per decade:
///
/// | goodput             | level | typical link                  |
/// |---------------------|-------|-------------------------------|
/// | ≥ 100 MB/s          | 0     | loopback: no compression      |
/// | ≥ 10 MB/s           | 1     | LAN                           |
/// | ≥ 1 MB/s            | 3     | good WAN (zstd's default)     |
/// | ≥ 100 kB/s          | 6     | slow WAN                      |
/// | below               | 9     | cellular / metered edge links |
///
/// Levels above 9 cost several times the CPU for a few percent of ratio, so the ladder stops
/// there; a preset may still raise its floor or lower its ceiling (``SchedulePreset/compressionLevelMin``,
/// ``SchedulePreset/compressionLevelMax``). Level 0 here means "do not compress" (in the zstd C API 0
/// would mean "default level"; the compression wrapper must map it to sending raw frames).
/// These thresholds are a starting point; re-measure them with `lattice bench` on target hardware.
public enum CompressionLadder {
    /// `(goodput at least, level)` steps, fastest link first.
    public static let steps: [(goodputBytesPerSecondMin: Double, level: Int)] = [
        (100e6, 0),
        (10e6, 1),
        (1e6, 3),
        (100e3, 6),
        (0, 9),
    ]

    /// The highest level zstd accepts without "ultra" mode; presets may not exceed it.
    public static let levelMax = 19

    /// The level for a link with this goodput, clamped to `[levelMin, levelMax]`.
    public static func level(goodputBytesPerSecond: Double, levelMin: Int, levelMax: Int) -> Int {
        let step = steps.first { goodputBytesPerSecond >= $0.goodputBytesPerSecondMin } ?? steps[steps.count - 1]
        return min(max(step.level, levelMin), levelMax)
    }
}
