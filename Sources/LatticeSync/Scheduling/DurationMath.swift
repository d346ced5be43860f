/// Small helpers to do estimator arithmetic in nanoseconds and print durations in reasons.
extension Duration {
    /// Whole nanoseconds as a `Double` (sub-nanosecond parts dropped). Exact below 2^53 ns (104 days).
    var nanosecondsValue: Double {
        let parts = components
        return Double(parts.seconds) * 1e9 + Double(parts.attoseconds / 1_000_000_000)
    }

    /// Whole nanoseconds, saturating at `UInt64` bounds; negative durations give 0.
    var nanosecondsClamped: UInt64 {
        let parts = components
        guard parts.seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(parts.seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max }
        let (sum, overflow2) = whole.addingReportingOverflow(UInt64(max(0, parts.attoseconds / 1_000_000_000)))
        return overflow2 ? UInt64.max : sum
    }

    /// The duration of `ns` nanoseconds, rounded; NaN and negatives give zero, huge values saturate.
    static func nanoseconds(clamping ns: Double) -> Duration {
        guard ns > 0 else { return .zero }
        guard ns < 9.0e18 else { return .nanoseconds(Int64.max) }
        return .nanoseconds(Int64(ns.rounded()))
    }

    /// `"850 µs"`, `"12.5 ms"`, `"3.2 s"`, `"4.0 min"`: short enough for table cells and reasons.
    var humanReadable: String {
        let ns = nanosecondsValue
        if ns < 1e6 { return "\(Int((ns / 1e3).rounded())) µs" }
        if ns < 1e9 { return "\(oneDecimal(ns / 1e6)) ms" }
        if ns < 120e9 { return "\(oneDecimal(ns / 1e9)) s" }
        return "\(oneDecimal(ns / 60e9)) min"
    }
}

/// `x` with one decimal, without Foundation's formatters.
func oneDecimal(_ x: Double) -> String {
    let tenths = Int((x * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

/// A byte count as `"512 B"`, `"64.0 KiB"`, `"1.5 MiB"`.
func humanBytes(_ bytes: UInt64) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return "\(oneDecimal(Double(bytes) / 1024)) KiB" }
    return "\(oneDecimal(Double(bytes) / 1_048_576)) MiB"
}
