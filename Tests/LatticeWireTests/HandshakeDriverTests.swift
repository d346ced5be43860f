import LatticeCrypto
import LatticeWire
import Testing

/// Runs a handshake between two drivers, returning both established sessions.
func establish(
    _ initiator: HandshakeDriver,
    _ responder: HandshakeDriver
) throws -> (
    initiator: EstablishedSession, responder: EstablishedSession
) {
    var initiator = initiator
    var responder = responder
    let m1 = try initiator.start()
    guard case .reply(let m2) = try responder.receive(m1) else { throw WireError(.state, "no message 2") }
    guard case .established(let m3?, let left) = try initiator.receive(m2) else {
        throw WireError(.state, "initiator did not establish")
    }
    guard case .established(nil, let right) = try responder.receive(m3) else {
        throw WireError(.state, "responder did not establish")
    }
    return (left, right)
}

func expectWireError(
    _ code: WireError.Code,
    _ body: () throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        try body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WireError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected WireError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct HandshakeDriverTests {
    let alice = TestPeer()
    let bob = TestPeer()

    @Test func handshake_establishesWithPeerKeysVersionAndCapabilities() throws {
        let (a, b) = try establish(alice.driver(.initiator, allowing: [bob]), bob.driver(.responder, allowing: [alice]))
        #expect(a.remoteStaticKey == bob.publicKey)
        #expect(b.remoteStaticKey == alice.publicKey)
        #expect(a.version == WireVersion.current && b.version == WireVersion.current)
        #expect(a.remoteCapabilities == [.zstd] && b.remoteCapabilities == [.zstd])
    }

    @Test func initiator_dropsAnUnknownResponderBeforeSendingMessage3() throws {
        var initiator = alice.driver(.initiator, allowing: [])
        var responder = bob.driver(.responder, allowing: [alice])
        guard case .reply(let m2) = try responder.receive(try initiator.start()) else { throw WireError(.state, "") }
        expectWireError(.peerNotAllowed) { _ = try initiator.receive(m2) }
        #expect(initiator.remoteStaticKey == bob.publicKey)
    }

    @Test func responder_dropsAnUnknownInitiatorAtMessage3() throws {
        var initiator = alice.driver(.initiator, allowing: [bob])
        var responder = bob.driver(.responder, allowing: [])
        guard case .reply(let m2) = try responder.receive(try initiator.start()),
            case .established(let m3?, _) = try initiator.receive(m2)
        else { throw WireError(.state, "") }
        expectWireError(.peerNotAllowed) { _ = try responder.receive(m3) }
        #expect(responder.remoteStaticKey == alice.publicKey)
    }

    @Test func handshake_failsBetweenNetworks() throws {
        var initiator = alice.driver(.initiator, network: "red", allowing: [bob])
        var responder = bob.driver(.responder, network: "blue", allowing: [alice])
        guard case .reply(let m2) = try responder.receive(try initiator.start()) else { throw WireError(.state, "") }
        expectWireError(.handshake) { _ = try initiator.receive(m2) }
    }

    @Test func responder_answersAVersionMismatchThenRefuses() throws {
        var initiator = alice.driver(.initiator, allowing: [bob], versions: 5...7)
        var responder = bob.driver(.responder, allowing: [alice], versions: 1...2)
        guard case .refuse(let m2, let error) = try responder.receive(try initiator.start()) else {
            throw WireError(.state, "responder did not refuse")
        }
        #expect(error.code == .versionMismatch)
        expectWireError(.versionMismatch) { _ = try initiator.receive(m2) }
    }

    @Test func handshake_picksTheHighestCommonVersion() throws {
        let (a, b) = try establish(
            alice.driver(.initiator, allowing: [bob], versions: 1...3),
            bob.driver(.responder, allowing: [alice], versions: 2...9)
        )
        #expect(a.version == 3 && b.version == 3)
        #expect(negotiateVersion(1...1, 2...2) == nil)
    }

    @Test func handshake_withoutZstdOnOneSideNeverCompressesTowardIt() throws {
        let (a, b) = try establish(
            alice.driver(.initiator, allowing: [bob], compressor: nil),
            bob.driver(.responder, allowing: [alice])
        )
        var sender = b.session
        var receiver = a.session
        let frame = WireFrame(type: .ping, payload: Array(repeating: 9, count: 5000))
        let messages = try sender.seal(frame)
        #expect(messages.reduce(0) { $0 + $1.count } > 5000)
        #expect(try messages.flatMap { try receiver.open($0) } == [frame])
    }

    @Test func payloads_rejectTruncatedAndEmptyRanges() throws {
        expectWireError(.handshakePayload) { _ = try InitiatorHello.decode([0, 1, 0]) }
        expectWireError(.handshakePayload) { _ = try InitiatorHello.decode([0, 2, 0, 1]) }
        expectWireError(.handshakePayload) { _ = try ResponderHello.decode([0, 1, 0, 1, 0, 1]) }
        expectWireError(.handshakePayload) { _ = try InitiatorConfirm.decode(Array(repeating: 0, count: 2000)) }
        #expect(try InitiatorHello.decode([0, 1, 0, 3, 0xAA]) == InitiatorHello(versions: 1...3))
    }

    @Test func driver_rejectsMessagesOutOfTurn() {
        var initiator = alice.driver(.initiator, allowing: [bob])
        expectWireError(.state) { _ = try initiator.receive([1, 2, 3]) }
        var responder = bob.driver(.responder, allowing: [alice])
        expectWireError(.state) { _ = try responder.start() }
        expectWireError(.handshake) { _ = try responder.receive([1, 2, 3]) }
    }
}
