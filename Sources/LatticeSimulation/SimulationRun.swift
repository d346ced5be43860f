import LatticeCore
import LatticeSync
import LatticeWire

extension Simulation {
    /// How long after the last heal the run may take to converge before it is a failure:
    /// five minutes, or four of the preset's longest idle pauses (edge nodes sleep for
    /// up to half an hour by design).
    var convergenceDeadlineMilliseconds: UInt64 {
        guard case let .adaptive(preset) = options.scheduling else { return 300_000 }
        return max(300_000, 4 * Self.milliseconds(preset.idleRoundDelayMax))
    }

    /// Runs the whole scenario and reports. Never traps on a protocol failure: every
    /// broken invariant is in `violations`, with the seed to replay it.
    public mutating func run() -> Report {
        schedule()
        var healedAt: UInt64?
        var roundsAtHeal = 0
        var nextConvergenceCheck: UInt64 = 0
        while let (time, event) = queue.pop() {
            now = time
            if let h = healedAt, now > h + convergenceDeadlineMilliseconds { break }
            handle(event)
            if options.checksEveryEvent { checker.check(engines, at: now) }
            if case .endFaults = event {
                healedAt = now
                roundsAtHeal = stats.rounds
            }
            // Checked at ticks (either kind) and at the heal, at most once per 50 virtual ms:
            // each check costs O(nodes × keys), and the figure's resolution is a round anyway.
            if let h = healedAt, event.isCheckpoint, now >= nextConvergenceCheck {
                nextConvergenceCheck = now + 50
                guard checker.converged(engines) else { continue }
                return report(converged: true, rounds: stats.rounds - roundsAtHeal, after: now - h)
            }
        }
        var r = report(converged: false, rounds: stats.rounds - roundsAtHeal, after: now - (healedAt ?? now))
        r.violations.append("did not converge: " + (checker.firstDifference(engines) ?? "no difference found"))
        return r
    }

    private func report(converged: Bool, rounds: Int, after ms: UInt64) -> Report {
        var r = Report(
            seed: options.seed,
            converged: converged,
            roundsToConverge: rounds,
            roundsPerNode: Double(rounds) / Double(options.nodes),
            virtualMillisecondsToConverge: ms,
            messages: stats.messages,
            bytesSent: stats.bytes,
            writes: stats.writes,
            violations: checker.violations
        )
        r.wireBytesSent = stats.wireBytes
        r.visibilityMilliseconds = visibility
        r.counts = counts
        return r
    }

    private mutating func schedule() {
        let n = options.nodes
        for i in 0..<n {
            for j in 0..<n where i != j { engines[i].connected(Self.name(j)) }
            if schedulers.isEmpty {
                queue.push(.tick(i), at: UInt64.random(in: 0..<options.roundIntervalMilliseconds, using: &rng))
            } else {
                for j in 0..<n where i != j && isLinked(i, j) {
                    apply(try! schedulers[i].addPeer(Self.name(j), now: .zero), at: i)
                    apply(
                        schedulers[i].connectionChanged(peer: Self.name(j), to: .connected, now: .zero, using: &rng),
                        at: i
                    )
                }
            }
        }
        let phase = options.faultPhaseMilliseconds
        for _ in 0..<options.writes {
            let node = Int.random(in: 0..<n, using: &workload)
            queue.push(.write(node), at: UInt64.random(in: 0..<phase, using: &workload))
        }
        if options.faults.contains(.partitions) {
            for _ in 0..<max(1, n / 2) {
                let a = Int.random(in: 0..<n, using: &workload)
                let b = (a + Int.random(in: 1..<n, using: &workload)) % n
                let start = UInt64.random(in: 0..<phase, using: &workload)
                queue.push(.cut(a, b), at: start)
                queue.push(.heal(a, b), at: min(phase, start + UInt64.random(in: 1_000...8_000, using: &workload)))
            }
        }
        if options.faults.contains(.crashes) {
            for _ in 0..<max(1, n / 3) {
                let a = Int.random(in: 0..<n, using: &workload)
                let start = UInt64.random(in: 0..<phase, using: &workload)
                queue.push(.crash(a), at: start)
                queue.push(.restart(a), at: min(phase, start + UInt64.random(in: 500...5_000, using: &workload)))
            }
        }
        queue.push(.endFaults, at: phase)
    }

