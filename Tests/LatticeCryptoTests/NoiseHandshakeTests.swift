import Testing

@testable import LatticeCrypto

/// Failure behaviour of the handshake and cipher states: every failure is a typed
/// `CryptoError` that names the message and the reason.
@Suite struct NoiseHandshakeTests {
    struct Pair {
        var initiator: NoiseHandshake
        var responder: NoiseHandshake

        init(initiatorNetwork: String = "net", responderNetwork: String = "net") {
            initiator = NoiseHandshake(
                role: .initiator,
                prologue: LatticeNoise.prologue(network: initiatorNetwork),
                staticKeyPair: .generate()
            )
            responder = NoiseHandshake(
                role: .responder,
                prologue: LatticeNoise.prologue(network: responderNetwork),
                staticKeyPair: .generate()
            )
        }

        /// Runs the whole handshake and returns (initiator keys, responder keys).
        mutating func complete() throws -> (NoiseTransportKeys, NoiseTransportKeys) {
            _ = try responder.readMessage(try initiator.writeMessage(payload: []))
            _ = try initiator.readMessage(try responder.writeMessage(payload: []))
            _ = try responder.readMessage(try initiator.writeMessage(payload: []))
            return (try initiator.split(), try responder.split())
        }
    }

    /// Runs `body`, requiring a `CryptoError` with `code` whose message contains `fragment`.
    func expectError(
        _ code: CryptoError.Code,
        containing fragment: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected \(code) error containing \"\(fragment)\"", sourceLocation: sourceLocation)
        } catch let error as CryptoError {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message was: \(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a CryptoError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func writeMessage_outOfTurn_throwsAndKeepsState() throws {
        var pair = Pair()
        expectError(.handshake, containing: "other party's turn") { _ = try pair.responder.writeMessage(payload: []) }
        expectError(.handshake, containing: "other party's turn") {
            _ = try pair.initiator.readMessage([UInt8](repeating: 9, count: 32))
        }
        // A call out of turn does not poison the handshake.
        _ = try pair.complete()
    }

    @Test func handshake_afterCompletion_refusesMoreMessagesAndSplitsOnlyOnce() throws {
        var pair = Pair()
        _ = try pair.complete()
        expectError(.handshake, containing: "already complete") { _ = try pair.initiator.writeMessage(payload: []) }
        expectError(.handshake, containing: "already complete") { _ = try pair.responder.readMessage([]) }
    }

    @Test func split_beforeCompletion_throws() throws {
        var pair = Pair()
        expectError(.handshake, containing: "0 of 3") { _ = try pair.initiator.split() }
        _ = try pair.responder.readMessage(try pair.initiator.writeMessage(payload: []))
        expectError(.handshake, containing: "1 of 3") { _ = try pair.responder.split() }
    }

    @Test func differentNetworks_failAtMessage2WithAuthenticationError() throws {
        var pair = Pair(initiatorNetwork: "alpha", responderNetwork: "beta")
        _ = try pair.responder.readMessage(try pair.initiator.writeMessage(payload: []))
        let message2 = try pair.responder.writeMessage(payload: [])
        expectError(.authenticationFailed, containing: "message 2") { _ = try pair.initiator.readMessage(message2) }
        #expect(pair.initiator.remoteStaticPublicKey == nil)
        // The failure sticks: the handshake cannot continue.
        expectError(.handshake, containing: "already failed") { _ = try pair.initiator.writeMessage(payload: []) }
        expectError(.handshake, containing: "failed") { _ = try pair.initiator.split() }
    }

    @Test(arguments: [0, 40, 95, 100, 143])
    func tamperedMessage2_isRejected(flippedByte: Int) throws {
        var pair = Pair()
        _ = try pair.responder.readMessage(try pair.initiator.writeMessage(payload: []))
        var message2 = try pair.responder.writeMessage(payload: Array(repeating: 7, count: 48))
        message2[flippedByte] ^= 0x01
        #expect(throws: CryptoError.self) { try pair.initiator.readMessage(message2) }
        #expect(!pair.initiator.isComplete)
    }

    @Test func tamperedMessage3_failsAuthentication() throws {
        var pair = Pair()
        _ = try pair.responder.readMessage(try pair.initiator.writeMessage(payload: []))
        _ = try pair.initiator.readMessage(try pair.responder.writeMessage(payload: []))
        var message3 = try pair.initiator.writeMessage(payload: [1, 2, 3])
        message3[message3.count - 1] ^= 0x80
        expectError(.authenticationFailed, containing: "message 3") { _ = try pair.responder.readMessage(message3) }
        #expect(pair.responder.remoteStaticPublicKey == nil)
    }

    @Test func shortMessages_areRejectedWithTheLengthNeeded() throws {
        var pair = Pair()
        expectError(.handshake, containing: "shorter than the 32") { _ = try pair.responder.readMessage([1, 2, 3]) }
        var fresh = Pair()
        _ = try fresh.responder.readMessage(try fresh.initiator.writeMessage(payload: []))
        let message2 = try fresh.responder.writeMessage(payload: [])
        expectError(.handshake, containing: "shorter than the 96") {
            _ = try fresh.initiator.readMessage(Array(message2.prefix(95)))
        }
    }

    @Test func oversizedMessages_areRejected() throws {
        var pair = Pair()
        let big = [UInt8](repeating: 0x42, count: NoiseLimits.messageBytesMax + 1)
        expectError(.handshake, containing: "over the Noise limit of 65535") { _ = try pair.responder.readMessage(big) }
        var writer = Pair()
        let payload = [UInt8](repeating: 1, count: NoiseLimits.messageBytesMax - 31)
        expectError(.handshake, containing: "over the limit of 65535") {
            _ = try writer.initiator.writeMessage(payload: payload)
        }
    }

    @Test func largestHandshakePayloads_fitEveryMessage() throws {
        var pair = Pair()
        let payload = [UInt8](repeating: 0xab, count: NoiseLimits.handshakePayloadBytesMax)
        let message1 = try pair.initiator.writeMessage(payload: payload)
        #expect(try pair.responder.readMessage(message1) == payload)
        let message2 = try pair.responder.writeMessage(payload: payload)
        #expect(message2.count == NoiseLimits.messageBytesMax)
        #expect(try pair.initiator.readMessage(message2) == payload)
        #expect(try pair.responder.readMessage(try pair.initiator.writeMessage(payload: payload)) == payload)
    }

    @Test func lowOrderEphemeral_isRejectedAsHandshakeError() throws {
        var pair = Pair()
        // Message 1 is just the ephemeral key; send the identity point instead.
        var message1 = [UInt8](repeating: 0, count: 32)
        message1[0] = 1
        _ = try pair.responder.readMessage(message1)
        expectError(.handshake, containing: "ephemeral key is invalid") {
            _ = try pair.responder.writeMessage(payload: [])
        }
    }

    // MARK: Transport cipher states

    @Test func transport_wrongOrderOrTamperingFailsAndKeepsNonce() throws {
        var pair = Pair()
        var (a, b) = try pair.complete()
        let first = try a.send.encrypt(plaintext: [1])
        let second = try a.send.encrypt(plaintext: [2])
        expectError(.authenticationFailed, containing: "did not verify") {
            _ = try b.receive.decrypt(ciphertext: second)
        }
        #expect(b.receive.nonce == 0)
        #expect(try b.receive.decrypt(ciphertext: first) == [1])
        #expect(try b.receive.decrypt(ciphertext: second) == [2])
    }

    @Test func transport_eachDirectionHasItsOwnKey() throws {
        var pair = Pair()
        var (a, b) = try pair.complete()
        // Both send states are at nonce 0: equal ciphertexts would mean a shared key.
        let fromInitiator = try a.send.encrypt(plaintext: [3])
        let fromResponder = try b.send.encrypt(plaintext: [3])
        #expect(fromInitiator != fromResponder)
        #expect(try a.receive.decrypt(ciphertext: fromResponder) == [3])
        #expect(try b.receive.decrypt(ciphertext: fromInitiator) == [3])
    }

    @Test func transport_enforcesMessageLimits() throws {
        var pair = Pair()
        var (a, b) = try pair.complete()
        let largest = [UInt8](repeating: 5, count: NoiseLimits.transportPayloadBytesMax)
        let sealed = try a.send.encrypt(plaintext: largest)
        #expect(sealed.count == NoiseLimits.messageBytesMax)
        #expect(try b.receive.decrypt(ciphertext: sealed) == largest)
        expectError(.invalidInput, containing: "fragment") { _ = try a.send.encrypt(plaintext: largest + [0]) }
        expectError(.invalidInput, containing: "more than the limit") {
            _ = try b.receive.decrypt(ciphertext: sealed + [0])
        }
    }

    @Test func cipherState_refusesTheReservedNonce() throws {
        let key = SecretBytes(randomCount: 32)
        var sender = NoiseCipherState(key: key, nonce: UInt64.max - 1)
        var receiver = NoiseCipherState(key: key, nonce: UInt64.max - 1)
        #expect(try receiver.decrypt(ciphertext: try sender.encrypt(plaintext: [1])) == [1])
        #expect(sender.nonce == UInt64.max)
        expectError(.nonceExhausted, containing: "2^64-1") { _ = try sender.encrypt(plaintext: [2]) }
        expectError(.nonceExhausted, containing: "2^64-1") {
            _ = try receiver.decrypt(ciphertext: [UInt8](repeating: 0, count: 16))
        }
    }

    @Test func rekey_changesKeyKeepsNonceAndBothSidesStayInStep() throws {
        var pair = Pair()
        var (a, b) = try pair.complete()
        _ = try b.receive.decrypt(ciphertext: try a.send.encrypt(plaintext: [1]))
        var stale = a.send
        a.send.rekey()
        #expect(a.send.nonce == 1)
        let afterRekey = try a.send.encrypt(plaintext: [2])
        #expect(try stale.encrypt(plaintext: [2]) != afterRekey)
        #expect(throws: CryptoError.self) {
            var r = b.receive
            _ = try r.decrypt(ciphertext: afterRekey)
        }
        b.receive.rekey()
        #expect(try b.receive.decrypt(ciphertext: afterRekey) == [2])
    }

    @Test func rekeyIfDue_firesOncePerInterval() throws {
        var pair = Pair()
        var (a, b) = try pair.complete()
        var rekeys = 0
        for index in 0..<10 {
            let message = try a.send.encrypt(plaintext: [UInt8(index)])
            if a.send.rekeyIfDue(intervalMessages: 4) { rekeys += 1 }
            #expect(try b.receive.decrypt(ciphertext: message) == [UInt8(index)])
            b.receive.rekeyIfDue(intervalMessages: 4)
            let again = a.send.rekeyIfDue(intervalMessages: 4)
            #expect(!again, "a second call at the same nonce must not rekey again")
        }
        #expect(rekeys == 2)
    }
}

/// Random bytes in place of messages 2 and 3: always a typed error, never a crash or a
/// completed handshake. Deterministic (SplitMix64 from a fixed seed, printed on failure).
@Suite struct NoiseRandomMessageTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seed: UInt64 = 0x1a77_1ce0

    @Test func randomMessages2And3_areRejected() throws {
        var random = SplitMix64(state: Self.seed)
        for round in 0..<300 {
            let length = Int.random(in: 0...400, using: &random)
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var pair = NoiseHandshakeTests.Pair()
            _ = try pair.responder.readMessage(try pair.initiator.writeMessage(payload: []))
            #expect(throws: CryptoError.self, "seed \(Self.seed) round \(round)") {
                try pair.initiator.readMessage(garbage)
            }
            var second = NoiseHandshakeTests.Pair()
            _ = try second.responder.readMessage(try second.initiator.writeMessage(payload: []))
            _ = try second.initiator.readMessage(try second.responder.writeMessage(payload: []))
            #expect(throws: CryptoError.self, "seed \(Self.seed) round \(round)") {
                try second.responder.readMessage(garbage)
            }
            #expect(!second.responder.isComplete)
        }
    }
}
