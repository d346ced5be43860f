/// The faults a simulation injects. `lattice simulate --faults delay,loss,partition`.
public struct Faults: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Links take 1–200 ms instead of 1 ms.
    public static let delay = Faults(rawValue: 1 << 0)
    /// Each message gets up to 100 ms of random extra delay (so messages reorder).
    public static let jitter = Faults(rawValue: 1 << 1)
    /// 5% of messages vanish.
    public static let loss = Faults(rawValue: 1 << 2)
    /// 3% of messages arrive twice.
    public static let duplication = Faults(rawValue: 1 << 3)
    /// 20% of messages are held back for up to 500 ms, overtaking others.
    public static let reordering = Faults(rawValue: 1 << 4)
    /// Links are cut for a while and healed.
    public static let partitions = Faults(rawValue: 1 << 5)
    /// Nodes crash (losing connections and in-flight messages, keeping their data) and restart.
    public static let crashes = Faults(rawValue: 1 << 6)

    public static let all: Faults = [.delay, .jitter, .loss, .duplication, .reordering, .partitions, .crashes]

    static let names: [(String, Faults)] = [
        ("delay", .delay), ("jitter", .jitter), ("loss", .loss), ("duplication", .duplication),
        ("reordering", .reordering), ("partitions", .partitions), ("crashes", .crashes),
    ]

    /// Parses a comma-separated list such as `delay,loss` (or `all`, or `none`).
    public init(parsing list: String) throws(SimulationError) {
        self = []
        for raw in list.split(separator: ",") {
            let name = raw.trimmingCharacters(in: " ")
            if name == "all" {
                formUnion(.all)
                continue
            }
            if name == "none" { continue }
            guard let f = Self.names.first(where: { $0.0 == name || $0.0.hasPrefix(name) && name.count >= 4 })?.1 else {
                let known = Self.names.map(\.0).joined(separator: ", ")
                throw SimulationError("unknown fault '\(name)'; choose from: \(known), all, none")
            }
            formUnion(f)
        }
    }

    public var description: String {
        let on = Self.names.filter { contains($0.1) }.map(\.0)
        return on.isEmpty ? "none" : on.joined(separator: ",")
    }
}

public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
