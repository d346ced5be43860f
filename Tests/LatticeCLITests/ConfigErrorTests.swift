import Foundation
import Testing

/// Config problems reach the operator as the promised messages; `lattice id --config` drives them.
@Suite("config errors on the command line")
struct ConfigErrorTests {
    /// A node directory made by `lattice init`, with its config replaced by `config` when given.
    static func node(_ scratch: TemporaryDirectory, config: String? = nil) async throws {
        let result = try await LatticeRunner.run(["init"], in: scratch.path, scratch: scratch)
        #expect(result.status == 0, "\(result)")
        if let config {
            try FileManager.default.removeItem(atPath: scratch.file("lattice.toml"))
            try scratch.write("lattice.toml", config)
        }
    }

    @Test("a value of the wrong type names the file, line, field and the expected type")
    func test_wrongType_namesFieldExpectedTypeAndLine() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try await Self.node(scratch, config: "network = \"lattice\"\n\nlisten = 7400\n")
        let result = try await LatticeRunner.run(
            ["id", "--config", "lattice.toml"],
            in: scratch.path,
            scratch: scratch
        )
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("lattice.toml:3: listen: expected a string \"host:port\""), "\(result)")
        #expect(result.stderr.contains("found an integer"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("an unknown key is a warning naming it and its line; the command still runs")
    func test_unknownKey_warns() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try await Self.node(scratch, config: "network = \"lattice\"\nlisten = \"127.0.0.1:7400\"\nlistne = \"x\"\n")
        let result = try await LatticeRunner.run(
            ["id", "--config", "lattice.toml"],
            in: scratch.path,
            scratch: scratch
        )
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("warning: lattice.toml:3: listne: unknown key, ignored"), "\(result)")
        #expect(result.stderr.contains("did you mean listen?"), "\(result)")
        #expect(result.lines.count == 1)
    }

    @Test("a key file readable by others is refused with the chmod that fixes it")
    func test_keyFileReadableByOthers_refusedWithChmodHint() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try await Self.node(scratch)
        #expect(chmod(scratch.file("node.key"), 0o644) == 0)
        let result = try await LatticeRunner.run(
            ["id", "--config", "lattice.toml"],
            in: scratch.path,
            scratch: scratch
        )
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("mode 0644"), "\(result)")
        #expect(result.stderr.contains("chmod 600 \(scratch.path)/node.key"), "\(result)")
    }

    @Test("without --config, id reads $LATTICE_CONFIG, else ./lattice.toml, else says how to get one")
    func test_configDefaults() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try await Self.node(scratch)
        let here = try await LatticeRunner.run(["id"], in: scratch.path, scratch: scratch)
        #expect(here.status == 0, "\(here)")
        let empty = scratch.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        let fromEnvironment = try await LatticeRunner.run(
            ["id"],
            in: empty,
            scratch: scratch,
            environment: ["LATTICE_CONFIG": scratch.file("lattice.toml")]
        )
        #expect(fromEnvironment.stdout == here.stdout, "\(fromEnvironment)")
        let nowhere = try await LatticeRunner.run(["id"], in: empty, scratch: scratch)
        #expect(nowhere.status == 3)
        #expect(nowhere.stderr.contains("no config file at ./lattice.toml"), "\(nowhere)")
        #expect(nowhere.stderr.contains("lattice init"), "\(nowhere)")
    }
}
