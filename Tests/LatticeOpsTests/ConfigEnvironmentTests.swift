import Foundation
import Testing

@testable import LatticeOps

@Suite("Config environment overrides")
struct ConfigEnvironmentTests {
    @Test("LATTICE_* variables replace file values; relative env paths resolve against the working directory")
    func test_environment_overridesFile() throws {
        let environment = [
            "LATTICE_NETWORK": "staging",
            "LATTICE_LISTEN": "0.0.0.0:9000",
            "LATTICE_DATA_DIR": "node-a",
            "LATTICE_ADMIN_SOCKET": "/run/lattice/a.sock",
            "LATTICE_PROFILE": "edge",
        ]
        let config = try loadConfig(minimalConfig, environment: environment).config
        #expect(config.network == "staging")
        #expect(config.listen == HostPort(host: "0.0.0.0", port: 9000))
        #expect(config.dataDirectory == "/work/node-a")
        #expect(config.adminSocket == "/run/lattice/a.sock")
        #expect(config.profile == .edge)
    }

    @Test("a variable supplies a key the file lacks")
    func test_environment_suppliesMissingKey() throws {
        let config = try loadConfig("listen = \"h:1\"\n", environment: ["LATTICE_NETWORK": "n1"]).config
        #expect(config.network == "n1")
    }

    @Test("invalid or empty variables are refused naming the variable")
    func test_environment_errorsNameTheVariable() {
        #expect(
            configErrorMessage(minimalConfig, environment: ["LATTICE_PROFILE": "moon"])
                == "environment LATTICE_PROFILE: expected one of \"loopback\", \"lan\", \"wan\", \"edge\","
                + " found \"moon\""
        )
        #expect(
            configErrorMessage(minimalConfig, environment: ["LATTICE_LISTEN": ""])
                == "environment LATTICE_LISTEN: set but empty; unset it or give a string \"host:port\""
                + " (IPv6 in brackets, port 0-65535)"
        )
    }

    @Test("other LATTICE_ variables are ignored")
    func test_environment_unrelatedVariablesIgnored() throws {
        let config = try loadConfig(minimalConfig, environment: ["LATTICE_COLOUR": "blue"]).config
        #expect(config.network == "test")
    }
}

@Suite("Config files on disk")
struct ConfigFileTests {
    @Test("a file loads with paths relative to its directory")
    func test_file_resolvesRelativeToItsDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lattice.toml", minimalConfig + "\ndata_dir = \"./d/../data\"\n")
        let loader = ConfigLoader(environment: [:], workingDirectory: "/")
        let config = try loader.load(file: directory.file("lattice.toml")).config
        #expect(config.dataDirectory == directory.file("data"))
        #expect(config.nodeKeyFile == directory.file("node.key"))
    }

    @Test("a key file readable by others is refused with chmod advice; 0600 and missing files pass")
    func test_keyFileMode_isChecked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lattice.toml", minimalConfig)
        try directory.write("node.key", "secret", mode: 0o644)
        let loader = ConfigLoader(environment: [:], workingDirectory: "/")
        let path = directory.file("node.key")
        #expect(throws: ConfigError.self) { try loader.load(file: directory.file("lattice.toml")) }
        do {
            _ = try loader.load(file: directory.file("lattice.toml"))
        } catch {
            #expect(error.code == .unsafeKeyFile)
            #expect(
                error.message
                    == "\(directory.file("lattice.toml")): node_key_file (default \"node.key\"): key file \(path)"
                    + " has mode 0644, so other users can read or change it; run: chmod 600 \(path)"
            )
        }
        chmod(path, 0o600)
        #expect(try loader.load(file: directory.file("lattice.toml")).config.nodeKeyFile == path)
    }

    @Test("a key file that is a directory is refused")
    func test_keyFileDirectory_isRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lattice.toml", minimalConfig + "\nmaster_key_file = \"keys\"\n")
        mkdir(directory.file("keys"), 0o700)
        let loader = ConfigLoader(environment: [:], workingDirectory: "/")
        let message =
            "\(directory.file("lattice.toml")):4: master_key_file: \(directory.file("keys"))"
            + " is not a regular file; point it at the key file"
        #expect(throws: ConfigError(.unsafeKeyFile, message)) { try loader.load(file: directory.file("lattice.toml")) }
    }

    @Test("missing, oversized and non-UTF-8 files are refused")
    func test_unreadableFiles_areRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loader = ConfigLoader(environment: [:], workingDirectory: "/")
        let missing = directory.file("absent.toml")
        #expect(throws: ConfigError(.unreadable, "\(missing): cannot open the config file: No such file or directory"))
        {
            try loader.load(file: missing)
        }
        let big = directory.file("big.toml")
        try Data(repeating: UInt8(ascii: "#"), count: ConfigLimits.fileBytesMax + 1).write(
            to: URL(fileURLWithPath: big)
        )
        #expect(
            throws: ConfigError(
                .tooLarge,
                "\(big): larger than the 1048576-byte limit for a config file; is this the right file?"
            )
        ) { try loader.load(file: big) }
        let binary = directory.file("binary.toml")
        try Data([0x23, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: ConfigError(.unreadable, "\(binary): not UTF-8 text; a config file is TOML, which is UTF-8")) {
            try loader.load(file: binary)
        }
    }
}
