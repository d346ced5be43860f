#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes the admin socket's surroundings safe before binding: the directory exists with
/// mode 0700 and belongs to this process's user; a stale socket file is removed only once
/// a connect probe shows nobody is listening on it.
enum AdminSocketPreparation {
    static func prepare(socketPath: String) throws(AdminServerError) {
        guard socketPath.utf8.count <= ConfigLimits.unixSocketPathBytesMax else {
            throw AdminServerError(
                .pathTooLong,
                "\(socketPath) is \(socketPath.utf8.count) bytes; a Unix socket path holds at most"
                    + " \(ConfigLimits.unixSocketPathBytesMax); choose a shorter admin_socket"
            )
        }
        try prepareDirectory(PathResolution.directory(of: socketPath))
        try removeStaleSocket(socketPath)
    }

    /// Creates the directory (0700) when missing; refuses one that others can enter or list.
    static func prepareDirectory(_ directory: String) throws(AdminServerError) {
        var status = stat()
        if lstat(directory, &status) != 0 {
            guard errno == ENOENT else { throw systemError("cannot inspect \(directory)") }
            try makeDirectories(directory)
            guard lstat(directory, &status) == 0 else { throw systemError("cannot inspect \(directory)") }
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw AdminServerError(
                .unsafeDirectory,
                "\(directory) is not a directory; the admin socket needs a directory of its own"
                    + " (mode 0700); choose another admin_socket"
            )
        }
        guard status.st_uid == geteuid() else {
            throw AdminServerError(
                .unsafeDirectory,
                "\(directory) belongs to uid \(status.st_uid), not to this process's uid \(geteuid());"
                    + " run: chown \(geteuid()) \(directory), or choose another admin_socket"
            )
        }
        let mode = status.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw AdminServerError(
                .unsafeDirectory,
                "\(directory) has mode 0\(String(mode, radix: 8)), so other users can reach the admin socket;"
                    + " run: chmod 700 \(directory)"
            )
        }
    }

    /// `mkdir -p`: missing parents get 0755, the socket's own directory 0700 (set with
    /// chmod afterwards, so the umask cannot widen or narrow it).
    private static func makeDirectories(_ directory: String) throws(AdminServerError) {
        let parent = PathResolution.directory(of: directory)
        var status = stat()
        if parent != directory && lstat(parent, &status) != 0 {
            guard errno == ENOENT else { throw systemError("cannot inspect \(parent)") }
            try makeDirectories(parent)
            chmod(parent, 0o755)
        }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw systemError("cannot create \(directory)")
        }
        guard chmod(directory, 0o700) == 0 else { throw systemError("cannot chmod 700 \(directory)") }
    }

    /// Removes a socket file nobody listens on; refuses when someone does or when the path
    /// holds something else.
    static func removeStaleSocket(_ path: String) throws(AdminServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            guard errno == ENOENT else { throw systemError("cannot inspect \(path)") }
            return
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw AdminServerError(
                .notASocket,
                "\(path) exists and is not a socket; remove it or choose another admin_socket"
            )
        }
        switch probe(path) {
        case .listening:
            throw AdminServerError(
                .socketInUse,
                "another node is listening on \(path); stop it or choose another admin_socket"
            )
        case .refused:
            guard unlink(path) == 0 || errno == ENOENT else { throw systemError("cannot remove stale socket \(path)") }
        case .failed(let code):
            throw AdminServerError(
                .system,
                "cannot tell whether anyone listens on \(path): \(POSIX.describe(code)); remove it if no node runs"
            )
        }
    }

    enum ProbeResult: Equatable {
        case listening
        case refused
        case failed(Int32)
    }

    /// Connects to the socket and disconnects at once. `ECONNREFUSED` means a socket file
    /// with no listener behind it (its process died).
    static func probe(_ path: String) -> ProbeResult {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        guard UnixAddress.fill(&address, path: path) else { return .failed(ENAMETOOLONG) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .listening }
        let code = errno
        return code == ECONNREFUSED ? .refused : .failed(code)
    }

    private static func systemError(_ what: String) -> AdminServerError {
        AdminServerError(.system, "\(what): \(POSIX.describe(errno))")
    }
}

/// Filling `sockaddr_un` from a path.
enum UnixAddress {
    /// Copies `path` and a NUL into `sun_path`; false when it does not fit.
    static func fill(_ address: inout sockaddr_un, path: String) -> Bool {
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            raw.copyBytes(from: bytes)
        }
        return true
    }
}
