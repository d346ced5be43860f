import Foundation
import Testing

@testable import LatticeOps

/// Base64 of 32 bytes of 0x01 and 0x02, and of 31 bytes of 0x03.
let keyOne = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
let keyTwo = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
let keyShort = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=="

/// Loads `text` as `lattice.toml` in `/etc/lattice` with the given environment.
func loadConfig(
    _ text: String,
    environment: [String: String] = [:],
    ownKey: [UInt8]? = nil
) throws(ConfigError)
    -> LoadedConfig
{
    let loader = ConfigLoader(environment: environment, workingDirectory: "/work") { _ in ownKey }
    return try loader.load(contents: text, sourceName: "lattice.toml", baseDirectory: "/etc/lattice")
}

/// The message of the `ConfigError` that loading `text` throws, or "no error".
func configErrorMessage(_ text: String, environment: [String: String] = [:], ownKey: [UInt8]? = nil) -> String {
    do {
        _ = try loadConfig(text, environment: environment, ownKey: ownKey)
        return "no error"
    } catch {
        return error.message
    }
}

let minimalConfig = """
    network = "test"
    listen = "127.0.0.1:7400"

    """

@Suite("Config loading")
struct ConfigLoaderTests {
    @Test("a complete config loads with absolute paths, tenants, peers and permissions")
    func test_completeConfig_loads() throws {
        let text = """
            network = "prod-eu"
            data_dir = "var/data"
            listen = "[::1]:7400"
            profile = "wan"
            node_key_file = "/secrets/node.key"

            [[tenants]]
            id = "acme"

            [[tenants]]
            id = "globex"

            [[peers]]
            address = "10.0.0.2:7400"
            public_key = "\(keyOne)"
            name = "edge-2"

            [peers.permissions]
            acme = "read-write"
            globex = "read"

            [[peers]]
            address = "peer3.example:7401"
            public_key = "\(keyTwo)"
            permissions = { acme = "write" }

            [sync]
            durability = "durable"
            """
        let loaded = try loadConfig(text)
        let config = loaded.config
        #expect(loaded.warnings.isEmpty)
        #expect(config.network == "prod-eu")
        #expect(config.dataDirectory == "/etc/lattice/var/data")
        #expect(config.listen == HostPort(host: "::1", port: 7400))
        #expect(config.adminSocket == "/etc/lattice/var/data/admin/lattice.sock")
        #expect(config.profile == .wan)
        #expect(config.nodeKeyFile == "/secrets/node.key")
        #expect(config.masterKeyFile == "/etc/lattice/master.key")
        #expect(config.tenants.map(\.id) == ["acme", "globex"])
        #expect(config.peers.count == 2)
        #expect(config.peers[0].publicKey == [UInt8](repeating: 1, count: 32))
        #expect(config.peers[0].name == "edge-2")
        #expect(config.peers[0].permissions == ["acme": .readWrite, "globex": .read])
        #expect(config.peers[1].address.description == "peer3.example:7401")
        #expect(config.peers[1].name == nil)
        #expect(config.peers[1].permissions == ["acme": .write])
        #expect(config.sync.durability == .durable)
    }

    @Test("defaults: profile lan, data next to the config, durable sync, no peers")
    func test_minimalConfig_usesDefaults() throws {
        let config = try loadConfig(minimalConfig).config
        #expect(config.profile == .lan)
        #expect(config.dataDirectory == "/etc/lattice/data")
        #expect(config.nodeKeyFile == "/etc/lattice/node.key")
        #expect(config.sync.durability == .durable)
        #expect(config.peers.isEmpty && config.tenants.isEmpty)
    }

