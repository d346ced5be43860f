import LatticeCore
import LatticeSync
import LatticeWire

/// N sync engines in one process over a simulated network and a virtual clock, all
/// driven from one seed: a failing run replays exactly from the seed it prints
/// (STYLE §7; TigerBeetle's VOPR and FoundationDB's simulator are the models).
///
/// Two tenants: `shared`, which every node may read and write, and `secret`, which only
/// the first half of the nodes may read — the checker proves no byte of it reaches the
/// others.
public struct Simulation {
    public struct Options: Sendable {
        public var nodes: Int
        public var seed: UInt64
        public var faults: Faults
        /// Local writes spread over the fault phase.
        public var writes: Int = 200
        /// Virtual milliseconds of faults and writes before everything heals.
        public var faultPhaseMilliseconds: UInt64 = 20_000
        /// Each node starts a round with one peer this often.
        public var roundIntervalMilliseconds: UInt64 = 500
        /// Keys per tenant that writes pick from (few, so writes collide).
        public var keys: Int = 12
        /// Whether writes are pushed eagerly; off, replication is anti-entropy rounds alone.
        public var eagerPush = true
        /// Whether the first half of the nodes also share the restricted `secret` tenant.
        public var secretTenant = true
        /// When nodes start rounds.
        public var scheduling: Scheduling = .fixed
        /// How links behave: shaped by `faults`, or a fixed mix of fast, slow and lossy.
        public var links: Links = .faults
        /// Check the per-event invariants (no resurrection) after every event. They cost
        /// O(all state) per event: right for tests, too slow for benchmarks of 1,000 nodes,
        /// which check convergence only.
        public var checksEveryEvent = true
        /// Whether to count `Report.wireBytesSent` (each message framed and compressed as a
        /// connection would: costs a zstd pass per message, so benchmarks ask for it).
        public var countsWireBytes = false

        public init(nodes: Int, seed: UInt64, faults: Faults) {
            self.nodes = nodes
            self.seed = seed
            self.faults = faults
        }
    }

    public enum Scheduling: Sendable {
        /// Every `roundIntervalMilliseconds`, pull from one random reachable peer.
        case fixed
        /// The `SyncScheduler` with this preset decides, from measured link conditions.
        case adaptive(SchedulePreset)
    }

    public enum Links: Sendable {
        /// Every pair linked; messages shaped by `faults`.
        case faults
        /// Every pair linked with a fixed mix of fast, slow and lossy profiles.
        case mixed
        /// Only these pairs are linked (and peers), each with its own profile.
        case topology([LinkedPair])
    }

    /// One link of a `.topology`.
    public struct LinkedPair: Sendable {
        public var a: Int
        public var b: Int
        public var profile: LinkProfile
        public init(a: Int, b: Int, profile: LinkProfile) {
            self.a = a
            self.b = b
            self.profile = profile
        }
    }

    /// What a run reports.
    public struct Report: Sendable, CustomStringConvertible {
        public var seed: UInt64
        public var converged: Bool
        /// Rounds started by all nodes after the last heal until convergence.
        public var roundsToConverge: Int
        /// Per node, rounds it started after the last heal (rounds / nodes).
        public var roundsPerNode: Double
        public var virtualMillisecondsToConverge: UInt64
        public var messages: Int
        /// Encoded sync messages, as the engines produced them.
        public var bytesSent: Int
        /// What those messages cost on a real connection: each a frame with its header,
        /// compressed as `FrameEncoder` compresses (zstd level 1 when smaller), in transport
        /// messages with their length prefix and authentication tag. The handshake is not counted.
        /// Zero unless `Options.countsWireBytes`.
        public var wireBytesSent = 0
        public var writes: Int
        public var violations: [String]
        /// Per write, milliseconds from the write until every node serving its tenant had it.
        public var visibilityMilliseconds: [UInt64] = []
        /// What the run spent, by name: `bytes.KIND` and `messages.KIND` per message kind,
        /// `connections broken`, `rounds timed out`, and with adaptive scheduling
        /// `rounds: REASON` by the kind of reason the scheduler gave (where the bytes go).
        public var counts: [String: Int] = [:]

