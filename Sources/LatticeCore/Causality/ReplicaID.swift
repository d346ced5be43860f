/// The identity of one replica: one data directory over its whole lifetime.
///
/// 128 random bits, drawn when a data directory is created. A node that loses its data
/// directory gets a new id, so it can never reuse a dot it issued before (which would
/// make peers silently drop its new writes as already seen).
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    /// Number of bytes in the binary form.
    public static let byteCount = 16

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads 16 big-endian bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = (h << 8) | UInt64(b) } else { l = (l << 8) | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    /// A fresh random id.
    public static func random(using rng: inout some RandomNumberGenerator) -> ReplicaID {
        ReplicaID(high: rng.next(), low: rng.next())
    }

    /// The 16 big-endian bytes.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        return out
    }

    /// All 32 hex digits.
    public var hex: String { bytes.map(hexByte).joined() }

    /// The first 8 hex digits, enough to tell replicas apart in logs and tables.
    public var description: String { String(hex.prefix(8)) }

    public static func < (a: ReplicaID, b: ReplicaID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}

func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0x0f)]])
}

/// One event: the `counter`-th mutation issued by `replica` within one tenant.
///
/// Counters start at 1 and have no gaps per (tenant, replica), which is what lets a
/// version vector summarise "everything up to N".
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let replica: ReplicaID
    public let counter: UInt64

    public init(replica: ReplicaID, counter: UInt64) {
        precondition(counter >= 1, "dot counters start at 1")
        self.replica = replica
        self.counter = counter
    }

    public var description: String { "\(replica):\(counter)" }

    public static func < (a: Dot, b: Dot) -> Bool {
        (a.replica, a.counter) < (b.replica, b.counter)
    }
}
