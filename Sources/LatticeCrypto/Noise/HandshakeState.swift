/// Which side of a Noise handshake this party plays. The initiator sends message 1.
public enum NoiseRole: Sendable, Hashable {
    case initiator
    case responder
}

/// The two transport cipher states of a finished handshake, oriented for this party.
public struct NoiseTransportKeys: Sendable {
    /// Encrypts what this party sends.
    public var send: NoiseCipherState
    /// Decrypts what this party receives.
    public var receive: NoiseCipherState
}

/// A Noise_XX_25519_ChaChaPoly_BLAKE2b handshake (Noise sections 5.3 and 7.5) as a pure value:
/// bytes in, bytes out, no I/O.
///
///     -> e
///     <- e, ee, s, es
///     -> s, se
///
/// The initiator calls `writeMessage`, `readMessage`, `writeMessage`; the responder calls
/// `readMessage`, `writeMessage`, `readMessage`. Then both call `split()`. Any error while
/// writing or reading a message leaves the handshake failed: every later call throws, and
/// the connection must be closed. A call out of turn throws without changing the state.
public struct NoiseHandshake: Sendable {
    private enum Token: Sendable {
        case e, s, ee, es, se
    }

    /// The XX pattern, one token list per message.
    private static let messagePatterns: [[Token]] = [[.e], [.e, .ee, .s, .es], [.s, .se]]
    /// How each message is named in errors.
    private static let messageNames = [
        "message 1 (initiator -> responder: e)",
        "message 2 (responder -> initiator: e, ee, s, es)",
        "message 3 (initiator -> responder: s, se)",
    ]

    private let role: NoiseRole
    private var symmetric: NoiseSymmetricState
    private let localStatic: X25519KeyPair
    private let presetEphemeral: X25519KeyPair?
    private var localEphemeral: X25519KeyPair?
    private var remoteEphemeral: [UInt8]?
    /// Index of the next message in `messagePatterns`; 3 once the handshake is complete.
    private var nextMessage = 0
    private var failure: CryptoError?

    private var remoteStatic: [UInt8]?

    /// The peer's static public key (its identity): known after message 2 for the initiator
    /// and after message 3 for the responder; the peer has proven it holds the private key
    /// once the `readMessage` that delivered it returned. `nil` after a failure.
    public var remoteStaticPublicKey: [UInt8]? { failure == nil ? remoteStatic : nil }

    /// Starts a handshake. `prologue` must be identical on both sides (`LatticeNoise.prologue`).
    /// `ephemeralKeyPair` fixes the ephemeral key for test vectors; leave it `nil` otherwise,
    /// so that every handshake uses a fresh one.
    public init(
        role: NoiseRole,
        prologue: [UInt8],
        staticKeyPair: X25519KeyPair,
        ephemeralKeyPair: X25519KeyPair? = nil
    ) {
        self.role = role
        self.localStatic = staticKeyPair
        self.presetEphemeral = ephemeralKeyPair
        self.symmetric = NoiseSymmetricState(protocolName: LatticeNoise.protocolName)
        symmetric.mixHash(prologue)
    }

    /// True once all three messages have been written or read successfully.
    public var isComplete: Bool { failure == nil && nextMessage == Self.messagePatterns.count }

    /// The handshake hash `h` (Noise section 11.2), for channel binding. Final once `isComplete`.
    public var handshakeHash: [UInt8] { symmetric.handshakeHash }

    /// True when the next handshake message is this party's to write.
    public var isWriteTurn: Bool {
        nextMessage < Self.messagePatterns.count && (nextMessage % 2 == 0) == (role == .initiator)
    }

    /// `WriteMessage(payload)`: the next handshake message, carrying `payload`
    /// (encrypted in messages 2 and 3, cleartext in message 1).
    public mutating func writeMessage(payload: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkTurn(writing: true)
        let index = nextMessage
        do throws(CryptoError) {
            let size = Self.fixedBytes(message: index) + payload.count + (index == 0 ? 0 : NoiseLimits.tagBytes)
            guard size <= NoiseLimits.messageBytesMax else {
                throw CryptoError(
                    .handshake,
                    "payload of \(payload.count) bytes makes a \(size)-byte message, over the limit of "
                        + "\(NoiseLimits.messageBytesMax); keep handshake payloads small"
                )
            }
            var message: [UInt8] = []
            for token in Self.messagePatterns[index] { try write(token, into: &message) }
            message += try symmetric.encryptAndHash(payload)
            nextMessage += 1
            return message
        } catch {
            throw fail(error, message: index)
        }
    }

    /// `ReadMessage(message)`: processes the peer's next handshake message and returns its payload.
    public mutating func readMessage(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try checkTurn(writing: false)
        let index = nextMessage
        do throws(CryptoError) {
            try checkLength(message, index: index)
            var cursor = message[...]
            for token in Self.messagePatterns[index] { try read(token, from: &cursor) }
            let payload = try symmetric.decryptAndHash(Array(cursor))
            nextMessage += 1
            return payload
        } catch {
            throw fail(error, message: index)
        }
    }

