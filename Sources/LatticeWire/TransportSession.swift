import LatticeCrypto

/// The established half of a connection: frames in, Noise transport messages out, and back.
///
/// Each transport message is `u16 length (big-endian) | ciphertext`: `seal(_:into:)` writes both,
/// encrypting in place (the array-returning `seal` leaves the prefix to the caller). Both directions call Noise `REKEY` after
/// `rekeyMessagesMax` messages, counted independently by sender and receiver, so the two
/// stay in lockstep without signalling (TCP keeps the order). A replayed, reordered or
/// altered message fails to decrypt because its nonce or tag no longer matches.
public struct TransportSession: Sendable {
    private var sender: any WireCipher
    private var receiver: any WireCipher
    private var encoder: FrameEncoder
    private var reassembler: FrameReassembler
    /// Where `open` decrypts each message before reassembly: allocated once, reused for
    /// every message (at most `transportPlaintextBytesMax` bytes).
    private var plaintextScratch: [UInt8] = []
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

    /// Appends to `out` the transport messages that carry `frame`, each as
    /// `u16 length | ciphertext`, encrypting every message in place in `out`. Compression is
    /// decided by `FrameEncoder.prepare`, which stops trying on incompressible streams.
    public mutating func seal(_ frame: WireFrame, into out: inout some TransportMessageBuffer) throws(WireError) {
        let (header, body) = try encoder.prepare(frame)
        let tag = WireLimits.transportTagBytes
        var offset = 0
        var headerCount = header.count
        repeat {
            let take = min(body.count - offset, WireLimits.transportPlaintextBytesMax - headerCount)
            let messageCount = headerCount + take + tag
            var failure: WireError?
            out.append(count: 2 + messageCount) { raw in
                raw[0] = UInt8(truncatingIfNeeded: messageCount >> 8)
                raw[1] = UInt8(truncatingIfNeeded: messageCount)
                let message = UnsafeMutableRawBufferPointer(rebasing: raw[2...])
                if headerCount > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: message[..<headerCount]).copyBytes(from: header)
                }
                body.withUnsafeBytes { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: message[headerCount..<headerCount + take])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                }
                do throws(WireError) { try sealInPlace(message) } catch { failure = error }
            }
            if let failure { throw failure }
            offset += take
            headerCount = 0
        } while offset < body.count
    }

    /// Encrypts one message in place (plaintext, then room for the tag) and counts it.
    private mutating func sealInPlace(_ message: UnsafeMutableRawBufferPointer) throws(WireError) {
        do {
            try sender.encrypt(inPlace: message, ad: [])
        } catch {
            throw WireError(.state, "cannot encrypt transport message \(messagesSent): \(error); reconnect")
        }
        countSent()
    }

    private mutating func countSent() {
        messagesSent += 1
        if messagesSent % rekeyMessagesMax == 0 {
            sender.rekey()
            sendRekeys += 1
        }
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
        countSent()
        return ciphertext
    }

    /// Decrypts one transport message (the bytes after its length prefix) and returns the
    /// frames it completed.
    ///
    /// - Throws: `.messageLength` for a message shorter than the tag, `.authentication` when
    ///   it does not decrypt, or the reassembler's error. The session is dead after a throw.
    public mutating func open(_ ciphertext: [UInt8]) throws(WireError) -> [WireFrame] {
        let result = ciphertext.withUnsafeBytes { raw -> Result<[WireFrame], WireError> in
            do throws(WireError) { return .success(try open(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// `open` for a message still in the receive buffer: it is decrypted from there into a
    /// scratch buffer the session reuses, then reassembled (no per-message allocation).
    public mutating func open(_ ciphertext: UnsafeRawBufferPointer) throws(WireError) -> [WireFrame] {
        guard ciphertext.count >= WireLimits.transportTagBytes else {
            throw WireError(
                .messageLength,
                "transport message \(messagesReceived) is \(ciphertext.count) bytes, shorter than its "
                    + "\(WireLimits.transportTagBytes)-byte tag"
            )
        }
        let plaintextCount = ciphertext.count - WireLimits.transportTagBytes
        // Moved out so it is uniquely referenced while written, and `self` is free to mutate.
        var scratch = plaintextScratch
        plaintextScratch = []
        defer { plaintextScratch = scratch }
        if scratch.count < plaintextCount {
            scratch = [UInt8](repeating: 0, count: WireLimits.transportPlaintextBytesMax)
        }
        let opened = scratch.withUnsafeMutableBytes { raw -> Bool in
            let plaintext = UnsafeMutableRawBufferPointer(rebasing: raw[..<plaintextCount])
            do {
                try receiver.decrypt(ciphertext, into: plaintext, ad: [])
                return true
            } catch {
                return false
            }
        }
        guard opened else {
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
        let result = scratch.withUnsafeBufferPointer { bytes -> Result<[WireFrame], WireError> in
            do throws(WireError) {
                return .success(try reassembler.append(bytes: UnsafeBufferPointer(rebasing: bytes[..<plaintextCount])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
