import ArgumentParser
import Foundation
import LatticeOps
import LatticeSimulation
import LatticeSync

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run N sync engines over a simulated network from one seed and report convergence.",
        discussion: """
            Faults: delay, jitter, loss, duplication, reordering, partitions, crashes, all, none.
            A failing run prints its seed; the same seed replays it exactly. With --topology, messages
            are shaped by the file's link profiles (TCP-like: loss costs a retransmission) and
            --faults adds only partitions and crashes.
            """
    )

    @Option(help: "Number of nodes (2 or more).")
    var nodes: Int = 5

    @Option(help: "The seed; runs with the same seed and options are identical.")
    var seed: UInt64 = 1

    @Option(help: "Comma-separated faults to inject.")
    var faults: String = "all"

    @Option(help: "Local writes during the fault phase.")
    var writes: Int = 200

    @Option(help: "Run this many consecutive seeds, starting at --seed.")
    var runs: Int = 1

    @Option(
        help: """
            fixed (a round every --interval ms), or an adaptive preset: loopback, lan, wan, edge \
            (default: fixed, or the topology's profile with --topology).
            """
    )
    var scheduling: String?

    @Option(help: "A testnet topology file (testnets/*.toml): its nodes, links and link profiles.")
    var topology: String?

    @Option(help: "Milliseconds between rounds with --scheduling fixed.")
    var interval: UInt64 = 500

    @Option(help: "faults (links shaped by --faults) or mixed (fixed fast, slow and lossy links).")
    var links: String = "faults"

    @Option(help: "Virtual milliseconds of writes and faults before everything heals.")
    var duration: UInt64 = 20_000

    @Flag(help: "Do not push writes eagerly: replicate by anti-entropy rounds alone.")
    var noPush = false

    @Flag(help: "Also print where the messages and bytes went: per message kind, rounds by reason, faults.")
    var counts = false

    func validate() throws {
        guard nodes >= 2 && nodes <= 4096 else {
            throw ValidationError("--nodes must be between 2 and 4096; got \(nodes)")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1; got \(runs)") }
        do { _ = try Faults(parsing: faults) } catch { throw ValidationError(error.description) }
        if let scheduling, scheduling != "fixed", SchedulePreset.named(scheduling) == nil {
            throw ValidationError("--scheduling must be fixed, loopback, lan, wan or edge; got \(scheduling)")
        }
        if let scheduling, scheduling != "fixed", nodes - 1 > SchedulingLimits.peersMax {
            throw ValidationError(
                "--scheduling \(scheduling) tracks at most \(SchedulingLimits.peersMax) peers per node; "
                    + "use --nodes \(SchedulingLimits.peersMax + 1) or fewer, or --scheduling fixed"
            )
        }
        guard links == "faults" || links == "mixed" else {
            throw ValidationError("--links must be faults or mixed; got \(links)")
        }
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 ms") }
    }

    func run() throws {
        let parsed = try Faults(parsing: faults)
        let testnet = try topology.map(Self.loadTopology)
        var failed = 0
        for s in seed..<(seed + UInt64(runs)) {
            var options = Simulation.Options(nodes: nodes, seed: s, faults: parsed)
            options.writes = writes
            options.roundIntervalMilliseconds = interval
            options.faultPhaseMilliseconds = duration
            options.eagerPush = !noPush
            options.countsWireBytes = true
            options.links = links == "mixed" ? .mixed : .faults
            if let testnet {
                options.nodes = testnet.nodes.count
                options.links = .topology(Self.pairs(testnet))
            }
            let schedulingName = scheduling ?? testnet?.profile.rawValue ?? "fixed"
            if let preset = SchedulePreset.named(schedulingName) { options.scheduling = .adaptive(preset) }
            var sim = Simulation(options)
            let report = sim.run()
            print(report)
            if !report.visibilityMilliseconds.isEmpty {
                print(
                    "  write visible everywhere: p50 \(report.visibility(percentile: 50)) ms, "
                        + "p99 \(report.visibility(percentile: 99)) ms"
                )
            }
            if counts {
                for (name, count) in report.counts.sorted(by: { $0.key < $1.key }) { print("  \(name): \(count)") }
            }
            if !report.converged || !report.violations.isEmpty { failed += 1 }
        }
        if failed > 0 {
            print(
                "\(failed) of \(runs) runs failed; replay one with: lattice simulate --nodes \(nodes) --faults \(faults) --seed SEED"
            )
            throw ExitCode.failure
        }
    }

    static func loadTopology(_ path: String) throws -> TestnetTopology {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError(
                "--topology \(path): cannot read it (\((error as NSError).localizedDescription)); "
                    + "pass a topology file such as testnets/three-node.toml"
            )
        }
        do {
            return try TopologyLoader().load(contents: text, sourceName: path)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The topology's links as simulator links, in node order.
    static func pairs(_ t: TestnetTopology) -> [Simulation.LinkedPair] {
        t.links.map { link in
            let p = t.linkProfiles[link.profile]!
            let a = t.nodes.firstIndex(of: link.a)!
            let b = t.nodes.firstIndex(of: link.b)!
            // Unshaped links get 1 GB/s, which is what loopback gives here.
            let bytesPerMillisecond = p.bandwidthBitsPerSecond.map { max(1, $0 / 8 / 1_000) } ?? 1_000_000
            return Simulation.LinkedPair(
                a: a,
                b: b,
                profile: LinkProfile(
                    name: link.profile,
                    delayMilliseconds: p.delayMilliseconds,
                    jitterMilliseconds: p.jitterMilliseconds,
                    lossPermille: p.lossPermille,
                    bytesPerMillisecond: bytesPerMillisecond
                )
            )
        }
    }
}
