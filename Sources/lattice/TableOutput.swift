import LatticeOps

/// A text table with left-aligned columns separated by two spaces, as `kubectl get` or
/// `consul members` print them. The last column is not padded, so lines carry no trailing blanks.
struct TextTable {
    /// Column headings, printed in upper case.
    let columns: [String]
    private(set) var rows: [[String]] = []

    init(_ columns: [String]) {
        self.columns = columns
    }

    /// Appends a row; missing cells print as `-`, extra cells are dropped.
    mutating func add(_ row: [String]) {
        rows.append((0..<columns.count).map { $0 < row.count && !row[$0].isEmpty ? row[$0] : "-" })
    }

    /// The table, one line per row after the heading, each ending in a newline.
    func rendered(heading: Bool = true) -> String {
        let all = (heading ? [columns.map { $0.uppercased() }] : []) + rows
        let widths = (0..<columns.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for row in all {
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

/// Numbers in the units people read: milliseconds for round trips, KiB and MiB for sizes.
enum HumanUnits {
    /// `12.3 ms`, `0.4 ms`, `250 ms`; `-` when unknown.
    static func milliseconds(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        let ms = seconds * 1000
        return fixed(ms, places: ms < 100 ? 1 : 0) + " ms"
    }

    /// `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB` (binary units, one decimal above bytes).
    static func bytes(_ count: Double?) -> String {
        guard let count, count.isFinite else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = count
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int64(value)) B" : fixed(value, places: 1) + " " + units[unit]
    }

    /// `1.2 MiB/s`.
    static func rate(_ bytesPerSecond: Double?) -> String {
        bytesPerSecond == nil ? "-" : bytes(bytesPerSecond) + "/s"
    }

    /// `250 ms`, `1.5 s`, `2m 5s`, `3h 12m`, `2d 4h`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        if seconds < 1 { return milliseconds(seconds) }
        if seconds < 60 { return fixed(seconds, places: 1) + " s" }
        let whole = Int64(seconds)
        let (days, hours, minutes) = (whole / 86_400, whole % 86_400 / 3600, whole % 3600 / 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return "\(minutes)m \(whole % 60)s"
    }

    /// `value` rounded to `places` decimals (0 to 3), without Foundation's formatters.
    static func fixed(_ value: Double, places: Int) -> String {
        let scale = [1.0, 10.0, 100.0, 1000.0][min(max(places, 0), 3)]
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return String(value) }
        let units = Int64(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard places > 0 else { return sign + String(units) }
        let fraction = String(units % Int64(scale))
        let padded = String(repeating: "0", count: places - fraction.count) + fraction
        return sign + String(units / Int64(scale)) + "." + padded
    }
}

extension JSONValue {
    /// The number as a `Double` (integers too), or nil.
    var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// A string as itself, null as nil, anything else as compact JSON: for table cells.
    var cellText: String? {
        switch self {
        case .null: nil
        case .string(let text): text
        default: serialized
        }
    }
}
