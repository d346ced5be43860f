import LatticeCore
import LatticeOps
import LatticeSync

// The status, peers and tenants documents of the admin socket (`Protocols/admin-v1.md`).
extension LatticeNode {
    /// `GET /v1/status`.
    public func statusDocument(version: String) async -> JSONValue {
        let snapshot = await core.statusSnapshot()
        var doc: [String: JSONValue] = [
            "network": .string(configuration.network),
            "node_id": .string(id),
            "replica_id": .string("\(replica)"),
            "listen": .string("\(configuration.listenHost):\(configuration.listenPort)"),
            "listen_address": .string("\(listenAddress.host):\(listenAddress.port)"),
            "profile": .string(configuration.preset.name),
            "uptime_seconds": .double(Double(snapshot.uptimeMilliseconds) / 1_000),
            "version": .string(version),
            "durability": .string(configuration.store.durability == .durable ? "durable" : "relaxed"),
            "tenants": .int(Int64(configuration.tenants.count)),
            "peers": [
                "configured": .int(Int64(configuration.peers.count)), "connected": .int(Int64(snapshot.connected)),
            ],
            "rounds_completed": .int(Int64(snapshot.roundsCompleted)),
            "malformed_messages": .int(Int64(snapshot.malformed)),
            "persist_failures": .int(Int64(snapshot.persistFailures)),
            "checkpoints": .int(Int64(snapshot.checkpoints)),
            "scheduler": ["wakeups": .int(Int64(snapshot.wakeups)), "next_tick_reason": .string(snapshot.tickReason)],
        ]
        if let name = configuration.name { doc["name"] = .string(name) }
        if let error = snapshot.lastPersistError { doc["last_persist_error"] = .string(error) }
        return .object(doc)
    }

    /// `GET /v1/peers`: per peer, its state and reason, link estimates, traffic, lag and next round.
    public func peersDocument() async -> JSONValue {
        let peers = await core.peerSnapshots()
        return ["peers": .array(peers.map(\.json))]
    }

    /// `GET /v1/tenants`.
    public func tenantsDocument() async -> JSONValue {
        var out = [JSONValue]()
        for tenant in configuration.tenants {
            let summary = await core.tenantSummary(tenant)
            let live = summary?.live ?? 0
            let tombstones = summary?.tombstones ?? 0
            let readers = configuration.peers.filter { $0.permissions[tenant]?.contains(.read) == true }.count
            let writers = configuration.peers.filter { $0.permissions[tenant]?.contains(.write) == true }.count
            out.append([
                "id": .string(tenant),
                "keys": .int(Int64(live)),
                "tombstones": .int(Int64(tombstones)),
                "complete": .object(
                    Dictionary(
                        uniqueKeysWithValues: (summary?.complete.entries ?? []).map {
                            ("\($0.replica)", .int(Int64($0.counter)))
                        }
                    )
                ),
                "peers": ["read": .int(Int64(readers)), "write": .int(Int64(writers))],
            ])
        }
        return ["tenants": .array(out)]
    }
}

/// One peer as `GET /v1/peers` shows it.
struct PeerSnapshot: Sendable {
    var config: NodeConfiguration.Peer
    var schedule: PeerScheduleSnapshot<String>?
    var stats: PeerStats
    var connected: Bool
    var address: String?
    var now: Duration

    var state: String {
        if connected { return "connected" }
        switch schedule?.state {
        case .backoff?: return "backoff"
        case .unreachable?: return "unreachable"
        case .connected?, .connecting?, nil: return "connecting"
        }
    }

    var json: JSONValue {
        var doc: [String: JSONValue] = [
            "id": .string(config.id),
            "public_key": .string(config.id),
            "address": .string("\(config.host):\(config.port)"),
            "state": .string(state),
            "reason": .string(
                connected ? "connected from \(address ?? "?")" : schedule?.stateReason ?? "not scheduled"
            ),
            "bytes_in": .int(Int64(stats.bytesIn)),
            "bytes_out": .int(Int64(stats.bytesOut)),
            "messages_in": .int(Int64(stats.messagesIn)),
            "messages_out": .int(Int64(stats.messagesOut)),
            "malformed_messages": .int(Int64(stats.malformed)),
            "last_error": stats.lastError.map(JSONValue.string) ?? .null,
            "permissions": .object(config.permissions.mapValues { .string($0.description) }),
            "lag": .object(stats.aheadOfUs.mapValues { .int(Int64($0)) }),
        ]
        if let name = config.name { doc["name"] = .string(name) }
        if let s = schedule {
            doc["rtt_seconds"] = s.srtt.map { .double($0.seconds) } ?? .null
            doc["rtt_variance_seconds"] = s.rttvar.map { .double($0.seconds) } ?? .null
            doc["rto_seconds"] = .double(s.rto.seconds)
            doc["goodput_bytes_per_second"] = .double(s.goodputBytesPerSecond)
            doc["failure_rate"] = .double(s.failureRate)
            doc["backlog_entries"] = .int(Int64(s.backlogEntries))
            doc["round_in_flight"] = .bool(s.roundInFlight)
            doc["consecutive_failures"] = .int(Int64(s.consecutiveFailures))
            doc["next_round_in_seconds"] = s.nextRoundAt.map { .double(max(0, ($0 - now).seconds)) } ?? .null
            doc["next_round_reason"] = .string(s.nextRoundReason)
        }
        return .object(doc)
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

/// The counters behind `GET /v1/status`.
struct StatusSnapshot: Sendable {
    var uptimeMilliseconds: UInt64
    var connected: Int
    var roundsCompleted: UInt64
    var malformed: UInt64
    var persistFailures: UInt64
    var checkpoints: UInt64
    var lastPersistError: String?
    var wakeups: Int
    var tickReason: String
}

extension NodeCore {
    func statusSnapshot() -> StatusSnapshot {
        StatusSnapshot(
            uptimeMilliseconds: nowMilliseconds,
            connected: links.count,
            roundsCompleted: roundsCompleted,
            malformed: malformedMessages,
            persistFailures: persistFailures,
            checkpoints: checkpoints,
            lastPersistError: lastPersistError,
            wakeups: scheduler.tickCount,
            tickReason: scheduler.lastTickReason
        )
    }

    func peerSnapshots() -> [PeerSnapshot] {
        let now = self.now
        return configuration.peers.map { peer in
            PeerSnapshot(
                config: peer,
                schedule: scheduler.snapshot(of: peer.id),
                stats: stats[peer.id] ?? PeerStats(),
                connected: links[peer.id] != nil,
                address: links[peer.id]?.address,
                now: now
            )
        }
    }
}