        /// The `p`-th percentile (0...100) of `visibilityMilliseconds`.
        public func visibility(percentile p: Double) -> UInt64 {
            let sorted = visibilityMilliseconds.sorted()
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p / 100 * Double(sorted.count - 1)).rounded(.up))
            return sorted[min(rank, sorted.count - 1)]
        }

        public var description: String {
            let status = converged && violations.isEmpty ? "converged" : "FAILED"
            return "seed \(seed): \(status) after \(roundsToConverge) rounds (\(formatted(roundsPerNode)) per node), "
                + "\(virtualMillisecondsToConverge) ms virtual time after the last heal; "
                + "\(writes) writes, \(messages) messages, \(bytesSent) bytes sent"
                + (wireBytesSent > 0 ? " (\(wireBytesSent) on the wire)" : "")
                + (violations.isEmpty ? "" : "\n  " + violations.prefix(5).joined(separator: "\n  "))
        }
    }

    static let tenants = ["secret", "shared"]

    let options: Options
    /// Scheduling's random choices: fixed rounds' jitter and peers, adaptive backoff jitter.
    var rng: SplitMix64
    /// The workload: when and where writes and faults happen, and what each write does. A
    /// stream of its own, so runs of one seed under different scheduling see the very same
    /// writes and faults (a fair comparison), however many messages scheduling sends.
    var workload: SplitMix64
    /// Per-message network randomness: delay, jitter, loss, duplication, broken connections.
    var network: SplitMix64
    var now: UInt64 = 0
    var engines: [SyncEngine]
    var up: [Bool]
    var cut = Set<Pair>()
    /// With `.topology` links: the linked pairs and their profiles.
    let linkProfiles: [Pair: LinkProfile]?
    var queue = EventQueue()
    var checker: Checker
    var stats = (messages: 0, bytes: 0, wireBytes: 0, writes: 0, rounds: 0)
    /// Adaptive scheduling: per node and peer, pushes held until the scheduler's coalescing
    /// window closes (`pushNow`), as `LatticeNode` holds them.
    var pendingPushes: [[Int: [(tenant: String, delta: KeyDelta)]]]
    /// Adaptive scheduling: per node and peer, the zstd level of the scheduler's latest round
    /// with it, which frames to the peer use, as in `LatticeNode`.
    var compressionLevels: [[Int: Int]]
    /// Counts each frame's wire bytes (`Report.wireBytesSent`).
    var frames = FrameEncoder(compressor: ZstdPayloadCompressor())
    /// See `Report.counts`.
    var counts: [String: Int] = [:]
    /// Adaptive scheduling: one scheduler per node, and the generation of its live tick.
    var schedulers: [SyncScheduler<String, String>] = []
    var tickGeneration: [UInt64]
    /// Directives waiting to be carried out, oldest first (see `apply`).
    var pendingDirectives: [(Int, SyncScheduler<String, String>.Directive)] = []
    var applyingDirectives = false
    /// Per node and peer: when its round started and the bytes received since.
    var rounds: [[String: (startedAt: UInt64, bytes: Int, tenants: Int)]]
    /// Writes not yet visible everywhere: (tenant, dot, written at).
    var pendingVisibility: [(tenant: String, dot: Dot, at: UInt64)] = []
    var visibility: [UInt64] = []

    struct Pair: Hashable {
        let a: Int, b: Int
        init(_ x: Int, _ y: Int) { (a, b) = (min(x, y), max(x, y)) }
    }

    public init(_ options: Options) {
        precondition(options.nodes >= 2, "a simulation needs at least two nodes")
        self.options = options
        rng = SplitMix64(seed: options.seed)
        workload = SplitMix64(seed: options.seed ^ Self.workloadStream)
        network = SplitMix64(seed: options.seed ^ Self.networkStream)
        let n = options.nodes
        let readers = options.secretTenant ? Set(0..<max(1, n / 2)) : []
        var profiles: [Pair: LinkProfile]?
        if case let .topology(pairs) = options.links {
            profiles = Dictionary(pairs.map { (Pair($0.a, $0.b), $0.profile) }, uniquingKeysWith: { _, last in last })
        }
        linkProfiles = profiles
        engines = (0..<n).map { i in
            let peers = (0..<n).filter { $0 != i && (profiles?[Pair(i, $0)] != nil || profiles == nil) }.map { j in
                PeerPolicy(
                    id: Self.name(j),
                    permissions: [
                        "shared": .readWrite, "secret": readers.contains(i) && readers.contains(j) ? .readWrite : [],
                    ]
                )
            }
            let mine = readers.contains(i) ? Self.tenants : ["shared"]
            var engine = SyncEngine(replica: Self.replica(i), tenants: mine, peers: peers)
            // Worst one-way delay here is about 800 ms; a pull whose answer has not fully
            // arrived after a round trip and a half of that was hit by loss.
            engine.pullTimeoutMilliseconds = 2_500
            return engine
        }
        up = Array(repeating: true, count: n)
        checker = Checker(nodes: n, secretReaders: readers)
        tickGeneration = Array(repeating: 0, count: n)
        rounds = Array(repeating: [:], count: n)
        pendingPushes = Array(repeating: [:], count: n)
        compressionLevels = Array(repeating: [:], count: n)
        if case let .adaptive(preset) = options.scheduling {
            schedulers = (0..<n).map { _ in try! SyncScheduler<String, String>(preset: preset) }
        }
    }

    /// Seed offsets of the workload and network streams (arbitrary distinct odd constants).
    static let workloadStream: UInt64 = 0x5745_4C4C_0000_0001
    static let networkStream: UInt64 = 0x4E45_5457_0000_0003

    static func name(_ i: Int) -> String { "n\(i + 1)" }
    static func index(_ name: String) -> Int { Int(name.dropFirst())! - 1 }
    static func replica(_ i: Int) -> ReplicaID {
        ReplicaID(high: 0x5133_0000_0000_0000 | UInt64(i + 1), low: UInt64(i + 1))
    }
}

func formatted(_ x: Double) -> String {
    let hundredths = Int((x * 100).rounded())
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}
