import ArgumentParser
import Foundation
import LatticeCrypto
import LatticeOps

#if canImport(Glibc)
import Glibc
#endif

/// `lattice init`: a new node's directory with `lattice.toml`, `node.key` and `master.key`.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node: lattice.toml, node.key and master.key (0600) in a directory.",
        discussion: """
            The config serves one tenant, "default", with the admin socket and data inside the
            directory. Existing files are never overwritten. Prints the node's public key (give it
            to peers), every path written, and the command that starts the node.
            """
    )

    @Option(help: ArgumentHelp("The node's directory (created if missing).", valueName: "dir"))
    var dir: String = "."

    @Option(help: ArgumentHelp("The TCP address peers connect to.", valueName: "host:port"))
    var listen: String = "127.0.0.1:7400"

    @Option(help: ArgumentHelp("The network name (the same on every node).", valueName: "name"))
    var network: String = "lattice"

    func validate() throws {
        guard HostPort(parsing: listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT (IPv6 in brackets, port 0-65535); got '\(listen)'")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let layout = NodeLayout(directory: dir)
            try layout.refuseExisting()
            let text = NodeConfigTemplate.render(network: network, listen: HostPort(parsing: listen)!)
            try layout.check(configText: text)
            try layout.createDirectory()
            let publicKey = try layout.writeFiles(configText: text)
            try layout.checkWrittenConfig()
            Terminal.line("Created a Lattice node in \(layout.absoluteDirectory)")
            Terminal.line("  public key: \(publicKey)")
            for path in layout.files {
                Terminal.line("  wrote \(path)")
            }
            let config = shellQuoted(layout.configForCommands)
            Terminal.line("Start it with:")
            Terminal.line("  lattice node --config \(config)")
            Terminal.line("then, from another terminal:")
            Terminal.line("  lattice put --config \(config) \(NodeConfigTemplate.tenant) greeting hello")
            Terminal.line("  lattice get --config \(config) \(NodeConfigTemplate.tenant) greeting")
        }
    }
}

/// The files of one node directory and the steps that create them.
struct NodeLayout {
    /// The directory as the user gave it.
    let directory: String
    /// The directory as an absolute path.
    let absoluteDirectory: String

    init(directory: String) {
        self.directory = directory
        self.absoluteDirectory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    var configFile: String { absoluteDirectory + "/" + ConfigFile.defaultName }
    var nodeKeyFile: String { absoluteDirectory + "/" + NodeConfigTemplate.nodeKeyFile }
    var masterKeyFile: String { absoluteDirectory + "/" + NodeConfigTemplate.masterKeyFile }
    /// Every file `init` writes, in the order it writes them.
    var files: [String] { [nodeKeyFile, masterKeyFile, configFile] }
    /// The config path relative to where the user stands, for the printed next command.
    var configForCommands: String {
        if directory == "." { return ConfigFile.defaultName }
        return (directory.hasSuffix("/") ? directory : directory + "/") + ConfigFile.defaultName
    }

    /// Throws when any of the files exists, naming all that do.
    func refuseExisting() throws(CommandFailure) {
        let existing = files.filter { FileManager.default.fileExists(atPath: $0) }
        guard existing.isEmpty else {
            throw CommandFailure(
                .localFiles,
                "\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : "");"
                    + " lattice init never overwrites a node's config or keys: choose another --dir,"
                    + " or remove them if that node is gone for good"
            )
        }
    }

    /// Validates the config text before anything is written (a bad --network or a directory
    /// too deep for a Unix socket path is refused with the loader's message).
    func check(configText: String) throws(CommandFailure) {
        let loader = ConfigLoader(environment: [:], workingDirectory: absoluteDirectory)
        let loaded: LoadedConfig
        do {
            loaded = try loader.load(contents: configText, sourceName: configFile, baseDirectory: absoluteDirectory)
        } catch {
            throw CommandFailure(.config, "cannot create a node with these options: \(error.message)")
        }
        if let warning = loaded.warnings.first {
            throw CommandFailure(.config, "the generated config has a warning (a bug in lattice init): \(warning)")
        }
    }

    /// Creates the directory (mode 0700: it will hold keys and data) unless it exists.
    func createDirectory() throws(CommandFailure) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: absoluteDirectory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CommandFailure(
                    .localFiles,
                    "\(absoluteDirectory) exists and is not a directory; choose another --dir"
                )
            }
            return
        }
        let parent = (absoluteDirectory as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.localFiles, "cannot create the directory \(parent): \(error.localizedDescription)")
        }
        guard mkdir(absoluteDirectory, 0o700) == 0 else {
            throw CommandFailure(
                .localFiles,
                "cannot create the directory \(absoluteDirectory): \(String(cString: strerror(errno)))"
            )
        }
    }

    /// Writes the keys, then the config (so a config never points at missing keys), and returns
    /// the node's public key in base64.
    func writeFiles(configText: String) throws(CommandFailure) -> String {
        let pair: X25519KeyPair
        do {
            pair = try X25519KeyPair.generate(at: nodeKeyFile)
        } catch {
            throw CommandFailure(.localFiles, error.message)
        }
        do {
            try MasterKey.generate(at: masterKeyFile)
        } catch {
            throw CommandFailure(
                .localFiles,
                "\(error.message); \(nodeKeyFile) was written already, remove it to retry"
            )
        }
        try Self.createFile(configFile, contents: configText, writtenBefore: [nodeKeyFile, masterKeyFile])
        return Data(pair.publicKey).base64EncodedString()
    }

    /// Loads the written config as the node will; it must load without warnings.
    func checkWrittenConfig() throws(CommandFailure) {
        let loader = ConfigLoader(
            environment: [:],
            workingDirectory: absoluteDirectory,
            ownPublicKey: ConfigFile.ownPublicKey
        )
        do {
            let loaded = try loader.load(file: configFile)
            for warning in loaded.warnings {
                Terminal.warning(warning.message)
            }
        } catch {
            throw CommandFailure(.config, "the config just written does not load: \(error.message)")
        }
    }

    /// Creates `path` exclusively (mode 0644: no secrets in it) holding `contents`, synced to disk.
    private static func createFile(_ path: String, contents: String, writtenBefore: [String]) throws(CommandFailure) {
        func failure(_ action: String) -> CommandFailure {
            CommandFailure(
                .localFiles,
                "\(path) cannot be \(action): \(String(cString: strerror(errno)));"
                    + " \(writtenBefore.joined(separator: " and ")) were written already, remove them to retry"
            )
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("created") }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard count == bytes.count, fsync(fd) == 0 else { throw failure("written") }
    }
}

/// `text` quoted for a POSIX shell when it holds anything but safe characters.
func shellQuoted(_ text: String) -> String {
    let safe = text.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "/._-+:=@,".unicodeScalars.contains(scalar))
    }
    return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