    private mutating func handle(_ event: EventQueue.Event) {
        switch event {
        case let .deliver(from, to, bytes): deliver(from: from, to: to, bytes)
        case let .tick(i): tick(i)
        case let .write(i): write(at: i)
        case let .cut(a, b): setLink(a, b, up: false)
        case let .heal(a, b): setLink(a, b, up: true)
        case let .crash(i): crash(i)
        case let .restart(i): restart(i)
        case .endFaults: endFaults()
        case let .scheduledTick(i, generation):
            if generation == tickGeneration[i] && up[i] { apply(schedulers[i].tick(now: duration(now)), at: i) }
        case let .roundTimeout(i, j, startedAt): roundTimedOut(i, peer: j, startedAt: startedAt)
        }
        trackVisibility()
    }

    // MARK: Nodes

    private mutating func tick(_ i: Int) {
        let jitter = UInt64.random(in: 0...(options.roundIntervalMilliseconds / 10), using: &rng)
        queue.push(.tick(i), at: now + options.roundIntervalMilliseconds + jitter)
        guard up[i] else { return }
        let peers = (0..<options.nodes).filter { $0 != i && linkUp(i, $0) }
        guard let j = peers.randomElement(using: &rng) else { return }
        stats.rounds += 1
        perform(engines[i].startRound(with: Self.name(j), now: now), at: i)
        // Every tenth round, as a node would on a slow timer: GC need not run every round.
        if stats.rounds % 10 == 0 { engines[i].collectGarbage() }
    }

    private mutating func write(at i: Int) {
        // Drawn before anything can skip the write, so the workload stream stays in step.
        let tenantDraw = Int.random(in: 0..<Self.tenants.count, using: &workload)
        let k = Int.random(in: 0..<options.keys, using: &workload)
        let op = randomOperation(forKey: k)
        guard up[i] else { return }
        let mine = engines[i].tenants.keys.sorted()
        let tenant = mine[tenantDraw % mine.count]
        let stamp = HLCTimestamp(wallMilliseconds: now, logical: UInt16(i))
        guard let (delta, outputs) = try? engines[i].write(tenant: tenant, key: "key\(k)", op, at: stamp) else {
            return
        }
        stats.writes += 1
        checker.acknowledged(tenant, delta)
        pendingVisibility.append((tenant, delta.dot, now))
        perform(outputs, at: i)
        if !schedulers.isEmpty { apply(schedulers[i].localWrite(now: duration(now)), at: i) }
    }

    private mutating func randomOperation(forKey k: Int) -> CRDTOperation {
        let element = Scalar.int(Int64.random(in: 0...5, using: &workload))
        let clear = Int.random(in: 0..<8, using: &workload) == 0
        switch k % 4 {
        case 0: return clear ? .clear : .increment(by: Int64.random(in: -5...9, using: &workload))
        case 1: return clear ? .clear : Bool.random(using: &workload) ? .add(element) : .remove(element)
        case 2: return clear ? .clear : .assign(element)
        default:
            let field = ["f", "g"].randomElement(using: &workload)!
            return clear ? .removeField("f") : .update(field: field, .add(element))
        }
    }

    private mutating func crash(_ i: Int) {
        guard up[i] else { return }
        up[i] = false
        for j in 0..<options.nodes where j != i {
            engines[j].disconnected(Self.name(i))
            notifyLink(j, i, up: false)
            notifyLink(i, j, up: false)
        }
        engines[i].restart(firstRound: now << 16)
        rounds[i] = [:]
        pendingPushes[i] = [:]
        compressionLevels[i] = [:]
    }

    private mutating func restart(_ i: Int) {
        guard !up[i] else { return }
        up[i] = true
        if case let .adaptive(preset) = options.scheduling {
            // A crash loses the scheduler's volatile state, its pending tick included.
            tickGeneration[i] += 1
            schedulers[i] = try! SyncScheduler<String, String>(preset: preset)
            for j in 0..<options.nodes where j != i && isLinked(i, j) {
                apply(try! schedulers[i].addPeer(Self.name(j), now: duration(now)), at: i)
            }
        }
        for j in 0..<options.nodes where j != i && linkUp(i, j) {
            engines[i].connected(Self.name(j))
            engines[j].connected(Self.name(i))
            notifyLink(i, j, up: true)
            notifyLink(j, i, up: true)
        }
    }

