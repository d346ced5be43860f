import LatticeCrypto
import LatticeWire
import Testing

@Suite struct TransportSessionTests {
    let alice = TestPeer()
    let bob = TestPeer()

    func sessions(rekeyMessagesMax: UInt64 = WireLimits.rekeyMessagesMax) throws -> (TransportSession, TransportSession)
    {
        let (a, b) = try establish(
            alice.driver(.initiator, allowing: [bob], rekeyMessagesMax: rekeyMessagesMax),
            bob.driver(.responder, allowing: [alice], rekeyMessagesMax: rekeyMessagesMax)
        )
        return (a.session, b.session)
    }

    @Test(arguments: [0, 1, 65_535, 65_519 - 7, 65_519 - 6, 1 << 20])
    func session_carriesFramesIntact(size: Int) throws {
        var (a, b) = try sessions()
        let frame = WireFrame(type: .sync, payload: Random.bytesForTest(count: size))
        let messages = try a.seal(frame)
        #expect(messages.allSatisfy { $0.count <= WireLimits.transportMessageBytesMax })
        var received: [WireFrame] = []
        for message in messages { received += try b.open(message) }
        #expect(received == [frame])
    }

    @Test(arguments: [0, 1, 65_519 - 7, 65_519 - 6, 200_000])
    func sealIntoABuffer_writesTheBytesOfTheArrayForm_andOpensFromBuffers(size: Int) throws {
        var (a, b) = try sessions()
        var copy = a
        let frame = WireFrame(type: .sync, payload: Random.bytesForTest(count: size))
        let expected = try copy.seal(frame).flatMap { message in
            [UInt8(truncatingIfNeeded: message.count >> 8), UInt8(truncatingIfNeeded: message.count)] + message
        }
        var stream: [UInt8] = []
        try a.seal(frame, into: &stream)
        #expect(stream == expected)
        var received: [WireFrame] = []
        var rest = stream[...]
        while !rest.isEmpty {
            let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            let message = rest.dropFirst(2).prefix(length)
            received += try message.withUnsafeBytes { try b.open($0) }
            rest = rest.dropFirst(2 + length)
        }
        #expect(received == [frame])
        #expect(a.messagesSent == copy.messagesSent && b.messagesReceived == a.messagesSent)
    }

    @Test func session_rekeysBothSidesInLockstep() throws {
        var (a, b) = try sessions(rekeyMessagesMax: 3)
        for round in 0..<20 {
            let frame = WireFrame(type: .ping, payload: [UInt8(round)])
            for message in try a.seal(frame) { #expect(try b.open(message) == [frame]) }
            for message in try b.seal(frame) { #expect(try a.open(message) == [frame]) }
        }
        #expect(a.sendRekeys == 6 && b.receiveRekeys == 6 && b.sendRekeys == 6 && a.receiveRekeys == 6)
    }

    @Test func session_rejectsAReplayedMessage() throws {
        var (a, b) = try sessions()
        let first = try a.seal(WireFrame(type: .ping, payload: [1]))[0]
        _ = try b.open(first)
        expectWireError(.authentication) { _ = try b.open(first) }
    }

    @Test func session_rejectsEveryFlippedByte() throws {
        var (a, b) = try sessions()
        let message = try a.seal(WireFrame(type: .ping, payload: Array(repeating: 5, count: 40)))[0]
        for index in message.indices {
            var altered = message
            altered[index] ^= 0x01
            var receiver = b
            expectWireError(.authentication) { _ = try receiver.open(altered) }
        }
        #expect(try b.open(message).count == 1)
    }

    @Test func session_rejectsMessagesShorterThanTheTag() throws {
        var (_, b) = try sessions()
        expectWireError(.messageLength) { _ = try b.open(Array(repeating: 0, count: 15)) }
    }
}
