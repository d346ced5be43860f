#if canImport(Glibc)
import Glibc
#endif

/// The file format of Lattice's secret keys (`master.key`, `node.key`): the key as lowercase hex
/// digits and a newline, in a regular file of mode 0600 owned by the user running the node.
///
/// Reading refuses a file that group or others can access, or that another user owns, naming the
/// command that fixes it. Writing creates the file exclusively with mode 0600, fsyncs it and its
/// directory (so a key reported as created survives a crash), and wipes every buffer that held
/// the key.
public enum SecretKeyFile {
    /// Largest key accepted, in bytes; files are read with a bound of twice this plus a line ending.
    public static let keyBytesMax = 64

    /// Creates `path` holding `key`; fails if the file exists. `what` names the file in errors.
    public static func write(_ key: SecretBytes, to path: String, what: String) throws(CryptoError) {
        var text = hexLine(key)
        defer { wipe(&text) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError(what, path, "cannot be created", errno) }
        defer { close(fd) }
        let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else { throw fileError(what, path, "cannot be written", errno) }
        try syncDirectory(of: path, what: what)
    }

    /// Reads a key of exactly `bytes` bytes from `path`.
    public static func read(from path: String, bytes: Int, what: String) throws(CryptoError) -> SecretBytes {
        precondition(bytes <= keyBytesMax, "SecretKeyFile: keys are at most \(keyBytesMax) bytes")
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw fileError(
                what,
                path,
                "cannot be opened",
                errno,
                fix: "create one with 'lattice init' or check the path"
            )
        }
        defer { close(fd) }
        try checkOwnership(fd, path: path, what: what)
        var text = [UInt8](repeating: 0, count: 2 * bytes + 3)
        defer { wipe(&text) }
        let count = text.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw fileError(what, path, "cannot be read", errno) }
        return try parse(text[..<count], bytes: bytes, path: path, what: what)
    }

    private static func checkOwnership(_ fd: Int32, path: String, what: String) throws(CryptoError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError(what, path, "cannot be inspected", errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CryptoError(.keyFile, "\(what) \(path) is not a regular file; point the config at the key file")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CryptoError(
                .keyFile,
                "\(what) \(path) has mode \(octal(mode)); group and others must have no access. "
                    + "Fix it with: chmod 600 \(path)"
            )
        }
        guard info.st_uid == geteuid() else {
            throw CryptoError(
                .keyFile,
                "\(what) \(path) belongs to uid \(info.st_uid), not to the user running the node (uid \(geteuid())); "
                    + "run the node as its owner, or fix it with: chown \(geteuid()) \(path)"
            )
        }
    }

    private static func parse(
        _ text: ArraySlice<UInt8>,
        bytes: Int,
        path: String,
        what: String
    ) throws(CryptoError) -> SecretBytes {
        var digits = Array(text)
        defer { wipe(&digits) }
        while let last = digits.last, last == 0x0a || last == 0x0d { digits.removeLast() }
        let malformed = CryptoError(
            .keyFile,
            "\(what) \(path) must hold exactly \(2 * bytes) hex digits (\(bytes) bytes) and a newline"
        )
        guard digits.count == 2 * bytes else { throw malformed }
        var key = SecretBytes(zeroedCount: bytes)
        let ok = key.withUnsafeMutableBytes { out in
            for i in 0..<bytes {
                guard let hi = nibble(digits[2 * i]), let lo = nibble(digits[2 * i + 1]) else { return false }
                out[i] = hi << 4 | lo
            }
            return true
        }
        guard ok else { throw malformed }
        return key
    }

    /// Makes the new directory entry durable.
    private static func syncDirectory(of path: String, what: String) throws(CryptoError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fileError(what, path, "directory cannot be opened to sync", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw fileError(what, path, "directory cannot be synced", errno) }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The key as lowercase hex digits and a newline, built without an intermediate `String`
    /// so the caller can wipe every copy.
    private static func hexLine(_ key: SecretBytes) -> [UInt8] {
        let table = Array("0123456789abcdef".utf8)
        return key.withUnsafeBytes { raw in
            var out = [UInt8]()
            out.reserveCapacity(raw.count * 2 + 1)
            for b in raw {
                out.append(table[Int(b >> 4)])
                out.append(table[Int(b & 0x0f)])
            }
            out.append(0x0a)
            return out
        }
    }

    private static func octal(_ mode: mode_t) -> String {
        let s = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = 0 }
    }

    private static func fileError(
        _ what: String,
        _ path: String,
        _ action: String,
        _ err: Int32,
        fix: String? = nil
    ) -> CryptoError {
        let reason = String(cString: strerror(err))
        return CryptoError(.keyFile, "\(what) \(path) \(action): \(reason)" + (fix.map { "; \($0)" } ?? ""))
    }
}

extension X25519KeyPair {
    /// Creates a node key file at `path` holding a new static key pair (see ``SecretKeyFile``).
    public static func generate(at path: String) throws(CryptoError) -> X25519KeyPair {
        let pair = X25519KeyPair.generate()
        try SecretKeyFile.write(pair.privateKey, to: path, what: "node key file")
        return pair
    }

    /// Reads the node key file at `path`.
    public static func load(from path: String) throws(CryptoError) -> X25519KeyPair {
        try X25519KeyPair(privateKey: SecretKeyFile.read(from: path, bytes: X25519.keyBytes, what: "node key file"))
    }
}