    private mutating func endFaults() {
        for i in 0..<options.nodes where !up[i] { restart(i) }
        for pair in cut { setLink(pair.a, pair.b, up: true) }
    }

    // MARK: Network

    private func linkUp(_ a: Int, _ b: Int) -> Bool { up[a] && up[b] && isLinked(a, b) && !cut.contains(Pair(a, b)) }

    func isLinked(_ a: Int, _ b: Int) -> Bool { linkProfiles.map { $0[Pair(a, b)] != nil } ?? true }

    /// The TCP-like profile of the link between `a` and `b`, or `nil` when messages are
    /// shaped by `faults` instead.
    private func tcpProfile(_ a: Int, _ b: Int) -> LinkProfile? {
        switch options.links {
        case .faults: nil
        case .mixed: LinkProfile.mixed(a, b)
        case .topology: linkProfiles?[Pair(a, b)]
        }
    }

    private mutating func setLink(_ a: Int, _ b: Int, up isUp: Bool) {
        guard isUp == cut.contains(Pair(a, b)) else { return }
        if isUp {
            cut.remove(Pair(a, b))
            if up[a] && up[b] {
                engines[a].connected(Self.name(b))
                engines[b].connected(Self.name(a))
                notifyLink(a, b, up: true)
                notifyLink(b, a, up: true)
            }
        } else {
            cut.insert(Pair(a, b))
            engines[a].disconnected(Self.name(b))
            engines[b].disconnected(Self.name(a))
            notifyLink(a, b, up: false)
            notifyLink(b, a, up: false)
        }
    }

    private mutating func perform(_ outputs: [SyncEngine.Output], at i: Int) {
        for output in outputs {
            switch output {
            case let .pullFinished(peer, tenant, keys):
                // A completed pull leaves us caught up with that peer as of its start: any
                // earlier "peer is ahead" estimate is spent.
                if !schedulers.isEmpty {
                    let d =
                        (try? schedulers[i].missingEstimate(
                            peer: peer,
                            tenant: tenant,
                            entries: 0,
                            bytes: 0,
                            now: duration(now)
                        )) ?? []
                    apply(d, at: i)
                }
                pullFinished(i, peer: peer, keys: keys)
            case let .peerAhead(peer, tenant, dots) where !schedulers.isEmpty:
                let d =
                    (try? schedulers[i].missingEstimate(
                        peer: peer,
                        tenant: tenant,
                        entries: dots,
                        bytes: dots * 100,
                        now: duration(now)
                    )) ?? []
                apply(d, at: i)
            default: break
            }
            guard case let .send(to, message) = output else { continue }
            if case let .push(tenant, delta) = message {
                if options.eagerPush { queuePush(tenant, delta, from: i, to: Self.index(to)) }
                continue
            }
            sendMessage(message, from: i, to: Self.index(to))
        }
    }

    private mutating func sendMessage(_ message: SyncMessage, from i: Int, to j: Int) {
        checker.sent(message, to: j, at: now)
        let bytes = SyncCodec.encode(message)
        stats.messages += 1
        stats.bytes += bytes.count
        if options.countsWireBytes { stats.wireBytes += wireBytes(bytes, level: compressionLevels[i][j]) }
        counts["bytes.\(message.kind)", default: 0] += bytes.count
        counts["messages.\(message.kind)", default: 0] += 1
        send(bytes, from: i, to: j)
    }

    /// The bytes `payload` costs as a sync frame on a connection (`Report.wireBytesSent`),
    /// compressed at `level` as the node would (nil: the connection's default).
    private mutating func wireBytes(_ payload: [UInt8], level: Int?) -> Int {
        let overhead = 2 + WireLimits.transportTagBytes  // per transport message: length prefix and tag
        let frame = WireFrame(type: .sync, payload: payload, compressionLevel: level)
        guard let plaintexts = try? frames.plaintexts(for: frame) else {
            return payload.count + FrameHeader.byteCount + overhead
        }
        return plaintexts.reduce(0) { $0 + $1.count + overhead }
    }

