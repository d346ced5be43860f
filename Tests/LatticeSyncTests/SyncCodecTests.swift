import Foundation
import LatticeCore
import LatticeSync
import Testing

/// `Protocols/vectors/sync-v1.json` against this build, and the sync codec's rules.
@Suite("Sync codec and vectors")
struct SyncVectorTests {
    @Test("Protocols/vectors/sync-v1.json is exactly what this build produces")
    func publishedVectors_matchThisBuild() throws {
        let rendered = try SyncVectors.render()
        let published = try String(contentsOfFile: SyncVectors.path, encoding: .utf8)
        #expect(
            published == rendered,
            "regenerate with LATTICE_WRITE_VECTORS=1 swift test --filter SyncVectorTests if the change is intended"
        )
        #expect(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) is [String: Any])
    }

    @Test("every message kind decodes to what was encoded and re-encodes to the same bytes")
    func everyKind_roundTrips() throws {
        let messages = try SyncVectors.messages()
        let kinds = Set(messages.map(\.message.kind.rawValue))
        #expect(kinds == Set(1...7), "the vectors cover every kind of the registry")
        for (name, _, message) in messages {
            let bytes = SyncCodec.encode(message)
            let decoded = try SyncCodec.decode(bytes)
            #expect(decoded == message, "\(name)")
            #expect(SyncCodec.encode(decoded) == bytes, "\(name)")
        }
    }

    @Test("each published invalid message is refused with its named code")
    func invalidMessages_areRefusedWithTheirCode() {
        for (name, bytes, code) in SyncVectors.invalid() {
            #expect(SyncVectors.decodingOutcome(bytes) == code, "\(name)")
        }
    }

    @Test("every prefix of a valid message is refused, never trapped on")
    func truncatedMessages_areRefused() throws {
        for (name, _, message) in try SyncVectors.messages() {
            let bytes = SyncCodec.encode(message)
            for end in 0..<bytes.count {
                #expect(SyncVectors.decodingOutcome(Array(bytes[..<end])) != "accepted", "\(name) cut at \(end)")
            }
        }
    }

    @Test("coalescing keeps each tenant's order, groups per tenant and sends a lone write as a push")
    func coalescing_groupsPerTenantInOrder() throws {
        var (ea, _) = SyncVectors.engines()
        var queued: [(tenant: String, delta: KeyDelta)] = []
        for i in 0..<(SyncLimits.pushesPerMessageMax + 3) {
            let w = try ea.write(tenant: SyncVectors.tenant, key: "k\(i % 7)", .increment(by: 1), at: SyncVectors.ts(0))
            queued.append((SyncVectors.tenant, w.delta))
        }
        let lone = KeyDelta(key: "x", dot: Dot(replica: SyncVectors.b, counter: 1), delta: queued[0].delta.delta)
        queued.insert(("other", lone), at: 5)
        let messages = SyncMessage.coalescing(queued)
        #expect(messages.count == 3)
        guard case let .pushes("shop", first) = messages[0], case let .pushes("shop", second) = messages[1],
            case .push("other", lone) = messages[2]
        else {
            Issue.record("expected pushes(shop) ×2 then push(other), got \(messages.map(\.kind))")
            return
        }
        #expect(first.count == SyncLimits.pushesPerMessageMax && second.count == 3)
        #expect((first + second).map(\.dot.counter) == Array(1...UInt64(SyncLimits.pushesPerMessageMax + 3)))
        #expect(SyncMessage.coalescing([]).isEmpty)
    }
}

@Suite("Engine: coalesced pushes")
struct EnginePushesTests {
    /// Engines where b pulls `keys` keys from a in batches of one and has received only the
    /// first batch: b's answer is half received. Returns the batches a sent.
    func midAnswer(keys: Int) throws -> (SyncEngine, SyncEngine, [SyncMessage]) {
        var (ea, eb) = SyncVectors.engines()
        ea.batchKeys = 1
        for i in 0..<keys {
            _ = try ea.write(tenant: SyncVectors.tenant, key: "k\(i)", .increment(by: 1), at: SyncVectors.ts(0))
        }
        let summary = SyncVectors.sent(eb.startRound(with: "a", now: 1))[0]
        let batches = SyncVectors.sent(ea.receive(summary, from: "b", now: 0))
        _ = eb.receive(batches[0], from: "a", now: 0)
        return (ea, eb, batches)
    }

