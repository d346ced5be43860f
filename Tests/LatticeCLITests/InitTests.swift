import Foundation
import LatticeOps
import Testing

@Suite("lattice init and lattice id")
struct InitTests {
    @Test("init writes lattice.toml and 0600 key files that load without warnings; id prints the same key")
    func test_init_writesLoadableConfigAndPrivateKeys() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let result = try await LatticeRunner.run(["init", "--dir", "n1"], in: scratch.path, scratch: scratch)
        #expect(result.status == 0, "\(result)")
        let node = scratch.file("n1")
        for file in ["lattice.toml", "node.key", "master.key"] {
            #expect(result.stdout.contains("\(node)/\(file)"), "init prints every path it wrote: \(result)")
        }
        #expect(fileMode("\(node)/node.key") == 0o600)
        #expect(fileMode("\(node)/master.key") == 0o600)
        #expect(result.stdout.contains("lattice node --config n1/lattice.toml"), "\(result)")

        let loader = ConfigLoader(environment: [:], workingDirectory: scratch.path)
        let loaded = try loader.load(file: "\(node)/lattice.toml")
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        #expect(loaded.config.network == "lattice")
        #expect(loaded.config.listen.description == "127.0.0.1:7400")
        #expect(loaded.config.profile == .loopback)
        #expect(loaded.config.tenants.map(\.id) == ["default"])
        #expect(loaded.config.adminSocket == "\(node)/admin/lattice.sock")
        #expect(loaded.config.dataDirectory == "\(node)/data")

        let printedKey = try #require(result.lines.first { $0.contains("public key:") }?.split(separator: " ").last)
        let id = try await LatticeRunner.run(["id", "--config", "n1/lattice.toml"], in: scratch.path, scratch: scratch)
        #expect(id.status == 0, "\(id)")
        #expect(id.stdout == "\(printedKey)\n")
        #expect(Data(base64Encoded: String(printedKey))?.count == 32)
    }

    @Test("init on a non-loopback listen address writes profile lan and the given network")
    func test_init_nonLoopbackListen_isLan() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let result = try await LatticeRunner.run(
            ["init", "--dir", scratch.path, "--listen", "0.0.0.0:7500", "--network", "prod-eu"],
            in: "/",
            scratch: scratch
        )
        #expect(result.status == 0, "\(result)")
        let loaded = try ConfigLoader(environment: [:], workingDirectory: "/").load(file: scratch.file("lattice.toml"))
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.config.profile == .lan)
        #expect(loaded.config.network == "prod-eu")
        #expect(loaded.config.listen.port == 7500)
    }

    @Test("init refuses to overwrite an existing config or key, naming the file, and changes nothing")
    func test_init_refusesToOverwrite() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let first = try await LatticeRunner.run(["init"], in: scratch.path, scratch: scratch)
        #expect(first.status == 0, "\(first)")
        let keyBefore = try String(contentsOfFile: scratch.file("node.key"), encoding: .utf8)

        let second = try await LatticeRunner.run(["init"], in: scratch.path, scratch: scratch)
        #expect(second.status != 0)
        #expect(second.stderr.contains("\(scratch.path)/lattice.toml"), "\(second)")
        #expect(second.stderr.contains("\(scratch.path)/node.key"), "\(second)")
        #expect(second.stderr.contains("never overwrites"), "\(second)")
        #expect(try String(contentsOfFile: scratch.file("node.key"), encoding: .utf8) == keyBefore)

        try FileManager.default.removeItem(atPath: scratch.file("lattice.toml"))
        try FileManager.default.removeItem(atPath: scratch.file("master.key"))
        let onlyKey = try await LatticeRunner.run(["init"], in: scratch.path, scratch: scratch)
        #expect(onlyKey.status != 0)
        #expect(onlyKey.stderr.contains("\(scratch.path)/node.key already exists"), "\(onlyKey)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("lattice.toml")))
    }

    @Test("init with an invalid network name says why and writes nothing")
    func test_init_invalidNetwork_writesNothing() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let result = try await LatticeRunner.run(
            ["init", "--dir", "n1", "--network", "no spaces"],
            in: scratch.path,
            scratch: scratch
        )
        #expect(result.status != 0)
        #expect(result.stderr.contains("network"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("n1")))
    }
}
