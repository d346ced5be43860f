import LatticeCore

/// One message of range-based set reconciliation: consecutive ranges that partition the
/// key space in bytewise order. The first range starts at the smallest key (the empty
/// string); each next range starts where the previous one ended; everything after the
/// last listed range is implicitly skipped. An empty message means "done".
///
/// Wire format (version 2):
/// ```
/// message     = version(0x02) rangeCount:varint range*
/// range       = tag:u8 [bound] payload          ; tag bits 0-1: payload kind,
///                                               ; bits 2-4: hash width W minus 1,
///                                               ; bit 7: upper bound is infinity (no bound)
/// bound       = shared:varint suffixLength:varint suffix
///               ; the first `shared` bytes of the previous bound (all they have in
///               ; common), then `suffix`
/// payload     = skip: nothing | fingerprint: uW LE
///             | items: count:varint (uW LE)*count | need: bits:varint bytes[(bits+7)/8]
/// ```
/// W (1 to 8 bytes) is the fewest bytes that hold the range's largest hash, 1 for skip,
/// need and empty items. Bounds are strictly increasing and at most
/// `CoreLimits.keyBytesMax` bytes; infinity only on the last range; tag bits 5-6 are
/// zero; no two adjacent skips and no trailing skip (one encoding per message); unused
/// bitmap bits are zero. Version 2 added W (version 1 always sent 8-byte hashes).
/// Normative specification: `Protocols/repair-v2.md`.
public struct RepairMessage: Hashable, Sendable {
    public static let formatVersion: UInt8 = 2

    public var ranges: [RepairRange]

    public init(ranges: [RepairRange]) { self.ranges = ranges }

    /// The message that ends a session.
    public static let done = RepairMessage(ranges: [])
    public var isDone: Bool { ranges.isEmpty }

    /// Item hashes carried, for limit checks.
    public var itemCount: Int {
        ranges.reduce(0) { n, r in
            if case .items(let h) = r.payload { return n + h.count }
            return n
        }
    }
}

/// A range `[previous upper bound, upperBound)` and what one side says about it.
public struct RepairRange: Hashable, Sendable {
    public var upperBound: RepairBound
    public var payload: Payload

    public init(upperBound: RepairBound, payload: Payload) {
        self.upperBound = upperBound
        self.payload = payload
    }

    public enum Payload: Hashable, Sendable {
        /// Nothing to do here (equal, or already resolved).
        case skip
        /// The sender's fingerprint of its items in the range.
        case fingerprint(UInt64)
        /// The sender's item hashes in the range, in key order.
        case items([UInt64])
        /// Answers `items`: bit i set means the receiver of this message must send the
        /// i-th item it listed for this range (the peer does not have it).
        case need([Bool])

        var tag: UInt8 {
            switch self {
            case .skip: 0
            case .fingerprint: 1
            case .items: 2
            case .need: 3
            }
        }
    }
}

/// An exclusive upper bound: a byte string (usually a shortened key) or past every key.
public enum RepairBound: Hashable, Sendable, Comparable {
    case key([UInt8])
    case infinity

    public static func < (a: RepairBound, b: RepairBound) -> Bool {
        switch (a, b) {
        case (.key(let x), .key(let y)): compareBytes(x, y) < 0
        case (.key, .infinity): true
        case (.infinity, _): false
        }
    }
}
