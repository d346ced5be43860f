import LatticeCrypto

/// A completed handshake: who the peer is, what was agreed, and the session to talk over.
public struct EstablishedSession: Sendable {
    /// The peer's static public key: its identity.
    public let remoteStaticKey: [UInt8]
    /// The wire version both sides speak on this connection.
    public let version: UInt16
    /// What the peer announced.
    public let remoteCapabilities: WireCapabilities
    public var session: TransportSession
}

/// What the connection does after a handshake message arrives.
public enum HandshakeStep: Sendable {
    /// Send `message` and wait for the next one.
    case reply([UInt8])
    /// The handshake is complete; send `reply` first when there is one.
    case established(reply: [UInt8]?, EstablishedSession)
    /// Send `reply` (message 2, so the initiator learns why), then close with the error.
    case refuse(reply: [UInt8], WireError)
}

/// Drives one Noise XX handshake and decides whether to admit the peer.
///
/// One struct per state (after swift-nio-ssh's connection state machine); each consumes
/// its input and names the next state. The driver does no I/O: the caller sends the
/// messages it returns, each behind a 2-byte length prefix. Any thrown error ends the
/// handshake; the caller closes the connection.
public struct HandshakeDriver: Sendable {
    enum State: Sendable {
        case initiatorReady(InitiatorReady)
        case initiatorAwaitingResponse(InitiatorAwaitingResponse)
        case responderAwaitingHello(ResponderAwaitingHello)
        case responderAwaitingConfirm(ResponderAwaitingConfirm)
        case finished
    }

    private var state: State
    /// The role this side plays.
    public let role: WireRole
    /// The peer's static key once a handshake message revealed it, even if it was refused.
    public private(set) var remoteStaticKey: [UInt8]?

    public init(role: WireRole, handshake: any WireHandshake, configuration: HandshakeConfiguration) {
        self.role = role
        let common = HandshakeCommon(noise: handshake, configuration: configuration)
        switch role {
        case .initiator: state = .initiatorReady(InitiatorReady(common: common))
        case .responder: state = .responderAwaitingHello(ResponderAwaitingHello(common: common))
        }
    }

    /// How many inbound handshake messages this role reads before the transport phase.
    public var inboundHandshakeMessages: Int { role == .initiator ? 1 : 2 }

    /// The initiator's first message. Responders have nothing to send first.
    public mutating func start() throws(WireError) -> [UInt8] {
        guard case .initiatorReady(let ready) = state else {
            throw WireError(.state, "start() is for an initiator that has not started")
        }
        state = .finished
        let (next, message) = try ready.start()
        state = .initiatorAwaitingResponse(next)
        return message
    }

    /// Consumes one inbound handshake message (the bytes after its length prefix).
    public mutating func receive(_ message: [UInt8]) throws(WireError) -> HandshakeStep {
        let current = state
        state = .finished
        switch current {
        case .initiatorAwaitingResponse(var s):
            defer { remoteStaticKey = s.common.noise.remoteStaticPublicKey }
            return try s.receiveResponse(message)
        case .responderAwaitingHello(let s):
            let (next, step) = try s.receiveHello(message)
            if let next { state = .responderAwaitingConfirm(next) }
            return step
        case .responderAwaitingConfirm(var s):
            defer { remoteStaticKey = s.common.noise.remoteStaticPublicKey }
            return try s.receiveConfirm(message)
        case .initiatorReady, .finished:
            throw WireError(.state, "unexpected handshake message in state \(current)")
        }
    }
}

/// What every state carries.
struct HandshakeCommon: Sendable {
    var noise: any WireHandshake
    let configuration: HandshakeConfiguration

    mutating func read(_ message: [UInt8], number: Int) throws(WireError) -> [UInt8] {
        do {
            return try noise.readMessage(message)
        } catch {
            throw WireError(
                .handshake,
                "handshake message \(number) (\(message.count) bytes) was rejected: \(error). The peer may be on "
                    + "another network (network names must match), speak another protocol, or the bytes were altered"
            )
        }
    }

    mutating func write(_ payload: [UInt8], number: Int) throws(WireError) -> [UInt8] {
        do {
            return try noise.writeMessage(payload: payload)
        } catch {
            throw WireError(.handshake, "cannot write handshake message \(number): \(error)")
        }
    }

    func split() throws(WireError) -> (send: any WireCipher, receive: any WireCipher) {
        do {
            return try noise.transportCiphers()
        } catch {
            throw WireError(.handshake, "cannot split the completed handshake: \(error)")
        }
    }
}
