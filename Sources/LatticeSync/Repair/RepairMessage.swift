import LatticeCore

/// One message of digest repair, version 3: consecutive ranges that partition the key space
/// in bytewise order, each with what the sender says about it. The first range starts at the
/// smallest key (the empty string); each next range starts where the previous one ended;
/// everything after the last listed range is implicitly skipped. An empty message means
/// "done".
///
/// Wire format (version 3):
/// ```
/// message  = version(0x03) rangeCount:varint range*
/// range    = tag:u8 [bound] payload     ; tag bits 0-2: payload kind, bit 7: the upper
///                                       ; bound is infinity (no bound field), bits 3-6 zero
/// bound    = shared:varint suffixLength:varint suffix
/// payload  = skip: nothing
///          | strata: items:varint capacity:varint levels:varint (u32 LE)*(levels·capacity)
///          | sketch: first:varint count:varint (u32 LE)*count
///          | more: first:varint count:varint
///          | found: count:varint rice:u8 bits[...]
/// ```
/// Normative specification: `Protocols/repair-v3.md`.
public struct RepairMessage: Hashable, Sendable {
    public static let formatVersion: UInt8 = 3

    public var ranges: [RepairRange]

    public init(ranges: [RepairRange]) { self.ranges = ranges }

    /// The message that ends a session.
    public static let done = RepairMessage(ranges: [])
    public var isDone: Bool { ranges.isEmpty }

    /// Sketch syndromes carried (strata and sketches), for limit checks and accounting.
    public var syndromeCount: Int {
        ranges.reduce(0) { n, r in n + r.payload.syndromeCount }
    }

    /// Positions carried in `found` payloads.
    public var foundCount: Int {
        ranges.reduce(0) { n, r in
            if case .found(let p) = r.payload { return n + p.count }
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
        /// Nothing to do here.
        case skip
        /// A difference estimator: the sender holds `items` items in the range; level `j`
        /// is the sketch (`capacity` syndromes) of its items of stratum `j`.
        case strata(items: UInt64, capacity: Int, levels: [[UInt32]])
        /// Syndromes `first ..< first + syndromes.count` of the sender's sketch of the range.
        case sketch(first: Int, syndromes: [UInt32])
        /// Asks for syndromes `first ..< first + count` of the receiver's sketch of the range.
        case more(first: Int, count: Int)
        /// The receiver's items at these positions of its items in the range, ordered by
        /// session item id, are ones the sender lacks: strictly increasing.
        case found([Int])

        var tag: UInt8 {
            switch self {
            case .skip: 0
            case .strata: 1
            case .sketch: 2
            case .more: 3
            case .found: 4
            }
        }

        var syndromeCount: Int {
            switch self {
            case .strata(_, let capacity, let levels): capacity * levels.count
            case .sketch(_, let s): s.count
            case .skip, .more, .found: 0
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
