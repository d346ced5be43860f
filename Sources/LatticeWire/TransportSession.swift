import LatticeCrypto

/// The established half of a connection: frames in, Noise transport messages out, and back.
///
/// Each transport message is `u16 length (big-endian) | ciphertext`; `seal` returns the
/// ciphertexts and the caller writes the prefix. Both directions call Noise `REKEY` after
/// `rekeyMessagesMax` messages, counted independently by sender and receiver, so the two
/// stay in lockstep without signalling (TCP keeps the order). A replayed, reordered or
/// altered message fails to decrypt because its nonce or tag no longer matches.
public struct TransportSession: Sendable {
    private var sender: any WireCipher
    private var receiver: any WireCipher
    private let encoder: FrameEncoder
    private var reassembler: FrameReassembler
    /// Messages per key and direction before rekeying.
    public let rekeyMessagesMax: UInt64
    /// Transport messages sent and received so far.
    public private(set) var messagesSent: UInt64 = 0
    public private(set) var messagesReceived: UInt64 = 0
    /// How many times each direction has rekeyed.
    public private(set) var sendRekeys: UInt64 = 0
    public private(set) var receiveRekeys: UInt64 = 0

    /// - Parameters:
    ///   - compressor: used toward the peer only if it announced zstd (pass `nil` otherwise).
    ///   - decompressor: accepts compressed frames only if this node announced zstd.
    public init(
        send: any WireCipher,
        receive: any WireCipher,
        compressor: (any PayloadCompressor)?,
        decompressor: (any PayloadCompressor)?,
        frameBytesMax: Int = WireLimits.frameBytesMax,
        rekeyMessagesMax: UInt64 = WireLimits.rekeyMessagesMax
    ) {
        precondition(rekeyMessagesMax > 0, "rekeyMessagesMax must be positive")
        self.sender = send
        self.receiver = receive
        self.encoder = FrameEncoder(compressor: compressor, frameBytesMax: frameBytesMax)
        self.reassembler = FrameReassembler(decompressor: decompressor, frameBytesMax: frameBytesMax)
        self.rekeyMessagesMax = rekeyMessagesMax
    }

    /// True when no inbound frame is partly received.
    public var isAtFrameBoundary: Bool { reassembler.isAtFrameBoundary }

    /// Bytes held for the inbound frame in progress (at most `frameBytesMax`).
    public var reassemblyBytes: Int { reassembler.bufferedBytes }

    /// The ciphertexts (without length prefixes) of the transport messages that carry `frame`.
    public mutating func seal(_ frame: WireFrame) throws(WireError) -> [[UInt8]] {
        var out: [[UInt8]] = []
        try seal(frame) { out.append($0) }
        return out
    }

    /// Calls `body` with each ciphertext of `frame` in order, encrypting one message at a time.
    public mutating func seal(_ frame: WireFrame, _ body: ([UInt8]) -> Void) throws(WireError) {
        var session = self
        try encoder.forEachPlaintext(for: frame) { plaintext throws(WireError) in
            body(try session.sealMessage(plaintext))
        }
        self = session
    }

    /// Encrypts one transport-message plaintext (at most `transportPlaintextBytesMax` bytes).
    public mutating func sealMessage(_ plaintext: [UInt8]) throws(WireError) -> [UInt8] {
        precondition(plaintext.count <= WireLimits.transportPlaintextBytesMax, "plaintext too long for one message")
        let ciphertext: [UInt8]
        do {
            ciphertext = try sender.encrypt(plaintext: plaintext, ad: [])
        } catch {
            throw WireError(.state, "cannot encrypt transport message \(messagesSent): \(error); reconnect")
        }
        messagesSent += 1
        if messagesSent % rekeyMessagesMax == 0 {
            sender.rekey()
            sendRekeys += 1
        }
        return ciphertext
    }

    /// Decrypts one transport message (the bytes after its length prefix) and returns the
    /// frames it completed.
    ///
    /// - Throws: `.messageLength` for a message shorter than the tag, `.authentication` when
    ///   it does not decrypt, or the reassembler's error. The session is dead after a throw.
    public mutating func open(_ ciphertext: [UInt8]) throws(WireError) -> [WireFrame] {
        guard ciphertext.count >= WireLimits.transportTagBytes else {
            throw WireError(
                .messageLength,
                "transport message \(messagesReceived) is \(ciphertext.count) bytes, shorter than its "
                    + "\(WireLimits.transportTagBytes)-byte tag"
            )
        }
        let plaintext: [UInt8]
        do {
            plaintext = try receiver.decrypt(ciphertext: ciphertext, ad: [])
        } catch {
            throw WireError(
                .authentication,
                "transport message \(messagesReceived) (\(ciphertext.count) bytes) did not authenticate: "
                    + "it was altered, replayed or reordered"
            )
        }
        messagesReceived += 1
        if messagesReceived % rekeyMessagesMax == 0 {
            receiver.rekey()
            receiveRekeys += 1
        }
        return try reassembler.append(plaintext)
    }
}
