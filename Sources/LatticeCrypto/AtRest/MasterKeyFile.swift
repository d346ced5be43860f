#if canImport(Glibc)
import Glibc
#endif

/// A node's master key: 32 random bytes kept in a key file that only its owner may read.
///
/// The file holds the key as 64 lowercase hex digits and a newline. It must have mode 0600
/// (or stricter) and belong to the user the node runs as: a key file that group or others can
/// read, or that another user owns (and so could loosen or replace), is refused with the command
/// that fixes it, because a master key that leaked through a loose mode protects nothing.
///
/// The master key never encrypts data itself; ``subkey(_:)`` derives one key per purpose.
public struct MasterKey: Sendable {
    /// Master key length (32 bytes).
    public static let keyBytes = 32
    /// Largest key file accepted: 64 hex digits plus a line ending, with room for a stray `\r`.
    static let fileBytesMax = 2 * keyBytes + 2

    let secret: SecretBytes

    /// A master key from raw bytes (tests, and callers that keep the key elsewhere).
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.keyBytes else {
            throw CryptoError(.invalidKeyLength, "master key has \(secret.count) bytes; it must have 32")
        }
        self.secret = secret
    }

    /// A 32-byte key for one purpose, derived from the master key (see ``KeyDerivation``).
    public func subkey(_ label: String) -> SecretBytes {
        KeyDerivation.subkey(of: secret, label: label)
    }

    /// Creates a new random master key at `path` (mode 0600; the file must not exist yet).
    @discardableResult
    public static func generate(at path: String) throws(CryptoError) -> MasterKey {
        let key = try MasterKey(SecretBytes(randomCount: keyBytes))
        var text = hexLine(key.secret)
        defer { wipe(&text) }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError(path, "cannot be created", errno) }
        defer { close(fd) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else { throw fileError(path, "cannot be written", errno) }
        // The new name must survive a power loss too, or the key is lost with data sealed under it.
        try syncDirectory(of: path)
        return key
    }

    private static func syncDirectory(of path: String) throws(CryptoError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fileError(path, "has a directory that cannot be opened", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw fileError(path, "has a directory that cannot be flushed to disk", errno) }
    }

    /// Reads the master key at `path`, refusing a file that group or others can access.
    public static func load(from path: String) throws(CryptoError) -> MasterKey {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw fileError(path, "cannot be opened", errno, fix: "create one with 'lattice init' or check the path")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError(path, "cannot be inspected", errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CryptoError(.keyFile, "master key file \(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw CryptoError(
                .keyFile,
                "master key file \(path) belongs to uid \(info.st_uid), not to uid \(geteuid()) that this node runs "
                    + "as; another user could read or replace it. Fix it with: chown \(geteuid()) \(path)"
            )
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CryptoError(
                .keyFile,
                "master key file \(path) has mode \(octal(mode)); group and others must have no access. "
                    + "Fix it with: chmod 600 \(path)"
            )
        }
        var text = [UInt8](repeating: 0, count: fileBytesMax + 1)
        defer { wipe(&text) }
        let count = text.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw fileError(path, "cannot be read", errno) }
        return try MasterKey(parse(text[..<count], path: path))
    }

    private static func parse(_ text: ArraySlice<UInt8>, path: String) throws(CryptoError) -> SecretBytes {
        var digits = Array(text)
        defer { wipe(&digits) }
        while let last = digits.last, last == 0x0a || last == 0x0d { digits.removeLast() }
        let malformed = CryptoError(
            .keyFile,
            "master key file \(path) must hold exactly 64 hex digits (32 bytes) and a newline"
        )
        guard digits.count == 2 * keyBytes else { throw malformed }
        var key = SecretBytes(zeroedCount: keyBytes)
        let ok = key.withUnsafeMutableBytes { out in
            for i in 0..<keyBytes {
                guard let hi = nibble(digits[2 * i]), let lo = nibble(digits[2 * i + 1]) else { return false }
                out[i] = hi << 4 | lo
            }
            return true
        }
        guard ok else { throw malformed }
        return key
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The key as 64 lowercase hex digits and a newline, built without an intermediate `String`
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

    private static func fileError(_ path: String, _ what: String, _ err: Int32, fix: String? = nil) -> CryptoError {
        let reason = String(cString: strerror(err))
        return CryptoError(.keyFile, "master key file \(path) \(what): \(reason)" + (fix.map { "; \($0)" } ?? ""))
    }
}
