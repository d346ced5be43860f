import LatticeCore
import LatticeSync

// Carrying out the engine's outputs and the scheduler's directives.
extension NodeCore {
    /// Interval between garbage collections of tombstones (causal stability, never age).
    static let garbageCollectionInterval = Duration.seconds(30)

    func perform(_ outputs: [SyncEngine.Output], origin: NodeChange.Origin, _ step: inout NodeStep) {
        for output in outputs {
            switch output {
            case let .send(to, message):
                if case let .push(tenant, delta) = message {
                    step.pushes.append((to, tenant, delta))
                } else {
                    step.frames.append((to, SyncCodec.encode(message)))
                }
            case let .changed(tenant, keys):
                step.dirty[tenant, default: []].formUnion(keys)
                step.changes += keys.map { NodeChange(tenant: tenant, key: $0, value: nil, origin: origin) }
            case let .pullFinished(peer, tenant, keys):
                stats[peer]?.aheadOfUs[tenant] = 0
                apply(try? scheduler.missingEstimate(peer: peer, tenant: tenant, entries: 0, bytes: 0, now: now), &step)
                pullFinished(peer, keys: keys, &step)
            case let .peerAhead(peer, tenant, dots):
                stats[peer]?.aheadOfUs[tenant] = dots
                apply(
                    try? scheduler.missingEstimate(peer: peer, tenant: tenant, entries: dots, bytes: 0, now: now),
                    &step
                )
            }
        }
    }

    /// Carries out directives in the order the scheduler produced them; directives produced
    /// while carrying one out queue behind the rest (see `SyncScheduler`).
    func apply(_ directives: [SyncScheduler<String, String>.Directive]?, _ step: inout NodeStep) {
        guard let directives else { return }
        pendingDirectivesAppend(directives)
        guard beginApplying() else { return }
        while let directive = nextPendingDirective() {
            switch directive {
            case let .startRound(peer, _, batchBytes, compressionLevel, timeout):
                engine.batchKeys = max(1, min(SyncLimits.batchKeysMax, batchBytes / Self.bytesPerKeyEstimate))
                compressionLevels[peer] = compressionLevel
                if links[peer] != nil {
                    _ = startEngineRound(peer, timeout: timeout, &step)
                } else {
                    awaitConnection(peer, timeout: timeout, &step)
                }
            case .pushNow(let peer):
                flushPushes(to: peer)
            case let .scheduleNextTick(after, _):
                scheduleTick(after: after)
            }
        }
        endApplying()
    }

    /// Queues pushes that are durable here; they leave when the scheduler's coalescing window
    /// for the peer closes (`pushNow`), at once when the peer is not in the connected state the
    /// scheduler coalesces for, or when ``NodeLimits/pushesCoalescedMax`` are waiting.
    func queuePushes(_ pushes: [(peer: String, tenant: String, delta: KeyDelta)]) {
        for (peer, tenant, delta) in pushes where links[peer] != nil {
            pendingPushes[peer, default: []].append((tenant, delta))
        }
        for peer in Set(pushes.map(\.peer)) {
            let coalescing = scheduler.state(of: peer) == .connected
            if !coalescing || pendingPushes[peer, default: []].count >= NodeLimits.pushesCoalescedMax {
                flushPushes(to: peer)
            }
        }
    }

    /// Sends the pushes waiting for `peer`: one `pushes` message per tenant (a lone write as a
    /// `push`), so a coalescing window's writes share one frame and its compression.
    func flushPushes(to peer: String) {
        guard let pushes = pendingPushes.removeValue(forKey: peer) else { return }
        for message in SyncMessage.coalescing(pushes) { send(SyncCodec.encode(message), to: peer) }
    }

    /// A rough size of one key's state on the wire, to turn the scheduler's batch bytes into keys.
    static var bytesPerKeyEstimate: Int { 128 }

    /// Starts pulling every tenant from a connected `peer`. Returns whether a pull started.
    @discardableResult
    func startEngineRound(_ peer: String, timeout: Duration, _ step: inout NodeStep) -> Bool {
        let started = nowMilliseconds
        let outputs = engine.startRound(with: peer, now: started)
        let pulls = outputs.filter { if case .send(_, .summary) = $0 { true } else { false } }.count
        guard pulls > 0 else {
            apply(scheduler.roundCompleted(peer: peer, bytes: 0, entries: 0, rtt: nil, now: now), &step)
            return false
        }
        var round = RoundState(startedAt: started, awaitingConnection: false, timeout: timeout)
        round.tenantsPending = pulls
        rounds[peer] = round
        scheduleRoundTimeout(peer, startedAt: started, after: timeout)
        perform(outputs, origin: .peer(peer), &step)
        return true
    }