    /// A push, sent at once with fixed scheduling; with adaptive scheduling held until the
    /// scheduler's coalescing window for the peer closes, like `LatticeNode`: at once when the
    /// peer is not in the connected state the scheduler coalesces for, or when
    /// `SyncLimits.pushesPerMessageMax` are waiting.
    private mutating func queuePush(_ tenant: String, _ delta: KeyDelta, from i: Int, to j: Int) {
        pendingPushes[i][j, default: []].append((tenant, delta))
        let coalescing = !schedulers.isEmpty && schedulers[i].state(of: Self.name(j)) == .connected
        if !coalescing || pendingPushes[i][j]!.count >= SyncLimits.pushesPerMessageMax { flushPushes(from: i, to: j) }
    }

    mutating func flushPushes(from i: Int, to j: Int) {
        guard let queued = pendingPushes[i].removeValue(forKey: j) else { return }
        for message in SyncMessage.coalescing(queued) { sendMessage(message, from: i, to: j) }
    }

    private mutating func send(_ bytes: [UInt8], from i: Int, to j: Int) {
        guard linkUp(i, j) else { return }
        if let link = tcpProfile(i, j) {
            if Int.random(in: 0..<1_000, using: &network) < link.breakPermille {
                counts["connections broken", default: 0] += 1
                setLink(i, j, up: false)
                queue.push(.heal(i, j), at: now + link.reconnectMilliseconds)
                return
            }
            var delay =
                link.delayMilliseconds + UInt64.random(in: 0...link.jitterMilliseconds, using: &network)
                + UInt64(bytes.count) / link.bytesPerMillisecond
            var rto = link.retransmitMilliseconds
            while Int.random(in: 0..<1_000, using: &network) < link.lossPermille {
                delay += rto
                rto *= 2
            }
            queue.push(.deliver(from: i, to: j, bytes: bytes), at: now + delay)
            return
        }
        let f = options.faults
        if f.contains(.loss) && Int.random(in: 0..<100, using: &network) < 5 { return }
        var delay: UInt64 = f.contains(.delay) ? 1 + UInt64((Pair(i, j).a * 31 + Pair(i, j).b * 17) % 200) : 1
        if f.contains(.jitter) { delay += UInt64.random(in: 0...100, using: &network) }
        if f.contains(.reordering) && Int.random(in: 0..<100, using: &network) < 20 {
            delay += UInt64.random(in: 0...500, using: &network)
        }
        queue.push(.deliver(from: i, to: j, bytes: bytes), at: now + delay)
        if f.contains(.duplication) && Int.random(in: 0..<100, using: &network) < 3 {
            queue.push(
                .deliver(from: i, to: j, bytes: bytes),
                at: now + delay + UInt64.random(in: 1...300, using: &network)
            )
        }
    }

    private mutating func deliver(from i: Int, to j: Int, _ bytes: [UInt8]) {
        guard linkUp(i, j) else { return }
        if rounds[j][Self.name(i)] != nil { rounds[j][Self.name(i)]!.bytes += bytes.count }
        guard let message = try? SyncCodec.decode(bytes) else {
            checker.violations.append("t=\(now): a message from n\(i + 1) to n\(j + 1) did not decode")
            return
        }
        perform(engines[j].receive(message, from: Self.name(i), now: now), at: j)
    }
}

// MARK: Adaptive scheduling

extension Simulation {
    func duration(_ ms: UInt64) -> Duration { .milliseconds(Int64(ms)) }

    /// A scheduler's round reason without its figures ("relay: 2 peers unreachable…" → "relay"),
    /// to count rounds by kind.
    static func reasonKind(_ reason: String) -> String {
        var kind = reason.prefix { $0 != ":" && $0 != ";" && $0 != "(" && !$0.isNumber }
        while kind.last == " " { kind.removeLast() }
        return String(kind)
    }

    static func milliseconds(_ d: Duration) -> UInt64 {
        let c = d.components
        return UInt64(max(0, c.seconds)) * 1_000 + UInt64(max(0, c.attoseconds)) / 1_000_000_000_000_000
    }