    /// `Split()`: the transport cipher states, `send` and `receive` for this party.
    /// Throws `.handshake` unless the handshake is complete.
    public func split() throws(CryptoError) -> NoiseTransportKeys {
        guard isComplete else {
            throw CryptoError(
                .handshake,
                failure == nil
                    ? "Noise split before the handshake completed (\(nextMessage) of 3 messages processed)"
                    : "Noise split after the handshake failed: \(failure!.message)"
            )
        }
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        switch role {
        case .initiator: return NoiseTransportKeys(send: initiatorToResponder, receive: responderToInitiator)
        case .responder: return NoiseTransportKeys(send: responderToInitiator, receive: initiatorToResponder)
        }
    }
}

// MARK: - Token processing

extension NoiseHandshake {
    private mutating func write(_ token: Token, into message: inout [UInt8]) throws(CryptoError) {
        switch token {
        case .e:
            let ephemeral = presetEphemeral ?? X25519KeyPair.generate()
            localEphemeral = ephemeral
            message += ephemeral.publicKey
            symmetric.mixHash(ephemeral.publicKey)
        case .s:
            message += try symmetric.encryptAndHash(localStatic.publicKey)
        case .ee, .es, .se:
            try mixDH(token)
        }
    }

    private mutating func read(_ token: Token, from cursor: inout ArraySlice<UInt8>) throws(CryptoError) {
        switch token {
        case .e:
            let publicKey = Array(cursor.prefix(X25519.keyBytes))
            cursor = cursor.dropFirst(X25519.keyBytes)
            remoteEphemeral = publicKey
            symmetric.mixHash(publicKey)
        case .s:
            let fieldBytes = X25519.keyBytes + (symmetric.hasKey ? NoiseLimits.tagBytes : 0)
            let field = Array(cursor.prefix(fieldBytes))
            cursor = cursor.dropFirst(fieldBytes)
            remoteStatic = try symmetric.decryptAndHash(field)
        case .ee, .es, .se:
            try mixDH(token)
        }
    }

    /// `MixKey(DH(...))` for a DH token, choosing keys by role (Noise section 5.3).
    private mutating func mixDH(_ token: Token) throws(CryptoError) {
        let useLocalStatic: Bool
        let useRemoteStatic: Bool
        switch token {
        case .ee: (useLocalStatic, useRemoteStatic) = (false, false)
        case .es: (useLocalStatic, useRemoteStatic) = (role == .responder, role == .initiator)
        case .se: (useLocalStatic, useRemoteStatic) = (role == .initiator, role == .responder)
        case .e, .s: preconditionFailure("not a DH token")
        }
        let local = useLocalStatic ? localStatic : localEphemeral!
        let remote = useRemoteStatic ? remoteStatic! : remoteEphemeral!
        let shared: SecretBytes
        do throws(CryptoError) {
            shared = try local.sharedSecret(with: remote)
        } catch {
            let whose = useRemoteStatic ? "static" : "ephemeral"
            throw CryptoError(.handshake, "the peer's \(whose) key is invalid: \(error.message)")
        }
        symmetric.mixKey(shared)
    }
}

// MARK: - Checks and errors

extension NoiseHandshake {
    /// Bytes of message `index` other than the payload: keys and the static key's tag.
    private static func fixedBytes(message index: Int) -> Int {
        [X25519.keyBytes, 2 * X25519.keyBytes + NoiseLimits.tagBytes, X25519.keyBytes + NoiseLimits.tagBytes][index]
    }

    private func checkTurn(writing: Bool) throws(CryptoError) {
        if let failure {
            throw CryptoError(.handshake, "Noise handshake already failed (\(failure.message)); close the connection")
        }
        guard nextMessage < Self.messagePatterns.count else {
            throw CryptoError(.handshake, "Noise handshake is already complete; use the transport keys from split()")
        }
        guard isWriteTurn == writing else {
            let action = writing ? "write" : "read"
            throw CryptoError(
                .handshake,
                "Noise \(role) cannot \(action) \(Self.messageNames[nextMessage]): it is the other party's turn"
            )
        }
    }

    private func checkLength(_ message: [UInt8], index: Int) throws(CryptoError) {
        let minimum = Self.fixedBytes(message: index) + (index == 0 ? 0 : NoiseLimits.tagBytes)
        guard message.count <= NoiseLimits.messageBytesMax else {
            throw CryptoError(
                .handshake,
                "received \(message.count) bytes, over the Noise limit of \(NoiseLimits.messageBytesMax)"
            )
        }
        guard message.count >= minimum else {
            throw CryptoError(.handshake, "received \(message.count) bytes, shorter than the \(minimum) it needs")
        }
    }

    /// Records the failure and returns it with the message named, keeping its code when it
    /// is an authentication failure (wrong prologue, wrong key, altered bytes).
    private mutating func fail(_ error: CryptoError, message index: Int) -> CryptoError {
        let code: CryptoError.Code = error.code == .authenticationFailed ? .authenticationFailed : .handshake
        var detail = error.message
        if error.code == .authenticationFailed {
            detail += "; the peer may use another network name, wire version or protocol"
        }
        let wrapped = CryptoError(code, "Noise \(role) failed on \(Self.messageNames[index]): \(detail)")
        failure = wrapped
        return wrapped
    }
}
