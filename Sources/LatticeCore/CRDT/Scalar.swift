/// A plain value held by registers and sets.
///
/// Equality and hashing are by representation: doubles by bit pattern (so `NaN == NaN`
/// and `0.0 != -0.0`), strings by UTF-8 bytes (not Swift's canonical equivalence), so
/// that a set finds again exactly what was put in and every implementation agrees.
public enum Scalar: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])

    public static func == (a: Scalar, b: Scalar) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): x.utf8.elementsEqual(y.utf8)
        case let (.bytes(x), .bytes(y)): x == y
        default: false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case let .bool(x):
            h.combine(1)
            h.combine(x)
        case let .int(x):
            h.combine(2)
            h.combine(x)
        case let .double(x):
            h.combine(3)
            h.combine(x.bitPattern)
        case let .string(x):
            h.combine(4)
            Self.hashBounded(x.utf8, into: &h)
        case let .bytes(x):
            h.combine(5)
            Self.hashBounded(x, into: &h)
        }
    }

    /// Bytes hashed at each end of a long string or byte string.
    static let hashedEdgeBytes = 128

    /// Length plus the first and last `hashedEdgeBytes` bytes. A set hashes its element
    /// once per dot it touches; hashing a 1 MiB element whole each time would let one
    /// crafted set (one big member, a million dots) pin a core for hours. Equality still
    /// compares in full, and short-circuits on shared storage.
    private static func hashBounded<C: Collection<UInt8>>(_ bytes: C, into h: inout Hasher) {
        h.combine(bytes.count)
        guard bytes.count > 2 * hashedEdgeBytes else {
            for b in bytes { h.combine(b) }
            return
        }
        for b in bytes.prefix(hashedEdgeBytes) { h.combine(b) }
        for b in bytes.suffix(hashedEdgeBytes) { h.combine(b) }
    }

    public var description: String {
        switch self {
        case .null: "null"
        case let .bool(x): String(x)
        case let .int(x): String(x)
        case let .double(x): String(x)
        case let .string(x): x.debugDescription
        case let .bytes(x): "0x" + x.map(hexByte).joined()
        }
    }
}

/// A total order on scalars (by kind, then value; strings by UTF-8 bytes), used wherever
/// the library must present or encode values in a deterministic order.
extension Scalar: Comparable {
    private var kindRank: Int {
        switch self {
        case .null: 0
        case .bool: 1
        case .int: 2
        case .double: 3
        case .string: 4
        case .bytes: 5
        }
    }

    public static func < (a: Scalar, b: Scalar) -> Bool {
        switch (a, b) {
        case let (.bool(x), .bool(y)): !x && y
        case let (.int(x), .int(y)): x < y
        case let (.double(x), .double(y)): x.bitPattern < y.bitPattern
        case let (.string(x), .string(y)): x.utf8.lexicographicallyPrecedes(y.utf8)
        case let (.bytes(x), .bytes(y)): x.lexicographicallyPrecedes(y)
        default: a.kindRank < b.kindRank
        }
    }
}
