import LatticeCore
import LatticeStore
import LatticeSync
import LatticeWire
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The node's state and its one loop. The authoritative replica state is a `SyncEngine` in
/// memory (the same engine the simulator checks); every step the loop takes is persisted with
/// `ReplicaStore.checkpoint` before anything it caused leaves the node — no acknowledgement, no
/// frame, no change notification goes out before the commit covering it is durable.
///
/// Events from connections, timers and API calls queue in a `NodeInbox`; the loop takes them in
/// batches (group commit), so one fsync covers many writes. Only the loop mutates the engine and
/// the scheduler; reads (admin, API) see the in-memory state between steps.
actor NodeCore {
    let configuration: NodeConfiguration
    let store: ReplicaStore
    let inbox = NodeInbox<NodeEvent>(capacity: NodeLimits.inboxEventsMax)
    let changes = ChangeBroadcaster()
    let logger: Logger
    let startedAt = ContinuousClock.now
    var engine: SyncEngine
    var scheduler: SyncScheduler<String, String>
    var clock: HybridLogicalClock
    var rng = SystemRandomNumberGenerator()
    var links: [String: PeerLink] = [:]
    var stats: [String: PeerStats] = [:]
    var rounds: [String: RoundState] = [:]
    /// Keys changed in memory whose commit failed; the next step saves them again.
    var unpersisted: [String: Set<String>] = [:]
    /// The peer the next periodic repair runs with (round robin over configured peers).
    var nextRepairPeer = 0
    /// Durable pushes waiting for their peer's coalescing window.
    var pendingPushes: [String: [(tenant: String, delta: KeyDelta)]] = [:]
    /// Per peer, the zstd level the scheduler chose for its latest round (from the link's
    /// goodput: none on loopback-fast links, stronger on slow ones); frames to the peer use it.
    var compressionLevels: [String: Int] = [:]
    var tickGeneration: UInt64 = 0
    var tickTask: Task<Void, Never>?
    var pendingDirectives: [SyncScheduler<String, String>.Directive] = []
    var applyingDirectives = false
    /// Set when the connector (the transport shell) is attached.
    var dial: (@Sendable (String) -> Void)?
    var persistFailures: UInt64 = 0
    /// Durable commits of sync state, one per tenant and step that changed it.
    var checkpoints: UInt64 = 0
    var lastPersistError: String?
    var malformedMessages: UInt64 = 0
    var roundsCompleted: UInt64 = 0

    init(configuration: NodeConfiguration, store: ReplicaStore, engine: SyncEngine) throws {
        self.configuration = configuration
        self.store = store
        self.engine = engine
        self.logger = configuration.logger
        scheduler = try SyncScheduler(preset: configuration.preset)
        clock = HybridLogicalClock(physicalMilliseconds: { UInt64(Self.wallMilliseconds()) })
        for peer in configuration.peers { stats[peer.id] = PeerStats() }
    }

    static func wallMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Milliseconds since the node started: the engine's time scale.
    var nowMilliseconds: UInt64 {
        let c = (ContinuousClock.now - startedAt).components
        return UInt64(c.seconds) * 1_000 + UInt64(c.attoseconds / 1_000_000_000_000_000)
    }

    var now: Duration { ContinuousClock.now - startedAt }

    func attach(dial: @escaping @Sendable (String) -> Void) {
        self.dial = dial
    }

    // MARK: The loop

    /// Adds every peer to the scheduler, then handles events until the inbox closes.
    func run() async {
        var first = NodeStep()
        for peer in configuration.peers {
            do {
                apply(try scheduler.addPeer(peer.id, now: now), &first)
            } catch {
                logger.error("peer not scheduled", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
            }
        }
        await finish(first)
        scheduleGarbageCollection()
        scheduleRepair()
        while let events = await inbox.take(limit: NodeLimits.eventsPerStepMax) {
            var step = NodeStep()
            for event in events { handle(event, &step) }
            await finish(step)
        }
        tickTask?.cancel()
        for link in links.values { link.outbound.finish() }
        changes.finish()
    }

    /// Persists what the step changed, then lets its effects out.
    private func finish(_ step: NodeStep) async {
        var failures: [String: any Error] = [:]
        // Keys of a step whose commit failed are retried with this one: the vectors saved next
        // claim their dots, so their states must be saved with them.
        var dirty = step.dirty
        for (tenant, keys) in unpersisted { dirty[tenant, default: []].formUnion(keys) }
        unpersisted = [:]
        for (tenant, keys) in dirty.sorted(by: { $0.key < $1.key }) {
            guard let replica = engine.tenants[tenant] else { continue }
            do {
                try await store.checkpoint(
                    tenant: tenant,
                    states: keys.sorted().map { ($0, replica.keys[$0]) },
                    context: replica.context,
                    complete: replica.complete
                )
                checkpoints += 1
            } catch {
                failures[tenant] = error
                unpersisted[tenant, default: []].formUnion(keys)
                persistFailures += 1
                lastPersistError = "\(error)"
                logger.error(
                    "cannot persist a sync step; writes in it fail and the node stops sending until a step persists",
                    metadata: ["tenant": "\(tenant)", "error": "\(error)"]
                )
            }
        }
        for reply in step.replies {
            switch reply.outcome {
            case .success: reply.reply.continuation.resume()
            case .failure(let error): reply.reply.continuation.resume(throwing: error)
            }
        }
        // A write is acknowledged exactly when its tenant's commit is durable.
        for (tenant, reply) in step.acknowledgements {
            if let failure = failures[tenant] {
                reply.continuation.resume(throwing: failure)
            } else {
                reply.continuation.resume()
            }
        }
        guard failures.isEmpty else {
            // Nothing else of this step leaves the node: peers re-pull what they lack.
            for (reply, _) in step.syncReplies { reply.resume(returning: 0) }
            return
        }
        for (reply, started) in step.syncReplies { reply.resume(returning: started) }
        for (peer, frame) in step.frames { send(frame, to: peer) }
        queuePushes(step.pushes)
        changes.publish(
            step.changes.map { change in
                var c = change
                c.value = engine.value(tenant: change.tenant, key: change.key)
                return c
            }
        )
    }

    func send(_ payload: [UInt8], to peer: String) {
        guard let link = links[peer] else { return }
        stats[peer, default: PeerStats()].bytesOut += UInt64(payload.count)
        stats[peer, default: PeerStats()].messagesOut += 1
        let frame = WireFrame(type: .sync, payload: payload, compressionLevel: compressionLevels[peer])
        if case .dropped = link.outbound.yield(frame) {
            logger.warning(
                "peer is not reading fast enough; closing the connection (the next round resends what it lacks)",
                metadata: ["peer": "\(NodeIdentity.short(peer))", "queued": "\(NodeLimits.outboundFramesQueuedMax)"]
            )
            link.outbound.finish()
        }
    }

    // MARK: Events

    private func handle(_ event: NodeEvent, _ step: inout NodeStep) {
        switch event {
        case let .write(tenant, key, op, reply): write(tenant, key, op, reply, &step)
        case let .connectionUp(peer, connection, outbound, address):
            connectionUp(peer, connection, outbound, address, &step)
        case let .connectionDown(peer, connection, reason): connectionDown(peer, connection, reason, &step)
        case let .received(peer, connection, payload): received(peer, connection, payload, &step)
        case let .dialFailed(peer, reason):
            stats[peer]?.dialing = false
            stats[peer]?.lastError = reason
            guard rounds.removeValue(forKey: peer) != nil else { return }
            apply(scheduler.roundFailed(peer: peer, .error(reason), now: now, using: &rng), &step)
        case .tick(let generation):
            guard generation == tickGeneration else { return }
            apply(scheduler.tick(now: now), &step)
        case let .roundTimeout(peer, startedAt):
            guard let round = rounds[peer], round.startedAt == startedAt else { return }
            rounds[peer] = nil
            engine.abandonPulls(with: peer, startedAtOrBefore: startedAt)
            stats[peer]?.lastError = "round timed out after \(round.timeout)"
            apply(scheduler.roundFailed(peer: peer, .timeout, now: now, using: &rng), &step)
        case let .syncNow(peer, reply):
            var started = 0
            for id in configuration.peers.map(\.id) where peer == nil || peer == id {
                guard links[id] != nil, rounds[id] == nil else { continue }
                apply(scheduler.roundStarted(peer: id, now: now), &step)
                if startEngineRound(id, timeout: .seconds(30), &step) { started += 1 }
            }
            step.syncReplies.append((reply, started))
        case .collectGarbage: collectGarbage(&step)
        case let .repair(peer, reply):
            let started = startRepair(peer, periodic: reply == nil, &step)
            if let reply { step.syncReplies.append((reply, started)) }
        }
    }

    private func write(
        _ tenant: String,
        _ key: String,
        _ op: CRDTOperation,
        _ reply: WriteReply,
        _ step: inout NodeStep
    ) {
        guard engine.tenants[tenant] != nil else {
            let error = NodeError.unknownTenant(tenant)
            step.replies.append(.init(reply: reply, outcome: .failure(error)))
            return
        }
        // A write that replaces a register value must order after it, even when that value came
        // from a peer whose clock runs ahead: fold the value's timestamp into the clock first.
        if let seen = engine.value(tenant: tenant, key: key)?.register.winner?.timestamp {
            do {
                try clock.receive(seen)
            } catch {
                logger.warning(
                    "a register timestamp is far in the future; is a peer's clock wrong?",
                    metadata: ["key": "\(key)", "error": "\(error)"]
                )
            }
        }
        do {
            let (_, outputs) = try engine.write(tenant: tenant, key: key, op, at: clock.now())
            step.dirty[tenant, default: []].insert(key)
            step.acknowledgements.append((tenant, reply))
            perform(outputs, origin: .local, &step)
            apply(scheduler.localWrite(now: now), &step)
        } catch {
            step.replies.append(.init(reply: reply, outcome: .failure(NodeError(.rejected, error.message))))
        }
    }

    private func connectionUp(
        _ peer: String,
        _ connection: UInt64,
        _ outbound: AsyncStream<WireFrame>.Continuation,
        _ address: String,
        _ step: inout NodeStep
    ) {
        if let old = links[peer] {
            // A newer connection replaces an older one (the peer restarted, or both dialled).
            old.outbound.finish()
            engine.disconnected(peer)
        }
        links[peer] = PeerLink(connection: connection, outbound: outbound, address: address)
        stats[peer, default: PeerStats()].dialing = false
        engine.connected(peer)
        logger.info("peer connected", metadata: ["peer": "\(displayName(peer))", "address": "\(address)"])
        apply(scheduler.connectionChanged(peer: peer, to: .connected, now: now, using: &rng), &step)
        if let round = rounds[peer], round.awaitingConnection {
            rounds[peer] = nil
            _ = startEngineRound(peer, timeout: round.timeout, &step)
        }
    }

    private func connectionDown(_ peer: String, _ connection: UInt64, _ reason: String, _ step: inout NodeStep) {
        guard let link = links[peer], link.connection == connection else { return }
        links[peer] = nil
        pendingPushes[peer] = nil
        compressionLevels[peer] = nil
        stats[peer]?.lastError = reason
        engine.disconnected(peer)
        rounds[peer] = nil
        logger.info("peer disconnected", metadata: ["peer": "\(displayName(peer))", "reason": "\(reason)"])
        apply(scheduler.connectionChanged(peer: peer, to: .lost(reason: reason), now: now, using: &rng), &step)
    }

    private func received(_ peer: String, _ connection: UInt64, _ payload: [UInt8], _ step: inout NodeStep) {
        guard let link = links[peer], link.connection == connection else { return }
        stats[peer]?.bytesIn += UInt64(payload.count)
        stats[peer]?.messagesIn += 1
        if rounds[peer] != nil { rounds[peer]!.bytes += payload.count }
        let message: SyncMessage
        do {
            message = try SyncCodec.decode(payload)
        } catch {
            malformedMessages += 1
            stats[peer]?.malformed += 1
            stats[peer]?.lastError = "malformed sync message: \(error)"
            logger.warning(
                "malformed sync message; closing this peer's connection",
                metadata: ["peer": "\(displayName(peer))", "bytes": "\(payload.count)", "error": "\(error)"]
            )
            link.outbound.finish()
            return
        }
        // Only what changes the replica is committed: the engine reports it (`changed`,
        // `pullFinished`), so a summary or a repair step costs no durable commit.
        if case .refused(let tenant, let code, let text) = message {
            stats[peer]?.lastError = "peer refused \(tenant): \(code): \(text.prefix(200))"
            logger.warning("peer refused our data", metadata: ["peer": "\(displayName(peer))", "code": "\(code)"])
        }
        perform(engine.receive(message, from: peer, now: nowMilliseconds), origin: .peer(peer), &step)
    }

    // MARK: Directive queue (see `apply`)

    func pendingDirectivesAppend(_ directives: [SyncScheduler<String, String>.Directive]) {
        pendingDirectives.append(contentsOf: directives)
    }

    func beginApplying() -> Bool {
        guard !applyingDirectives else { return false }
        applyingDirectives = true
        return true
    }

    func nextPendingDirective() -> SyncScheduler<String, String>.Directive? {
        pendingDirectives.isEmpty ? nil : pendingDirectives.removeFirst()
    }

    func endApplying() { applyingDirectives = false }

    func displayName(_ peer: String) -> String {
        configuration.peers.first { $0.id == peer }?.name ?? NodeIdentity.short(peer)
    }
}

/// What one batch of events did, carried out once it is durable.
struct NodeStep {
    struct Reply {
        enum Outcome {
            case success
            case failure(any Error)
        }
        var reply: WriteReply
        var outcome: Outcome
    }

    /// Tenant → keys whose state changed (an entry with no keys: only the vectors changed).
    var dirty: [String: Set<String>] = [:]
    /// Writes to acknowledge once the step is durable.
    var acknowledgements: [(tenant: String, reply: WriteReply)] = []
    /// Writes already decided (refused).
    var replies: [Reply] = []
    var frames: [(peer: String, payload: [UInt8])] = []
    /// Eager pushes, coalesced per peer after the step (see `queuePushes`).
    var pushes: [(peer: String, tenant: String, delta: KeyDelta)] = []
    var changes: [NodeChange] = []
    var syncReplies: [(CheckedContinuation<Int, Never>, Int)] = []
}
