import CSodium

/// Bytes that must not outlive their use: keys, chaining keys, shared secrets.
///
/// The storage is a class that wipes itself with `sodium_memzero` in `deinit`, so a
/// secret is erased when its last copy goes away. Value semantics are kept by copying
/// on write. The bytes are deliberately not `CustomStringConvertible`-printable: the
/// description never shows the contents.
public struct SecretBytes: Sendable, CustomStringConvertible {
    private final class Storage: @unchecked Sendable {
        // Mutated only through `SecretBytes`' copy-on-write discipline.
        var bytes: [UInt8]

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        deinit {
            let count = bytes.count
            bytes.withUnsafeMutableBytes { raw in
                if let base = raw.baseAddress { sodium_memzero(base, count) }
            }
        }
    }

    private var storage: Storage

    /// Takes ownership of `bytes`. The caller should not keep other copies.
    public init(_ bytes: [UInt8]) {
        Sodium.ensureInitialised()
        storage = Storage(bytes)
    }

    /// `count` bytes from the operating system's CSPRNG (`randombytes_buf`).
    public init(randomCount count: Int) {
        self.init(Random.bytes(count: count))
    }

    /// `count` zero bytes, to be filled through `withUnsafeMutableBytes`.
    public init(zeroedCount count: Int) {
        self.init([UInt8](repeating: 0, count: count))
    }

    public var count: Int { storage.bytes.count }

    public var description: String { "SecretBytes(\(count) bytes, redacted)" }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeBytes(body)
    }

    public mutating func withUnsafeMutableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(storage.bytes)
        }
        return try storage.bytes.withUnsafeMutableBytes(body)
    }

    /// A copy of the bytes as a plain array. Use only at the boundary where a secret
    /// must leave protected storage (writing a key file, a test vector).
    public func unprotectedCopy() -> [UInt8] { storage.bytes }

    /// Constant-time comparison (`sodium_memcmp`).
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                count == 0 || sodium_memcmp(a.baseAddress!, b.baseAddress!, count) == 0
            }
        }
    }
}

/// The operating system's CSPRNG through libsodium.
public enum Random {
    public static func bytes(count: Int) -> [UInt8] {
        Sodium.ensureInitialised()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { randombytes_buf(base, count) }
        }
        return out
    }

    /// A uniformly random 64-bit value.
    public static func uint64() -> UInt64 {
        bytes(count: 8).reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
