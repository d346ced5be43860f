/// A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014):
/// 48 bits of wall-clock milliseconds since the Unix epoch, then 16 bits of logical
/// counter. Packed so that integer order is timestamp order.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    /// Largest representable wall time (year 10889): beyond it the clock stops advancing.
    public static let wallMillisecondsMax: UInt64 = (1 << 48) - 1
    public static let zero = HLCTimestamp(rawValue: 0)

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(wallMilliseconds: UInt64, logical: UInt16) {
        rawValue = (min(wallMilliseconds, Self.wallMillisecondsMax) << 16) | UInt64(logical)
    }

    public var wallMilliseconds: UInt64 { rawValue >> 16 }
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (a: HLCTimestamp, b: HLCTimestamp) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "\(wallMilliseconds).\(logical)" }
}

/// Hands out strictly increasing timestamps that stay close to the injected physical
/// clock and never run behind any timestamp received from a peer.
///
/// The physical clock is injected so the simulator can drive it; a real node passes
/// the system's realtime clock in milliseconds.
public struct HybridLogicalClock: Sendable {
    /// How far ahead of our physical clock a received timestamp may be. Beyond it the
    /// timestamp is refused, so one peer with a broken clock cannot drag every node's
    /// clock into the future (which would make their writes win LWW races for as long).
    public static let driftMillisecondsMax: UInt64 = 60_000

    private let physicalMilliseconds: @Sendable () -> UInt64
    public private(set) var last: HLCTimestamp

    public init(physicalMilliseconds: @escaping @Sendable () -> UInt64, last: HLCTimestamp = .zero) {
        self.physicalMilliseconds = physicalMilliseconds
        self.last = last
    }

    /// A timestamp for a local event, greater than every earlier one.
    public mutating func now() -> HLCTimestamp {
        let physical = min(physicalMilliseconds(), HLCTimestamp.wallMillisecondsMax)
        last = Self.successor(of: last, atLeast: physical)
        return last
    }

    /// Folds in a timestamp from a peer; afterwards `now()` returns a greater one.
    /// Throws `ClockError` when `remote` is more than `driftMillisecondsMax` ahead.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp) throws(ClockError) -> HLCTimestamp {
        let physical = min(physicalMilliseconds(), HLCTimestamp.wallMillisecondsMax)
        if remote.wallMilliseconds > physical + Self.driftMillisecondsMax {
            throw ClockError(remote: remote, physicalMilliseconds: physical)
        }
        last = Self.successor(of: max(last, remote), atLeast: physical)
        return last
    }

    /// The smallest timestamp after `t` whose wall part is at least `physical`.
    private static func successor(of t: HLCTimestamp, atLeast physical: UInt64) -> HLCTimestamp {
        if physical > t.wallMilliseconds { return HLCTimestamp(wallMilliseconds: physical, logical: 0) }
        if t.logical < UInt16.max { return HLCTimestamp(wallMilliseconds: t.wallMilliseconds, logical: t.logical + 1) }
        // 65,536 events in one millisecond: borrow the next millisecond rather than wrap.
        return HLCTimestamp(wallMilliseconds: t.wallMilliseconds + 1, logical: 0)
    }
}

/// A peer's timestamp was too far in the future to accept.
public struct ClockError: Error, Hashable, Sendable, CustomStringConvertible {
    public let remote: HLCTimestamp
    public let physicalMilliseconds: UInt64

    public var description: String {
        let ahead = remote.wallMilliseconds - physicalMilliseconds
        return "timestamp \(remote) is \(ahead) ms ahead of this node's clock "
            + "(limit \(HybridLogicalClock.driftMillisecondsMax) ms); check NTP on the sending node"
    }
}