    /// A round is due with a peer that is not connected: dial it (when this node is the side
    /// that dials) and run the round once connected, or fail the round so the scheduler backs off.
    func awaitConnection(_ peer: String, timeout: Duration, _ step: inout NodeStep) {
        let started = nowMilliseconds
        guard let peerConfig = configuration.peers.first(where: { $0.id == peer }) else { return }
        guard Self.dials(from: configuration.nodeKey.publicKey, to: peerConfig.publicKey) else {
            stats[peer]?.lastError = "waiting for the peer to connect (the node with the higher key accepts)"
            apply(
                scheduler.roundFailed(
                    peer: peer,
                    .error("not connected; waiting for the peer to dial"),
                    now: now,
                    using: &rng
                ),
                &step
            )
            return
        }
        rounds[peer] = RoundState(startedAt: started, awaitingConnection: true, timeout: timeout)
        scheduleRoundTimeout(peer, startedAt: started, after: timeout)
        apply(scheduler.connectionChanged(peer: peer, to: .connecting, now: now, using: &rng), &step)
        if stats[peer]?.dialing != true {
            stats[peer]?.dialing = true
            dial?(peer)
        }
    }

    /// Of two nodes, the one with the lower public key dials, so a pair keeps one connection.
    static func dials(from own: [UInt8], to peer: [UInt8]) -> Bool {
        own.lexicographicallyPrecedes(peer)
    }

    private func pullFinished(_ peer: String, keys: Int, _ step: inout NodeStep) {
        guard var round = rounds[peer], !round.awaitingConnection else { return }
        round.tenantsPending -= 1
        round.entries += keys
        guard round.tenantsPending <= 0 else {
            rounds[peer] = round
            return
        }
        rounds[peer] = nil
        roundsCompleted += 1
        let elapsedMs = nowMilliseconds - round.startedAt
        let rtt = Duration.milliseconds(Int64(elapsedMs))
        if round.entries > 0 {
            logger.info(
                "synced \(round.entries) deltas (\(Self.humanBytes(round.bytes))) with peer \(displayName(peer)) in \(elapsedMs) ms"
            )
        }
        apply(
            scheduler.roundCompleted(
                peer: peer,
                bytes: UInt64(round.bytes),
                entries: UInt64(round.entries),
                rtt: rtt,
                now: now
            ),
            &step
        )
    }

    static func humanBytes(_ n: Int) -> String {
        n < 1024 ? "\(n) B" : n < 1 << 20 ? "\(n / 1024) KiB" : "\(n >> 20) MiB"
    }

    // MARK: Timers

    private func scheduleTick(after: Duration) {
        tickGeneration += 1
        let generation = tickGeneration
        tickTask?.cancel()
        let inbox = self.inbox
        tickTask = Task {
            try? await Task.sleep(for: after)
            guard !Task.isCancelled else { return }
            inbox.post(.tick(generation: generation))
        }
    }

    private func scheduleRoundTimeout(_ peer: String, startedAt: UInt64, after: Duration) {
        let inbox = self.inbox
        Task {
            try? await Task.sleep(for: after)
            inbox.post(.roundTimeout(peer: peer, startedAt: startedAt))
        }
    }

    func scheduleGarbageCollection() {
        let inbox = self.inbox
        Task {
            try? await Task.sleep(for: Self.garbageCollectionInterval)
            inbox.post(.collectGarbage)
        }
    }

    func scheduleRepair() {
        let inbox = self.inbox
        let interval = configuration.repairInterval
        Task {
            try? await Task.sleep(for: interval)
            inbox.post(.repair(peer: nil, reply: nil))
        }
    }

    /// Starts digest repair with `peer`, or (periodic) with the next connected peer in turn.
    /// Returns the sessions started.
    func startRepair(_ peer: String?, periodic: Bool, _ step: inout NodeStep) -> Int {
        if periodic { scheduleRepair() }
        var target = peer
        if peer == nil {
            let ids = configuration.peers.map(\.id)
            for offset in 0..<ids.count {
                let id = ids[(nextRepairPeer + offset) % ids.count]
                if links[id] != nil {
                    target = id
                    nextRepairPeer = (nextRepairPeer + offset + 1) % ids.count
                    break
                }
            }
        }
        guard let target, links[target] != nil else { return 0 }
        let outputs = engine.startRepair(with: target, now: nowMilliseconds)
        perform(outputs, origin: .peer(target), &step)
        if !outputs.isEmpty {
            logger.info(
                "digest repair started",
                metadata: ["peer": "\(displayName(target))", "tenants": "\(outputs.count)"]
            )
        }
        return outputs.count
    }

    /// Purges tombstones every replica of their tenant has completed, and persists the purge.
    func collectGarbage(_ step: inout NodeStep) {
        var tombstones: [String: [String]] = [:]
        for (tenant, replica) in engine.tenants {
            tombstones[tenant] = replica.keys.filter { $0.value.isTombstone }.map(\.key)
        }
        if engine.collectGarbage() > 0 {
            for (tenant, keys) in tombstones {
                let purged = keys.filter { engine.tenants[tenant]?.keys[$0] == nil }
                if !purged.isEmpty { step.dirty[tenant, default: []].formUnion(purged) }
            }
        }
        scheduleGarbageCollection()
    }
}
