#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loaded configuration and the warnings found while loading it. Print the warnings
/// (they name unknown keys and weakened guarantees) before starting the node.
public struct LoadedConfig: Sendable {
    /// The validated configuration.
    public var config: LatticeConfig
    /// Unknown keys and risky settings, in the order they were found.
    public var warnings: [ConfigWarning]
}

/// Loads `lattice.toml`: TOML parsed by TOMLKit, then Lattice's own validation layer.
///
/// Environment overrides: `LATTICE_NETWORK`, `LATTICE_LISTEN`, `LATTICE_DATA_DIR`,
/// `LATTICE_ADMIN_SOCKET` and `LATTICE_PROFILE` replace the file's value for their key when
/// they are set, whether or not the file has the key. A set but empty variable is an error.
/// Values from the environment are validated like file values and errors name the variable.
/// Relative paths in the file (and defaults) resolve against the config file's directory;
/// relative paths from the environment resolve against the working directory.
public struct ConfigLoader: Sendable {
    /// The environment to read `LATTICE_*` overrides from.
    public var environment: [String: String]
    /// The directory relative paths from the environment resolve against.
    public var workingDirectory: String
    /// Returns the node's own public key given the node key file's path (nil when the file
    /// does not exist yet); the loader refuses a config listing that key as a peer.
    public var ownPublicKey: (@Sendable (_ nodeKeyFile: String) -> [UInt8]?)?

    /// Makes a loader. Pass the process environment and working directory in production,
    /// fixed values in tests.
    public init(
        environment: [String: String],
        workingDirectory: String,
        ownPublicKey: (@Sendable (_ nodeKeyFile: String) -> [UInt8]?)? = nil
    ) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.ownPublicKey = ownPublicKey
    }

    /// Reads and validates the file at `path` (at most `ConfigLimits.fileBytesMax` bytes).
    /// Messages name the file as `path` was given.
    public func load(file path: String) throws(ConfigError) -> LoadedConfig {
        let text = try Self.readFile(path)
        let absolute = PathResolution.absolute(path, relativeTo: workingDirectory)
        return try load(contents: text, sourceName: path, baseDirectory: PathResolution.directory(of: absolute))
    }

    /// Validates TOML `text` whose relative paths resolve against `baseDirectory`; messages
    /// call the text `sourceName`.
    public func load(
        contents text: String,
        sourceName: String,
        baseDirectory: String
    ) throws(ConfigError)
        -> LoadedConfig
    {
        guard text.utf8.count <= ConfigLimits.fileBytesMax else {
            throw ConfigError(
                .tooLarge,
                "\(sourceName): \(text.utf8.count) bytes, more than the \(ConfigLimits.fileBytesMax)-byte limit"
                    + " for a config file; is this the right file?"
            )
        }
        let table = try ConfigTable.parse(text, sourceName: sourceName)
        let source = ConfigSource(name: sourceName, map: ConfigSourceMap(text: text))
        var decoding = ConfigDecoding(
            source: source,
            environment: environment,
            baseDirectory: PathResolution.absolute(baseDirectory, relativeTo: workingDirectory),
            workingDirectory: workingDirectory,
            ownPublicKey: ownPublicKey
        )
        let config = try decoding.decode(table)
        return LoadedConfig(config: config, warnings: decoding.warnings)
    }

    /// Reads at most `fileBytesMax + 1` bytes, so an oversized file is detected without
    /// reading it whole.
    private static func readFile(_ path: String) throws(ConfigError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ConfigError(.unreadable, "\(path): cannot open the config file: \(reason)")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: ConfigLimits.fileBytesMax + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { POSIX.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                let reason = String(cString: strerror(errno))
                throw ConfigError(.unreadable, "\(path): cannot read the config file: \(reason)")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= ConfigLimits.fileBytesMax else {
            throw ConfigError(
                .tooLarge,
                "\(path): larger than the \(ConfigLimits.fileBytesMax)-byte limit for a config file;"
                    + " is this the right file?"
            )
        }
        guard let text = String(validating: bytes[..<filled], as: UTF8.self) else {
            throw ConfigError(.unreadable, "\(path): not UTF-8 text; a config file is TOML, which is UTF-8")
        }
        return text
    }
}
