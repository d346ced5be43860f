import ArgumentParser
import LatticeBenchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmarks; figures are compared with the raw C libraries measured in the same run.",
        discussion: "Suites: \(BenchSuite.all.map(\.name).joined(separator: ", ")), or all."
    )

    @Argument(help: "The suite to run (or 'all').")
    var suite: String = "all"

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    @Flag(help: "Use small sizes so the suite finishes in seconds (a smoke test, not a measurement).")
    var quick = false

    @Option(help: "Directory for on-disk benchmarks (files are created and removed inside it).")
    var workDir: String = "/tmp"

    func validate() throws {
        if suite != "all" && BenchSuite.named(suite) == nil {
            let names = BenchSuite.all.map(\.name).joined(separator: ", ")
            throw ValidationError("unknown benchmark suite '\(suite)'; choose one of: \(names), all")
        }
    }

    func run() throws {
        let suites = suite == "all" ? BenchSuite.all : [BenchSuite.named(suite)!]
        var printer = BenchPrinter(format: json ? .json : .table)
        let options = BenchOptions(quick: quick, workDirectory: workDir)
        for s in suites {
            try s.run(options) { printer.emit($0) }
        }
    }
}
