import ArgumentParser
import LatticeOps

/// The commands that set up a node and talk to a running one, as `lattice` lists them.
enum OperatorCommands {
    static let all: [any ParsableCommand.Type] = [
        Init.self, Id.self, Put.self, Get.self, Delete.self, Incr.self, SAdd.self, SRem.self, Keys.self, Admin.self,
    ]
}

/// The options every command that talks to a running node takes: where its admin socket is.
struct ClientOptions: ParsableArguments {
    /// The exit statuses of client commands (see ``CommandFailure/Code``), for their help text.
    static let exitStatusHelp = """
        Exit status: 0 done; 1 the node refused (its message is on stderr: a missing key, an \
        unknown tenant, a type mismatch); 2 no usable answer from the admin socket; 3 a config \
        or key file problem; 64 bad usage.
        """

    @Option(help: ArgumentHelp("The node's admin socket (instead of reading it from the config).", valueName: "path"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "The node's config file; its admin_socket is used (default: $LATTICE_CONFIG, else ./lattice.toml).",
            valueName: "file"
        )
    )
    var config: String?

    func validate() throws {
        if socket != nil && config != nil {
            throw ValidationError("give --socket or --config, not both")
        }
    }

    /// A client of the node's admin socket: `--socket`, else the config's `admin_socket`.
    func client() throws(CommandFailure) -> NodeClient {
        if let socket {
            return NodeClient(socketPath: socket, configPath: nil)
        }
        let loaded = try ConfigFile.load(config)
        return NodeClient(socketPath: loaded.adminSocket, configPath: ConfigFile.locate(config).path)
    }
}