    @Test("a public key of the wrong type names the file, line, field, expected and found types")
    func test_publicKeyInteger_namesLineFieldAndTypes() {
        let text = """
            network = "test"
            listen = "127.0.0.1:7400"

            [[tenants]]
            id = "acme"

            [[peers]]
            address = "10.0.0.2:7400"
            public_key = "\(keyOne)"
            [[peers]]
            address = "10.0.0.3:7400"
            public_key = 12345
            """
        #expect(
            configErrorMessage(text)
                == "lattice.toml:12: peers[1].public_key: expected a string of 32 bytes in base64, found an integer"
        )
    }

    @Test("a public key of the wrong length or not base64 says what was found")
    func test_publicKeyBadContent_saysWhatWasFound() {
        let short = minimalConfig + "\n[[peers]]\naddress = \"h:1\"\npublic_key = \"\(keyShort)\"\n"
        #expect(
            configErrorMessage(short)
                == "lattice.toml:6: peers[0].public_key: expected a string of 32 bytes in base64, found 31 bytes"
        )
        let garbage = minimalConfig + "\n[[peers]]\naddress = \"h:1\"\npublic_key = \"not base64!\"\n"
        #expect(
            configErrorMessage(garbage)
                == "lattice.toml:6: peers[0].public_key: expected a string of 32 bytes in base64,"
                + " found text that is not base64"
        )
    }

    @Test("wrong types of top-level fields and tables name the expected type")
    func test_wrongTypes_nameExpectedType() {
        #expect(
            configErrorMessage("network = \"t\"\nlisten = 7400\n")
                == "lattice.toml:2: listen: expected a string \"host:port\" (IPv6 in brackets, port 0-65535),"
                + " found an integer"
        )
        #expect(
            configErrorMessage(minimalConfig + "\nsync = \"fast\"\n")
                == "lattice.toml:4: sync: expected a table, found a string"
        )
        #expect(
            configErrorMessage(minimalConfig + "\npeers = \"none\"\n")
                == "lattice.toml:4: peers: expected an array of tables ([[peers]]), found a string"
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[tenants]]\nid = true\n")
                == "lattice.toml:5: tenants[0].id: expected a string of 1 to 64 characters from a-z 0-9 _ -,"
                + " found a boolean"
        )
        #expect(
            configErrorMessage(minimalConfig + "\ndata_dir = 1.5\n")
                == "lattice.toml:4: data_dir: expected a path string, found a floating-point number"
        )
    }

    @Test("missing required keys say what to add")
    func test_missingKeys_sayWhatToAdd() {
        #expect(
            configErrorMessage("listen = \"127.0.0.1:1\"\n")
                == "lattice.toml: network: required key is missing; add network = \"NAME\" (the same on every node)"
                + " or set LATTICE_NETWORK"
        )
        #expect(
            configErrorMessage("network = \"t\"\n")
                == "lattice.toml: listen: required key is missing; add listen = \"0.0.0.0:7400\" or set LATTICE_LISTEN"
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[peers]]\naddress = \"h:1\"\n")
                == "lattice.toml:4: peers[0].public_key: required key is missing;"
                + " add public_key = \"BASE64\" (what `lattice id` prints on that peer)"
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[peers]]\npublic_key = \"\(keyOne)\"\n")
                == "lattice.toml:4: peers[0].address: required key is missing; add address = \"HOST:PORT\""
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[tenants]]\n")
                == "lattice.toml:4: tenants[0].id: required key is missing; add id = \"NAME\""
        )
    }

    @Test("invalid values name the field and quote what was found")
    func test_invalidValues_quoteFoundValue() {
        #expect(
            configErrorMessage("network = \"t\"\nlisten = \"localhost\"\n")
                == "lattice.toml:2: listen: expected a string \"host:port\" (IPv6 in brackets, port 0-65535),"
                + " found \"localhost\""
        )
        #expect(
            configErrorMessage(minimalConfig + "\nprofile = \"moon\"\n")
                == "lattice.toml:4: profile: expected one of \"loopback\", \"lan\", \"wan\", \"edge\", found \"moon\""
        )
        #expect(
            configErrorMessage("network = \"my net\"\nlisten = \"h:1\"\n")
                == "lattice.toml:1: network: expected a string of 1 to 64 characters from a-z A-Z 0-9 . _ -,"
                + " found \"my net\""
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[tenants]]\nid = \"Acme\"\n")
                == "lattice.toml:5: tenants[0].id: expected a string of 1 to 64 characters from a-z 0-9 _ -,"
                + " found \"Acme\""
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[[peers]]\naddress = \"h:0\"\npublic_key = \"\(keyOne)\"\n")
                == "lattice.toml:5: peers[0].address: expected a string \"host:port\" (IPv6 in brackets,"
                + " port 1-65535), found \"h:0\""
        )
        #expect(
            configErrorMessage(minimalConfig + "\n[sync]\ndurability = \"maybe\"\n")
                == "lattice.toml:5: sync.durability: expected one of \"durable\", \"relaxed\", found \"maybe\""
        )
    }

    @Test("permissions must name configured tenants and one of read, write, read-write")
    func test_permissions_areChecked() {
        let base =
            minimalConfig + "\n[[tenants]]\nid = \"acme\"\n[[peers]]\naddress = \"h:1\"\n"
            + "public_key = \"\(keyOne)\"\n[peers.permissions]\n"
        #expect(
            configErrorMessage(base + "globex = \"read\"\n")
                == "lattice.toml:10: peers[0].permissions.globex: no tenant \"globex\" is configured;"
                + " add [[tenants]] id = \"globex\" or remove this line"
        )
        #expect(
            configErrorMessage(base + "acme = \"admin\"\n")
                == "lattice.toml:10: peers[0].permissions.acme: expected one of \"read\", \"write\", \"read-write\","
                + " found \"admin\""
        )
        #expect(
            configErrorMessage(base + "acme = 1\n")
                == "lattice.toml:10: peers[0].permissions.acme: expected one of \"read\", \"write\", \"read-write\","
                + " found an integer"
        )
    }

    @Test("duplicate peers, addresses and tenants are refused naming both entries")
    func test_duplicates_areRefused() {
        let twoPeers =
            minimalConfig + """

                [[peers]]
                address = "10.0.0.2:7400"
                public_key = "\(keyOne)"

                [[peers]]
                address = "10.0.0.3:7400"
                public_key = "\(keyOne)"
                """
        #expect(
            configErrorMessage(twoPeers)
                == "lattice.toml:10: peers[1].public_key: the same public key as peers[0] (line 4);"
                + " list each peer once and remove this entry"
        )
        let sameAddress = twoPeers.replacingOccurrences(of: "10.0.0.3", with: "10.0.0.2")
            .replacingOccurrences(
                of: "public_key = \"\(keyOne)\"\n\n[[peers]]",
                with: "public_key = \"\(keyTwo)\"\n\n[[peers]]"
            )
        #expect(
            configErrorMessage(sameAddress)
                == "lattice.toml:9: peers[1].address: the same address as peers[0] (line 4);"
                + " two peers cannot share an address"
        )
        let twoTenants = minimalConfig + "\n[[tenants]]\nid = \"acme\"\n[[tenants]]\nid = \"acme\"\n"
        #expect(
            configErrorMessage(twoTenants)
                == "lattice.toml:7: tenants[1].id: tenant \"acme\" is already listed at tenants[0].id (line 5);"
                + " list each tenant once"
        )
    }

    @Test("the node's own key listed as a peer is refused")
    func test_ownKeyAsPeer_isRefused() {
        let text = minimalConfig + "\n[[peers]]\naddress = \"h:1\"\npublic_key = \"\(keyTwo)\"\n"
        #expect(
            configErrorMessage(text, ownKey: [UInt8](repeating: 2, count: 32))
                == "lattice.toml:6: peers[0].public_key: this is this node's own public key (from"
                + " /etc/lattice/node.key); a node does not peer with itself: remove this [[peers]] entry"
        )
        #expect(configErrorMessage(text, ownKey: [UInt8](repeating: 1, count: 32)) == "no error")
    }

    @Test("unknown keys produce warnings naming them, with a suggestion for typos")
    func test_unknownKeys_warn() throws {
        let text =
            minimalConfig + """

                colour = "blue"
                [[peers]]
                adress = "h:1"
                address = "h:1"
                public_key = "\(keyOne)"
                [sync]
                durabilty = "durable"
                """
        let warnings = try loadConfig(text).warnings.map(\.message)
        #expect(
            warnings == [
                "lattice.toml:4: colour: unknown key, ignored",
                "lattice.toml:6: peers[0].adress: unknown key, ignored; did you mean address?",
                "lattice.toml:10: sync.durabilty: unknown key, ignored; did you mean durability?",
            ]
        )
    }

    @Test("relaxed durability loads with a loud warning")
    func test_relaxedDurability_warns() throws {
        let loaded = try loadConfig(minimalConfig + "\n[sync]\ndurability = \"relaxed\"\n")
        #expect(loaded.config.sync.durability == .relaxed)
        #expect(
            loaded.warnings.map(\.message) == [
                "lattice.toml:5: sync.durability: WARNING: durability = \"relaxed\" acknowledges writes before they"
                    + " reach the disk; a crash or power loss can lose writes that clients were told succeeded."
                    + " Use \"durable\" unless you have measured that you need this."
            ]
        )
    }

    @Test("TOML syntax errors carry the line and column from toml++")
    func test_syntaxError_hasLineAndColumn() {
        let message = configErrorMessage("network = \"t\"\nlisten = \n")
        #expect(message.hasPrefix("lattice.toml:2:"))
        #expect(message.contains("not valid TOML"))
    }

    @Test("an admin socket path longer than sun_path is refused with advice")
    func test_longSocketPath_isRefused() {
        let long = "/" + String(repeating: "s", count: 120)
        #expect(
            configErrorMessage(minimalConfig + "\nadmin_socket = \"\(long)\"\n")
                == "lattice.toml:4: admin_socket: the socket path \(long) is 121 bytes, but a Unix socket path"
                + " holds at most 107; choose a shorter admin_socket"
        )
    }
}
