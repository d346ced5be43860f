import Foundation
import LatticeOps
import Testing

/// The client commands against a real `lattice node`, so the CLI and the node agree on the
/// admin API as built, not only as the stub reads the spec.
@Suite("the CLI against a real lattice node")
struct NodeEndToEndTests {
    /// How long a debug node on a busy 2-core machine may take to open its admin socket.
    static let startSecondsMax = 30.0

    @Test("init, node, then put/get/incr/sadd/keys/delete and admin status through the node's socket")
    func test_dataCommands_againstRealNode() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let initialised = try await LatticeRunner.run(
            ["init", "--dir", "n1", "--listen", "127.0.0.1:0"],
            in: scratch.path,
            scratch: scratch
        )
        #expect(initialised.status == 0, "\(initialised)")
        // The node lives as long as the test, which on a loaded machine can exceed a command's limit.
        let node = try RunningLattice(
            ["node", "--config", "n1/lattice.toml"],
            in: scratch.path,
            scratch: scratch,
            killAfterSeconds: 600
        )
        do {
            try await Self.waitForSocket(scratch.file("n1/admin/lattice.sock"), of: node)
            try await Self.exercise(scratch)
        } catch {
            node.terminate()
            print(try await node.result())
            throw error
        }
        node.terminate()
        let stopped = try await node.result()
        #expect(stopped.status == 0, "\(stopped)")
    }

    /// The commands, with the config found through `$LATTICE_CONFIG`.
    private static func exercise(_ scratch: TemporaryDirectory) async throws {
        let environment = ["LATTICE_CONFIG": scratch.file("n1/lattice.toml")]
        func lattice(_ arguments: String...) async throws -> RunResult {
            try await LatticeRunner.run(arguments, in: scratch.path, scratch: scratch, environment: environment)
        }
        #expect(try await lattice("put", "default", "greeting", "hello world").status == 0)
        #expect(try await lattice("get", "default", "greeting").stdout == "hello world\n")
        #expect(try await lattice("incr", "default", "hits", "--by", "5").stdout == "5\n")
        #expect(try await lattice("incr", "default", "hits", "--", "-2").stdout == "3\n")
        #expect(try await lattice("sadd", "default", "tags", "b").stdout == "[\"b\"]\n")
        #expect(try await lattice("sadd", "default", "tags", "a").stdout == "[\"a\",\"b\"]\n")
        #expect(try await lattice("get", "default", "hits").stdout == "3\n")
        #expect(try await lattice("keys", "default").lines == ["greeting", "hits", "tags"])
        #expect(try await lattice("delete", "default", "greeting").status == 0)
        let deleted = try await lattice("get", "default", "greeting")
        #expect(deleted.status == 1, "\(deleted)")
        #expect(deleted.stderr.contains("greeting"), "\(deleted)")
        let mismatch = try await lattice("incr", "default", "tags")
        #expect(mismatch.status == 1, "\(mismatch)")

        let status = try await lattice("admin", "status", "--format", "json")
        let id = try await lattice("id")
        let document = try JSONValue.parse(Array(status.stdout.utf8))
        #expect(document["node_id"]?.stringValue.map { $0 + "\n" } == id.stdout, "\(status)\n\(id)")
        let peers = try await lattice("admin", "peers")
        #expect(peers.lines.first?.hasPrefix("NAME  ID") == true, "\(peers)")
    }

    /// Polls for the node's admin socket until it appears, the node exits, or the deadline.
    private static func waitForSocket(_ path: String, of node: RunningLattice) async throws {
        let deadline = ContinuousClock.now + .seconds(startSecondsMax)
        while ContinuousClock.now < deadline {
            if fileMode(path) != nil { return }
            guard node.isRunning else { throw RunnerError("the node exited before opening \(path)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunnerError("the node did not open \(path) within \(startSecondsMax) s")
    }
}