    @Test("a pushes message is applied in order, as its pushes one by one would be")
    func pushes_applyLikeSinglePushes() throws {
        var (ea, eb) = SyncVectors.engines()
        var (_, single) = SyncVectors.engines()
        var deltas: [KeyDelta] = []
        for i in 0..<20 {
            let op: CRDTOperation = i % 5 == 4 ? .clear : .add(.int(Int64(i)))
            deltas.append(
                try ea.write(tenant: SyncVectors.tenant, key: "set\(i % 3)", op, at: SyncVectors.ts(UInt64(i))).delta
            )
        }
        let out = eb.receive(.pushes(tenant: SyncVectors.tenant, deltas), from: "a", now: 0)
        for d in deltas { _ = single.receive(.push(tenant: SyncVectors.tenant, d), from: "a", now: 0) }
        #expect(eb.tenants[SyncVectors.tenant]!.keys == ea.tenants[SyncVectors.tenant]!.keys)
        #expect(eb.tenants[SyncVectors.tenant]!.keys == single.tenants[SyncVectors.tenant]!.keys)
        #expect(eb.tenants[SyncVectors.tenant]!.complete == ea.tenants[SyncVectors.tenant]!.complete)
        #expect(eb.counters.pushesApplied == 20)
        #expect(out.contains(.changed(tenant: SyncVectors.tenant, keys: deltas.map(\.key))))
        #expect(
            !out.contains { if case .peerAhead = $0 { true } else { false } },
            "contiguous pushes leave nothing missing"
        )
    }

    @Test("a pushes message from a peer that may only read is refused once and applies nothing")
    func pushes_fromReader_areRefusedOnce() throws {
        var (ea, _) = SyncVectors.engines()
        var eb = SyncEngine(
            replica: SyncVectors.b,
            tenants: [SyncVectors.tenant],
            peers: [PeerPolicy(id: "a", permissions: [SyncVectors.tenant: .read])]
        )
        eb.connected("a")
        let deltas = try (0..<3).map { i in
            try ea.write(tenant: SyncVectors.tenant, key: "k\(i)", .increment(by: 1), at: SyncVectors.ts(0)).delta
        }
        let out = eb.receive(.pushes(tenant: SyncVectors.tenant, deltas), from: "a", now: 0)
        #expect(eb.tenants[SyncVectors.tenant]!.keys.isEmpty)
        #expect(eb.counters.writesRefused == 1)
        #expect(SyncVectors.sent(out).map(\.kind) == [.refused])
    }

    @Test("a push that arrives while a pull's answer is half received is applied when the answer completes")
    func pushDuringAnswer_isHeldThenApplied() throws {
        var (ea, eb, batches) = try midAnswer(keys: 3)
        #expect(batches.count == 3)
        let late = try ea.write(tenant: SyncVectors.tenant, key: "late", .increment(by: 5), at: SyncVectors.ts(1))
        #expect(eb.receive(.push(tenant: SyncVectors.tenant, late.delta), from: "a", now: 0).isEmpty)
        #expect(eb.value(tenant: SyncVectors.tenant, key: "late") == nil, "not applied mid-answer")
        #expect(eb.counters.pushesDeferred == 1)
        _ = eb.receive(batches[1], from: "a", now: 0)
        let out = eb.receive(batches[2], from: "a", now: 0)
        #expect(out.contains(.changed(tenant: SyncVectors.tenant, keys: ["late"])))
        #expect(eb.tenants[SyncVectors.tenant]!.keys == ea.tenants[SyncVectors.tenant]!.keys)
        #expect(eb.tenants[SyncVectors.tenant]!.complete == ea.tenants[SyncVectors.tenant]!.complete)
        #expect(eb.counters.pushesApplied == 1 && eb.counters.pushesDropped == 0)
    }

    @Test("past deferredPushesMax held pushes are dropped and counted; the rest apply when the answer completes")
    func heldPushes_areBounded() throws {
        var (ea, eb, batches) = try midAnswer(keys: 2)
        let extra = 3
        var deltas: [KeyDelta] = []
        for i in 0..<(SyncEngine.deferredPushesMax + extra) {
            deltas.append(
                try ea.write(tenant: SyncVectors.tenant, key: "p\(i % 50)", .increment(by: 1), at: SyncVectors.ts(1))
                    .delta
            )
        }
        for message in SyncMessage.coalescing(deltas.map { (SyncVectors.tenant, $0) }) {
            _ = eb.receive(message, from: "a", now: 0)
        }
        #expect(eb.counters.pushesDeferred == UInt64(SyncEngine.deferredPushesMax))
        #expect(eb.counters.pushesDropped == UInt64(extra))
        _ = eb.receive(batches[1], from: "a", now: 0)
        #expect(eb.counters.pushesApplied == UInt64(SyncEngine.deferredPushesMax))
    }

    @Test("pushes held by a pull that is abandoned are dropped and counted; the next round carries them")
    func pushDuringAbandonedAnswer_isDropped() throws {
        var (ea, eb, _) = try midAnswer(keys: 3)
        let late = try ea.write(tenant: SyncVectors.tenant, key: "late", .increment(by: 5), at: SyncVectors.ts(1))
        _ = eb.receive(.push(tenant: SyncVectors.tenant, late.delta), from: "a", now: 0)
        eb.disconnected("a")
        #expect(eb.counters.pushesDropped == 1)
        eb.connected("a")
        let again = SyncVectors.sent(eb.startRound(with: "a", now: 2))[0]
        for batch in SyncVectors.sent(ea.receive(again, from: "b", now: 0)) { _ = eb.receive(batch, from: "a", now: 0) }
        #expect(eb.tenants[SyncVectors.tenant]!.keys == ea.tenants[SyncVectors.tenant]!.keys)
    }

    @Test("a gap before a pushes message is reported once, as the peer being ahead")
    func pushes_afterAGap_reportPeerAhead() throws {
        var (ea, eb) = SyncVectors.engines()
        _ = try ea.write(tenant: SyncVectors.tenant, key: "lost", .increment(by: 1), at: SyncVectors.ts(0))
        let deltas = try (0..<3).map { i in
            try ea.write(tenant: SyncVectors.tenant, key: "k\(i)", .increment(by: 1), at: SyncVectors.ts(1)).delta
        }
        let out = eb.receive(.pushes(tenant: SyncVectors.tenant, deltas), from: "a", now: 0)
        let ahead = out.filter { if case .peerAhead = $0 { true } else { false } }
        #expect(ahead == [.peerAhead(peer: "a", tenant: SyncVectors.tenant, dots: 4)])
    }
}
