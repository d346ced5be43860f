/// The 7-byte header in front of every frame payload in the frame stream:
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-------------------------------+---------------+---------------+
/// |          type (u16)           |  flags (u8)   | length (u32)  :
/// +-------------------------------+---------------+---------------+
/// :          length, continued (big-endian)       |
/// +-----------------------------------------------+
/// ```
///
/// `length` counts the payload bytes as carried (after compression, when compressed).
public struct FrameHeader: Hashable, Sendable {
    /// Encoded size of a header.
    public static let byteCount = 7

    public var type: FrameType
    public var flags: FrameFlags
    public var payloadLength: Int

    public init(type: FrameType, flags: FrameFlags, payloadLength: Int) {
        self.type = type
        self.flags = flags
        self.payloadLength = payloadLength
    }

    /// Appends the header's 7 bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        precondition(payloadLength >= 0 && payloadLength <= Int(UInt32.max), "frame length out of range")
        out.append(UInt8(truncatingIfNeeded: type.rawValue >> 8))
        out.append(UInt8(truncatingIfNeeded: type.rawValue))
        out.append(flags.rawValue)
        let length = UInt32(payloadLength)
        for shift in stride(from: 24, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift)))
        }
    }

    /// Decodes and validates a header from exactly `byteCount` bytes.
    ///
    /// - Throws: `.frameHeader` for the reserved type or an unknown flag, `.frameTooLarge`
    ///   when the length exceeds `frameBytesMax`.
    public static func decode(_ bytes: some Collection<UInt8>, frameBytesMax: Int) throws(WireError) -> FrameHeader {
        precondition(bytes.count == byteCount, "FrameHeader.decode needs exactly \(byteCount) bytes")
        let b = Array(bytes)
        let type = FrameType(rawValue: UInt16(b[0]) << 8 | UInt16(b[1]))
        let flags = FrameFlags(rawValue: b[2])
        let length = b[3...6].reduce(0) { $0 << 8 | Int($1) }
        guard type != .reserved else {
            throw WireError(.frameHeader, "frame type 0x0000 is reserved; the peer sent a zeroed or corrupt header")
        }
        guard FrameFlags.known.isSuperset(of: flags) else {
            throw WireError(
                .frameHeader,
                "frame of type \(type) has unknown flags 0x\(String(flags.rawValue, radix: 16)); "
                    + "the peer speaks a protocol version this node does not"
            )
        }
        guard length <= frameBytesMax else {
            throw WireError(
                .frameTooLarge,
                "frame of type \(type) announces \(length) payload bytes, above frameBytesMax (\(frameBytesMax))"
            )
        }
        return FrameHeader(type: type, flags: flags, payloadLength: length)
    }
}
