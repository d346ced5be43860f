/// Limits on what a configuration may hold. The loader checks each before it reads or
/// allocates more, so a wrong file (a log, a core dump given by mistake) fails fast.
public enum ConfigLimits {
    /// The config file, in bytes. A config with `peersMax` peers and `tenantsMax` tenants
    /// needs well under 1 MiB; anything larger is not a hand-written config.
    public static let fileBytesMax = 1 << 20
    /// `[[peers]]` entries. Peers are listed by hand and each gets a connection; past about
    /// a thousand, a static full mesh is the wrong tool (membership gossip is).
    public static let peersMax = 1024
    /// `[[tenants]]` entries. Each tenant gets its own LMDB named database, and LMDB's
    /// `maxdbs` is fixed when the environment opens, so the count must be bounded.
    public static let tenantsMax = 4096
    /// A tenant id, in UTF-8 bytes. Ids appear in URLs, metrics labels and database names.
    public static let tenantIDBytesMax = 64
    /// The network name, in UTF-8 bytes. It is part of the Noise prologue, which must stay short.
    public static let networkNameBytesMax = 64
    /// A peer's display name, in UTF-8 bytes. It appears in logs and tables only.
    public static let peerNameBytesMax = 128
    /// A host name in an address, in bytes (RFC 1035 section 2.3.4: 253 characters for a name).
    public static let hostBytesMax = 253
    /// A Unix socket path, in bytes: `sun_path` in `sockaddr_un` holds 108 bytes on Linux,
    /// one of which is the terminating NUL.
    public static let unixSocketPathBytesMax = 107
    /// Tables and arrays nested inside each other. toml++ stops at 256 itself; Lattice's own
    /// schema needs depth 3, so anything deeper is refused before it is walked.
    public static let nestingDepthMax = 32
}
