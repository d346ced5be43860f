import ArgumentParser
import LatticeSimulation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run N sync engines over a simulated network from one seed and report convergence.",
        discussion: """
            Faults: delay, jitter, loss, duplication, reordering, partitions, crashes, all, none.
            A failing run prints its seed; the same seed replays it exactly.
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

    func validate() throws {
        guard nodes >= 2 && nodes <= 4096 else {
            throw ValidationError("--nodes must be between 2 and 4096; got \(nodes)")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1; got \(runs)") }
        do { _ = try Faults(parsing: faults) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let parsed = try Faults(parsing: faults)
        var failed = 0
        for s in seed..<(seed + UInt64(runs)) {
            var options = Simulation.Options(nodes: nodes, seed: s, faults: parsed)
            options.writes = writes
            var sim = Simulation(options)
            let report = sim.run()
            print(report)
            if !report.converged || !report.violations.isEmpty { failed += 1 }
        }
        if failed > 0 {
            print(
                "\(failed) of \(runs) runs failed; replay one with: lattice simulate --nodes \(nodes) --faults \(faults) --seed SEED"
            )
            throw ExitCode.failure
        }
    }
}
