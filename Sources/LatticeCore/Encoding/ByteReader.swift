/// Reads the primitive encodings of `Protocols/crdt-encoding-v1.md` from untrusted bytes.
/// Every read is bounds-checked and throws `CodecError`; nothing here traps.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes)
        offset = 0
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public func error(_ code: CodecError.Code, _ message: String) -> CodecError {
        CodecError(code, message, offset: offset)
    }

    public mutating func byte(_ what: String) throws(CodecError) -> UInt8 {
        guard offset < bytes.count else { throw error(.truncated, "input ends before \(what)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Unsigned LEB128, at most 10 bytes, canonical (no redundant trailing zero groups).
    public mutating func varint(_ what: String) throws(CodecError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(what)
            if shift == 63 && b > 1 { throw error(.malformed, "\(what): varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 { throw error(.malformed, "\(what): varint has a redundant zero byte") }
                return result
            }
            shift += 7
        }
    }

    public mutating func signedVarint(_ what: String) throws(CodecError) -> Int64 {
        let z = try varint(what)
        return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
    }

    public mutating func fixed64LittleEndian(_ what: String) throws(CodecError) -> UInt64 {
        guard remaining >= 8 else { throw error(.truncated, "input ends inside \(what)") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    /// A count of items that each take at least `minimumItemBytes`, bounded by `max` and
    /// by what is left of the input — so a lying count cannot make the caller allocate.
    public mutating func count(_ what: String, max: Int, minimumItemBytes: Int = 1) throws(CodecError) -> Int {
        let n = try varint(what)
        guard n <= UInt64(max) else { throw error(.limitExceeded, "\(what) is \(n); the limit is \(max)") }
        guard n * UInt64(minimumItemBytes) <= UInt64(remaining) else {
            throw error(.truncated, "\(what) is \(n) but only \(remaining) bytes remain")
        }
        return Int(n)
    }

    /// Exactly `n` bytes.
    public mutating func lengthFixed(_ n: Int, _ what: String) throws(CodecError) -> ArraySlice<UInt8> {
        guard remaining >= n else { throw error(.truncated, "input ends inside \(what)") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    /// A varint length (at most `max`) then that many bytes.
    public mutating func lengthPrefixed(_ what: String, max: Int) throws(CodecError) -> ArraySlice<UInt8> {
        let n = try count("\(what) length", max: max)
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    /// A length-prefixed string that must be valid UTF-8.
    public mutating func string(_ what: String, max: Int) throws(CodecError) -> String {
        let start = offset
        let raw = try lengthPrefixed(what, max: max)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw CodecError(.malformed, "\(what) is not valid UTF-8", offset: start)
        }
        return s
    }
}
