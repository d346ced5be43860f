#if canImport(Glibc)
import Glibc
#endif

/// One benchmark figure. Every Lattice benchmark reports through this type so that
/// `lattice bench … --json` has one format across suites:
///
/// ```
/// {"name":"store.put.durable","value":81234.5,"unit":"ops/s","baseline":"lmdb.put.batched","baseline_value":120000.0,"ratio":0.677}
/// ```
///
/// `baseline`, `baseline_value` and `ratio` appear only for comparisons, and the
/// baseline is always measured in the same run on the same machine, because these
/// machines are too noisy for absolute numbers to mean much on their own.
public struct BenchMeasurement: Sendable, Equatable {
    public var name: String
    public var value: Double
    public var unit: String
    public var baseline: String?
    public var baselineValue: Double?

    public init(name: String, value: Double, unit: String) {
        self.name = name
        self.value = value
        self.unit = unit
    }

    /// A figure compared with `baselineValue`, measured in the same run.
    public init(name: String, value: Double, unit: String, baseline: String, baselineValue: Double) {
        self.init(name: name, value: value, unit: unit)
        self.baseline = baseline
        self.baselineValue = baselineValue
    }

    /// `value / baselineValue`, when there is a baseline.
    public var ratio: Double? {
        guard let baselineValue, baselineValue != 0 else { return nil }
        return value / baselineValue
    }

    /// One JSON object, no trailing newline.
    public var jsonLine: String {
        var fields = ["\"name\":\(jsonString(name))", "\"value\":\(jsonNumber(value))", "\"unit\":\(jsonString(unit))"]
        if let baseline, let baselineValue {
            fields.append("\"baseline\":\(jsonString(baseline))")
            fields.append("\"baseline_value\":\(jsonNumber(baselineValue))")
            if let ratio { fields.append("\"ratio\":\(jsonNumber(ratio))") }
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}

/// Prints measurements as they arrive, either as JSON lines or as an aligned table.
public struct BenchPrinter {
    public enum Format: Sendable { case table, json }

    public let format: Format
    private var printedHeader = false

    public init(format: Format) { self.format = format }

    static let columns: [(title: String, width: Int)] = [
        ("name", 40), ("value", 14), ("unit", 10), ("baseline", 28), ("baseline value", 14), ("ratio", 7),
    ]

    public mutating func emit(_ m: BenchMeasurement) {
        switch format {
        case .json:
            print(m.jsonLine)
        case .table:
            if !printedHeader {
                print(Self.row(Self.columns.map(\.title)))
                print(Self.row(Self.columns.map { String(repeating: "-", count: $0.width) }))
                printedHeader = true
            }
            print(
                Self.row([
                    m.name, formatValue(m.value), m.unit, m.baseline ?? "",
                    m.baselineValue.map(formatValue) ?? "", m.ratio.map { formatFixed($0, 3) } ?? "",
                ])
            )
        }
        fflush(nil)  // flush every output stream; stdout is not concurrency-safe to name
    }

    private static func row(_ cells: [String]) -> String {
        zip(cells, columns).map { cell, col in
            cell.count >= col.width ? cell : cell + String(repeating: " ", count: col.width - cell.count)
        }.joined(separator: " ").trimmingTrailingSpaces()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

private func formatValue(_ v: Double) -> String {
    if v >= 1000 { return formatFixed(v, 0) }
    if v >= 10 { return formatFixed(v, 1) }
    return formatFixed(v, 3)
}

/// Fixed-point formatting without Foundation.
func formatFixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(v) * scale).rounded()
    let whole = (scaled / scale).rounded(.down)
    let frac = Int(scaled - whole * scale)
    var s = (v < 0 && scaled != 0 ? "-" : "") + String(Int(whole))
    if digits > 0 {
        let f = String(frac)
        s += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return s
}

private func jsonNumber(_ v: Double) -> String {
    v.isFinite ? formatFixed(v, v.magnitude >= 1000 ? 1 : 6) : "null"
}

private func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case let c where c.value < 0x20:
            let hex = String(c.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
