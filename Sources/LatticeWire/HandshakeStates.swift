/// Initiator, before message 1.
struct InitiatorReady: Sendable {
    var common: HandshakeCommon

    consuming func start() throws(WireError) -> (InitiatorAwaitingResponse, [UInt8]) {
        let hello = InitiatorHello(versions: common.configuration.versions)
        let message = try common.write(hello.encoded(), number: 1)
        return (InitiatorAwaitingResponse(common: common), message)
    }
}

/// Initiator, after sending message 1: reads message 2, checks the responder's key and
/// version, and sends message 3.
struct InitiatorAwaitingResponse: Sendable {
    var common: HandshakeCommon

    mutating func receiveResponse(_ message: [UInt8]) throws(WireError) -> HandshakeStep {
        let payload = try common.read(message, number: 2)
        guard let key = common.noise.remoteStaticPublicKey else {
            throw WireError(.handshake, "handshake message 2 did not reveal the responder's static key")
        }
        try common.configuration.checkAllowed(key, message: 2)
        let hello = try ResponderHello.decode(payload)
        let ours = common.configuration.versions
        guard let selected = hello.selected else {
            throw WireError(
                .versionMismatch,
                "peer \(keyPrefix(key)) speaks wire versions \(hello.versions), this node \(ours); upgrade one side"
            )
        }
        guard ours.contains(selected), hello.versions.contains(selected) else {
            throw WireError(
                .handshakePayload,
                "peer \(keyPrefix(key)) selected wire version \(selected), outside the offered \(ours)"
            )
        }
        let confirm = InitiatorConfirm(selected: selected, capabilities: common.configuration.capabilities)
        let reply = try common.write(confirm.encoded(), number: 3)
        guard common.noise.isComplete else {
            throw WireError(.handshake, "handshake is not complete after message 3")
        }
        let session = common.configuration.session(ciphers: try common.split(), remoteCapabilities: hello.capabilities)
        let established = EstablishedSession(
            remoteStaticKey: key,
            version: selected,
            remoteCapabilities: hello.capabilities,
            session: session
        )
        return .established(reply: reply, established)
    }
}

/// Responder, before message 1: reads the offered versions and answers with message 2.
struct ResponderAwaitingHello: Sendable {
    var common: HandshakeCommon

    consuming func receiveHello(_ message: [UInt8]) throws(WireError) -> (ResponderAwaitingConfirm?, HandshakeStep) {
        let payload = try common.read(message, number: 1)
        let hello = try InitiatorHello.decode(payload)
        let ours = common.configuration.versions
        let selected = negotiateVersion(ours, hello.versions)
        let answer = ResponderHello(selected: selected, versions: ours, capabilities: common.configuration.capabilities)
        let reply = try common.write(answer.encoded(), number: 2)
        guard let selected else {
            let error = WireError(
                .versionMismatch,
                "initiator speaks wire versions \(hello.versions), this node \(ours); upgrade one side"
            )
            return (nil, .refuse(reply: reply, error))
        }
        return (ResponderAwaitingConfirm(common: common, selected: selected), .reply(reply))
    }
}

/// Responder, after message 2: reads message 3, checks the initiator's key and version.
struct ResponderAwaitingConfirm: Sendable {
    var common: HandshakeCommon
    let selected: UInt16

    mutating func receiveConfirm(_ message: [UInt8]) throws(WireError) -> HandshakeStep {
        let payload = try common.read(message, number: 3)
        guard let key = common.noise.remoteStaticPublicKey, common.noise.isComplete else {
            throw WireError(.handshake, "handshake message 3 did not complete the handshake")
        }
        try common.configuration.checkAllowed(key, message: 3)
        let confirm = try InitiatorConfirm.decode(payload)
        guard confirm.selected == selected else {
            throw WireError(
                .handshakePayload,
                "peer \(keyPrefix(key)) confirmed wire version \(confirm.selected), but \(selected) was selected"
            )
        }
        let session = common.configuration.session(
            ciphers: try common.split(),
            remoteCapabilities: confirm.capabilities
        )
        let established = EstablishedSession(
            remoteStaticKey: key,
            version: selected,
            remoteCapabilities: confirm.capabilities,
            session: session
        )
        return .established(reply: nil, established)
    }
}
