import LatticeCore
import LatticeSync

extension Simulation {
    /// How long after the last heal the run may take to converge before it is a failure.
    static let convergenceDeadlineMilliseconds: UInt64 = 300_000

    /// Runs the whole scenario and reports. Never traps on a protocol failure: every
    /// broken invariant is in `violations`, with the seed to replay it.
    public mutating func run() -> Report {
        schedule()
        var healedAt: UInt64?
        var roundsAtHeal = 0
        while let (time, event) = queue.pop() {
            now = time
            if let h = healedAt, now > h + Self.convergenceDeadlineMilliseconds { break }
            handle(event)
            checker.check(engines, at: now)
            if case .endFaults = event {
                healedAt = now
                roundsAtHeal = stats.rounds
            }
            if let h = healedAt, case .tick = event, checker.converged(engines) {
                return report(converged: true, rounds: stats.rounds - roundsAtHeal, after: now - h)
            }
        }
        var r = report(converged: false, rounds: stats.rounds - roundsAtHeal, after: now - (healedAt ?? now))
        r.violations.append("did not converge: " + (checker.firstDifference(engines) ?? "no difference found"))
        return r
    }

    private func report(converged: Bool, rounds: Int, after ms: UInt64) -> Report {
        Report(
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
    }

    private mutating func schedule() {
        let n = options.nodes
        for i in 0..<n {
            for j in 0..<n where i != j { engines[i].connected(Self.name(j)) }
            queue.push(.tick(i), at: UInt64.random(in: 0..<options.roundIntervalMilliseconds, using: &rng))
        }
        let phase = options.faultPhaseMilliseconds
        for _ in 0..<options.writes {
            queue.push(.write(Int.random(in: 0..<n, using: &rng)), at: UInt64.random(in: 0..<phase, using: &rng))
        }
        if options.faults.contains(.partitions) {
            for _ in 0..<max(1, n / 2) {
                let a = Int.random(in: 0..<n, using: &rng)
                let b = (a + Int.random(in: 1..<n, using: &rng)) % n
                let start = UInt64.random(in: 0..<phase, using: &rng)
                queue.push(.cut(a, b), at: start)
                queue.push(.heal(a, b), at: min(phase, start + UInt64.random(in: 1_000...8_000, using: &rng)))
            }
        }
        if options.faults.contains(.crashes) {
            for _ in 0..<max(1, n / 3) {
                let a = Int.random(in: 0..<n, using: &rng)
                let start = UInt64.random(in: 0..<phase, using: &rng)
                queue.push(.crash(a), at: start)
                queue.push(.restart(a), at: min(phase, start + UInt64.random(in: 500...5_000, using: &rng)))
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
        }
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
        engines[i].collectGarbage()
    }

    private mutating func write(at i: Int) {
        guard up[i] else { return }
        let tenant = engines[i].tenants.keys.sorted().randomElement(using: &rng)!
        let k = Int.random(in: 0..<options.keys, using: &rng)
        let op = randomOperation(forKey: k)
        let stamp = HLCTimestamp(wallMilliseconds: now, logical: UInt16(i))
        guard let (delta, outputs) = try? engines[i].write(tenant: tenant, key: "key\(k)", op, at: stamp) else {
            return
        }
        stats.writes += 1
        checker.acknowledged(tenant, delta)
        perform(outputs, at: i)
    }

    private mutating func randomOperation(forKey k: Int) -> CRDTOperation {
        let element = Scalar.int(Int64.random(in: 0...5, using: &rng))
        let clear = Int.random(in: 0..<8, using: &rng) == 0
        switch k % 4 {
        case 0: return clear ? .clear : .increment(by: Int64.random(in: -5...9, using: &rng))
        case 1: return clear ? .clear : Bool.random(using: &rng) ? .add(element) : .remove(element)
        case 2: return clear ? .clear : .assign(element)
        default:
            return clear ? .removeField("f") : .update(field: ["f", "g"].randomElement(using: &rng)!, .add(element))
        }
    }

    private mutating func crash(_ i: Int) {
        guard up[i] else { return }
        up[i] = false
        for j in 0..<options.nodes where j != i { engines[j].disconnected(Self.name(i)) }
        engines[i].restart(firstRound: now << 16)
    }

    private mutating func restart(_ i: Int) {
        guard !up[i] else { return }
        up[i] = true
        for j in 0..<options.nodes where j != i && linkUp(i, j) {
            engines[i].connected(Self.name(j))
            engines[j].connected(Self.name(i))
        }
    }

    private mutating func endFaults() {
        for i in 0..<options.nodes where !up[i] { restart(i) }
        for pair in cut { setLink(pair.a, pair.b, up: true) }
    }

    // MARK: Network

    private func linkUp(_ a: Int, _ b: Int) -> Bool { up[a] && up[b] && !cut.contains(Pair(a, b)) }

    private mutating func setLink(_ a: Int, _ b: Int, up isUp: Bool) {
        guard isUp == cut.contains(Pair(a, b)) else { return }
        if isUp {
            cut.remove(Pair(a, b))
            if up[a] && up[b] {
                engines[a].connected(Self.name(b))
                engines[b].connected(Self.name(a))
            }
        } else {
            cut.insert(Pair(a, b))
            engines[a].disconnected(Self.name(b))
            engines[b].disconnected(Self.name(a))
        }
    }

    private mutating func perform(_ outputs: [SyncEngine.Output], at i: Int) {
        for output in outputs {
            guard case let .send(to, message) = output else { continue }
            if case .push = message, !options.eagerPush { continue }
            let j = Self.index(to)
            checker.sent(message, to: j, at: now)
            let bytes = SyncCodec.encode(message)
            stats.messages += 1
            stats.bytes += bytes.count
            send(bytes, from: i, to: j)
        }
    }

    private mutating func send(_ bytes: [UInt8], from i: Int, to j: Int) {
        guard linkUp(i, j) else { return }
        let f = options.faults
        if f.contains(.loss) && Int.random(in: 0..<100, using: &rng) < 5 { return }
        var delay: UInt64 = f.contains(.delay) ? 1 + UInt64((Pair(i, j).a * 31 + Pair(i, j).b * 17) % 200) : 1
        if f.contains(.jitter) { delay += UInt64.random(in: 0...100, using: &rng) }
        if f.contains(.reordering) && Int.random(in: 0..<100, using: &rng) < 20 {
            delay += UInt64.random(in: 0...500, using: &rng)
        }
        queue.push(.deliver(from: i, to: j, bytes: bytes), at: now + delay)
        if f.contains(.duplication) && Int.random(in: 0..<100, using: &rng) < 3 {
            queue.push(
                .deliver(from: i, to: j, bytes: bytes),
                at: now + delay + UInt64.random(in: 1...300, using: &rng)
            )
        }
    }

    private mutating func deliver(from i: Int, to j: Int, _ bytes: [UInt8]) {
        guard linkUp(i, j) else { return }
        guard let message = try? SyncCodec.decode(bytes) else {
            checker.violations.append("t=\(now): a message from n\(i + 1) to n\(j + 1) did not decode")
            return
        }
        perform(engines[j].receive(message, from: Self.name(i)), at: j)
    }
}