    /// Carries out scheduler directives in the order the scheduler produced them. Calls
    /// made while carrying one out (round started, completed, failed) produce more; they
    /// queue behind the rest, never jump ahead: the last `scheduleNextTick` produced must
    /// be the one that stands, or shell and scheduler disagree about when the next tick is
    /// (and the scheduler, believing a tick is near, stops asking for one).
    mutating func apply(_ directives: [SyncScheduler<String, String>.Directive], at i: Int) {
        pendingDirectives.append(contentsOf: directives.map { (i, $0) })
        guard !applyingDirectives else { return }
        applyingDirectives = true
        defer { applyingDirectives = false }
        while !pendingDirectives.isEmpty {
            let (node, directive) = pendingDirectives.removeFirst()
            switch directive {
            case let .startRound(peer, reason, batchBytes, level, timeout):
                counts["rounds: " + Self.reasonKind(reason), default: 0] += 1
                compressionLevels[node][Self.index(peer)] = level
                startScheduledRound(node, peer: peer, batchBytes, timeout)
            case .pushNow(let peer): flushPushes(from: node, to: Self.index(peer))
            case let .scheduleNextTick(after, _):
                tickGeneration[node] += 1
                queue.push(.scheduledTick(node, generation: tickGeneration[node]), at: now + Self.milliseconds(after))
            }
        }
    }

    private mutating func startScheduledRound(_ i: Int, peer: String, _ batchBytes: Int, _ timeout: Duration) {
        guard up[i] else { return }
        guard linkUp(i, Self.index(peer)) else {
            apply(schedulers[i].roundFailed(peer: peer, .error("link down"), now: duration(now), using: &rng), at: i)
            return
        }
        // About 100 bytes per key in these workloads.
        engines[i].batchKeys = max(1, min(SyncLimits.batchKeysMax, batchBytes / 100))
        let outputs = engines[i].startRound(with: peer, now: now)
        let pulls = outputs.filter { if case .send(_, .summary) = $0 { true } else { false } }.count
        apply(schedulers[i].roundStarted(peer: peer, now: duration(now)), at: i)
        guard pulls > 0 else {
            apply(schedulers[i].roundCompleted(peer: peer, bytes: 0, entries: 0, rtt: nil, now: duration(now)), at: i)
            return
        }
        stats.rounds += 1
        rounds[i][peer] = (now, 0, pulls)
        queue.push(.roundTimeout(i, peer: Self.index(peer), startedAt: now), at: now + Self.milliseconds(timeout))
        perform(outputs, at: i)
    }

    mutating func pullFinished(_ i: Int, peer: String, keys: Int) {
        guard !schedulers.isEmpty, var round = rounds[i][peer] else { return }
        round.tenants -= 1
        guard round.tenants == 0 else {
            rounds[i][peer] = round
            return
        }
        rounds[i][peer] = nil
        let rtt = duration(now - round.startedAt)
        apply(
            schedulers[i].roundCompleted(
                peer: peer,
                bytes: UInt64(round.bytes),
                entries: UInt64(keys),
                rtt: rtt,
                now: duration(now)
            ),
            at: i
        )
    }

    mutating func roundTimedOut(_ i: Int, peer j: Int, startedAt: UInt64) {
        let peer = Self.name(j)
        guard let round = rounds[i][peer], round.startedAt == startedAt else { return }
        rounds[i][peer] = nil
        counts["rounds timed out", default: 0] += 1
        engines[i].abandonPulls(with: peer, startedAtOrBefore: startedAt)
        apply(schedulers[i].roundFailed(peer: peer, .timeout, now: duration(now), using: &rng), at: i)
    }

    mutating func notifyLink(_ a: Int, _ b: Int, up isUp: Bool) {
        guard !schedulers.isEmpty else { return }
        let change: SyncScheduler<String, String>.ConnectionChange = isUp ? .connected : .lost(reason: "link down")
        rounds[a][Self.name(b)] = nil
        if !isUp {  // the connection's queue and level go with it
            pendingPushes[a][b] = nil
            compressionLevels[a][b] = nil
        }
        apply(schedulers[a].connectionChanged(peer: Self.name(b), to: change, now: duration(now), using: &rng), at: a)
    }

    /// Records writes that every node serving their tenant now knows of.
    mutating func trackVisibility() {
        guard !pendingVisibility.isEmpty else { return }
        var still: [(tenant: String, dot: Dot, at: UInt64)] = []
        for w in pendingVisibility {
            let everywhere = engines.allSatisfy { e in e.tenants[w.tenant].map { $0.context.contains(w.dot) } ?? true }
            if everywhere { visibility.append(now - w.at) } else { still.append(w) }
        }
        pendingVisibility = still
    }
}
