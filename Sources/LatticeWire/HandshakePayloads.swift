/// Wire protocol versions. Version 1 is the format `Protocols/wire-v1.md` describes.
public enum WireVersion {
    /// The version this build speaks best.
    public static let current: UInt16 = 1
    /// Every version this build can speak, lowest first.
    public static let supported: ClosedRange<UInt16> = 1...1
}

/// Optional features a node announces in its handshake payload. Bits a node does not
/// know are ignored, so a feature can be added without a new version.
public struct WireCapabilities: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The node accepts frames whose payload is zstd-compressed. A node compresses only
    /// toward a peer that announced this.
    public static let zstd = WireCapabilities(rawValue: 1 << 0)
}

/// Handshake message 1's payload (sent in clear): the versions the initiator speaks.
///
/// `versionMin: u16 | versionMax: u16 | ignored…`
public struct InitiatorHello: Hashable, Sendable {
    public var versions: ClosedRange<UInt16>

    public init(versions: ClosedRange<UInt16>) { self.versions = versions }

    public func encoded() -> [UInt8] { be16(versions.lowerBound) + be16(versions.upperBound) }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> InitiatorHello {
        var reader = PayloadReader(bytes, name: "handshake message 1 payload")
        let low = try reader.u16()
        let high = try reader.u16()
        guard low >= 1, low <= high else {
            throw WireError(.handshakePayload, "handshake message 1 offers versions \(low)...\(high), an empty range")
        }
        return InitiatorHello(versions: low...high)
    }
}

/// Handshake message 2's payload: the version the responder chose (0 when the ranges do
/// not overlap), the versions it speaks, and its capabilities.
///
/// `selected: u16 | versionMin: u16 | versionMax: u16 | capabilities: u64 | ignored…`
public struct ResponderHello: Hashable, Sendable {
    /// The chosen version, or `nil` when there is none in common.
    public var selected: UInt16?
    public var versions: ClosedRange<UInt16>
    public var capabilities: WireCapabilities

    public init(selected: UInt16?, versions: ClosedRange<UInt16>, capabilities: WireCapabilities) {
        self.selected = selected
        self.versions = versions
        self.capabilities = capabilities
    }

    public func encoded() -> [UInt8] {
        be16(selected ?? 0) + be16(versions.lowerBound) + be16(versions.upperBound) + be64(capabilities.rawValue)
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ResponderHello {
        var reader = PayloadReader(bytes, name: "handshake message 2 payload")
        let selected = try reader.u16()
        let low = try reader.u16()
        let high = try reader.u16()
        let capabilities = WireCapabilities(rawValue: try reader.u64())
        guard low >= 1, low <= high else {
            throw WireError(.handshakePayload, "handshake message 2 offers versions \(low)...\(high), an empty range")
        }
        return ResponderHello(
            selected: selected == 0 ? nil : selected,
            versions: low...high,
            capabilities: capabilities
        )
    }
}

/// Handshake message 3's payload: the version (repeated from message 2) and the
/// initiator's capabilities.
///
/// `selected: u16 | capabilities: u64 | ignored…`
public struct InitiatorConfirm: Hashable, Sendable {
    public var selected: UInt16
    public var capabilities: WireCapabilities

    public init(selected: UInt16, capabilities: WireCapabilities) {
        self.selected = selected
        self.capabilities = capabilities
    }

    public func encoded() -> [UInt8] { be16(selected) + be64(capabilities.rawValue) }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> InitiatorConfirm {
        var reader = PayloadReader(bytes, name: "handshake message 3 payload")
        let selected = try reader.u16()
        return InitiatorConfirm(selected: selected, capabilities: WireCapabilities(rawValue: try reader.u64()))
    }
}

/// The highest version in both ranges, if any (both sides compute the same answer).
public func negotiateVersion(_ a: ClosedRange<UInt16>, _ b: ClosedRange<UInt16>) -> UInt16? {
    let high = min(a.upperBound, b.upperBound)
    return high >= max(a.lowerBound, b.lowerBound) ? high : nil
}

/// Reads big-endian fields from a handshake payload, bounded by `handshakePayloadBytesMax`.
struct PayloadReader {
    private let bytes: [UInt8]
    private var offset = 0
    private let name: String

    init(_ bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    mutating func u16() throws(WireError) -> UInt16 { UInt16(try take(2)) }

    mutating func u64() throws(WireError) -> UInt64 { try take(8) }

    private mutating func take(_ count: Int) throws(WireError) -> UInt64 {
        guard bytes.count <= WireLimits.handshakePayloadBytesMax else {
            throw WireError(
                .handshakePayload,
                "\(name) is \(bytes.count) bytes, above handshakePayloadBytesMax (\(WireLimits.handshakePayloadBytesMax))"
            )
        }
        guard offset + count <= bytes.count else {
            throw WireError(.handshakePayload, "\(name) is \(bytes.count) bytes, too short for its fields")
        }
        defer { offset += count }
        return bytes[offset..<offset + count].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }

func be64(_ v: UInt64) -> [UInt8] {
    stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: v >> UInt64($0)) }
}
