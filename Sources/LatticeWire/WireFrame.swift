/// A frame type from the registry in `Protocols/wire-v1.md` §Message types.
///
/// ONLY APPEND to the registry: a value, once assigned, keeps its meaning forever, and a
/// retired value is never reused.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x0000 is reserved: a frame of this type is a protocol error (it catches zeroed buffers).
    public static let reserved = FrameType(rawValue: 0x0000)
    /// Asks the peer to answer with a `pong` carrying the same payload (at most
    /// `WireLimits.pingPayloadBytesMax` bytes). The transport answers it itself.
    public static let ping = FrameType(rawValue: 0x0001)
    /// The answer to a `ping`.
    public static let pong = FrameType(rawValue: 0x0002)

    /// A message of the sync protocol (`Protocols/sync-v1.md`); the message's own kind is
    /// inside the payload. 0x0101...0x01FF are reserved for the sync protocol.
    public static let sync = FrameType(rawValue: 0x0100)
    /// The first type of the range for experiments; never used between released nodes.
    public static let experimentalRangeStart = FrameType(rawValue: 0xFF00)

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

/// Per-frame flags. Bits not defined here are reserved: senders set them to zero and
/// receivers reject a frame that has any of them set.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The payload is one zstd frame; the receiver decompresses it (bounded by `frameBytesMax`).
    public static let compressed = FrameFlags(rawValue: 0x01)

    /// Every flag this version defines.
    public static let known: FrameFlags = [.compressed]
}

/// An application frame: what the transport carries, whole, between two nodes.
public struct WireFrame: Hashable, Sendable, CustomStringConvertible {
    public var type: FrameType
    /// The payload as the application sees it (never compressed).
    public var payload: [UInt8]
    /// How hard the sender compresses this payload: `nil` the connection's default level,
    /// 0 not at all, 1 and up that zstd level (up to `WireLimits.compressionLevelMax`). The
    /// payload is still sent compressed only when that saves bytes, and only to a peer that
    /// announced zstd. Not carried on the wire: the receiver only sees the `compressed` flag.
    public var compressionLevel: Int?

    public init(type: FrameType, payload: [UInt8], compressionLevel: Int? = nil) {
        self.type = type
        self.payload = payload
        self.compressionLevel = compressionLevel
    }

    public var description: String { "WireFrame(type: \(type), \(payload.count) bytes)" }

    /// Frames are equal when they carry the same type and payload: the compression level is
    /// the sender's choice and never reaches the receiver.
    public static func == (a: WireFrame, b: WireFrame) -> Bool { a.type == b.type && a.payload == b.payload }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(payload)
    }
}
