/// What a node brings to every handshake: whom it admits and what it speaks.
public struct HandshakeConfiguration: Sendable {
    /// The static public keys (32 bytes each) of the peers this node admits. A peer whose
    /// key is not here is dropped as soon as the handshake reveals its key.
    public var allowedPeerKeys: Set<[UInt8]>
    /// The wire versions this node speaks.
    public var versions: ClosedRange<UInt16>
    /// zstd for frame payloads; `nil` neither compresses nor accepts compressed frames
    /// (and does not announce the capability).
    public var compressor: (any PayloadCompressor)?
    /// Largest frame payload, as carried and decompressed.
    public var frameBytesMax: Int
    /// Transport messages per key and direction before rekeying.
    public var rekeyMessagesMax: UInt64

    public init(
        allowedPeerKeys: Set<[UInt8]>,
        versions: ClosedRange<UInt16> = WireVersion.supported,
        compressor: (any PayloadCompressor)?,
        frameBytesMax: Int = WireLimits.frameBytesMax,
        rekeyMessagesMax: UInt64 = WireLimits.rekeyMessagesMax
    ) {
        self.allowedPeerKeys = allowedPeerKeys
        self.versions = versions
        self.compressor = compressor
        self.frameBytesMax = frameBytesMax
        self.rekeyMessagesMax = rekeyMessagesMax
    }

    /// The capabilities this node announces.
    public var capabilities: WireCapabilities { compressor == nil ? [] : [.zstd] }

    func checkAllowed(_ key: [UInt8], message: Int) throws(WireError) {
        guard allowedPeerKeys.contains(key) else {
            throw WireError(
                .peerNotAllowed,
                "peer key \(keyPrefix(key)) (revealed in handshake message \(message)) is not in this node's "
                    + "peer list; add it to the config to admit this peer"
            )
        }
    }

    func session(
        ciphers: (send: any WireCipher, receive: any WireCipher),
        remoteCapabilities: WireCapabilities
    ) -> TransportSession {
        TransportSession(
            send: ciphers.send,
            receive: ciphers.receive,
            compressor: remoteCapabilities.contains(.zstd) ? compressor : nil,
            decompressor: compressor,
            frameBytesMax: frameBytesMax,
            rekeyMessagesMax: rekeyMessagesMax
        )
    }
}

/// The first 6 bytes of a key in hex followed by an ellipsis: enough to tell peers apart in
/// logs without printing whole keys.
public func keyPrefix(_ key: [UInt8]) -> String {
    key.prefix(6).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + "…"
}
