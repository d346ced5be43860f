#if canImport(Glibc)
import Glibc
#endif

/// Small files replaced atomically and durably, whose previous contents are overwritten.
///
/// ``replace(_:with:)`` writes the new contents to `path.tmp`, `fsync`s it, renames it over
/// `path` and `fsync`s the directory (so the rename itself survives a power loss), then zeroes
/// the previous version in place through a descriptor opened before the rename and `fsync`s
/// that. A reader therefore always finds the old or the new contents, never a mix, and once the
/// call returns the old bytes are in no file of the directory.
///
/// Limits of the overwrite: it reaches the blocks the file system gave the old version. On ext4
/// and XFS (overwrite in place) those are the blocks that held the bytes; on a copy-on-write file
/// system (btrfs, ZFS) or through an SSD's wear levelling the old bytes may survive below the file
/// system until reused. A crash between the rename and the overwrite leaves the old version
/// only as an unlinked inode the file system frees at recovery.
enum DurableFile {
    /// Suffix of the temporary file a replacement is written to first.
    static let temporarySuffix = ".tmp"

    /// Replaces the contents of `path` with `bytes` (mode 0600), as described above.
    static func replace(_ path: String, with bytes: [UInt8]) throws(StoreError) {
        let temporary = path + temporarySuffix
        try write(temporary, bytes)
        // Opened before the rename: afterwards the name points at the new version.
        let previous = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        defer { if previous >= 0 { close(previous) } }
        guard rename(temporary, path) == 0 else { throw ioError(errno, "renaming \(temporary) to \(path)") }
        try syncDirectory(of: path)
        if previous >= 0 { try zero(previous, what: "the previous version of \(path)") }
    }

    /// Overwrites a leftover temporary file of an interrupted ``replace(_:with:)`` and removes it.
    static func removeLeftover(_ path: String) throws(StoreError) {
        let temporary = path + temporarySuffix
        let fd = open(temporary, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw ioError(errno, "opening the leftover \(temporary)")
        }
        defer { close(fd) }
        try zero(fd, what: "the leftover \(temporary)")
        guard unlink(temporary) == 0 else { throw ioError(errno, "removing the leftover \(temporary)") }
        try syncDirectory(of: path)
    }

    /// The contents of `path`, refusing files larger than `bytesMax`; `nil` if it does not exist.
    static func read(_ path: String, bytesMax: Int) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw ioError(errno, "opening \(path)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(errno, "inspecting \(path)") }
        guard info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) <= bytesMax else {
            throw StoreError(
                .corrupted,
                "\(path) is not a regular file of at most \(bytesMax) bytes; it is damaged. Restore it from a backup"
            )
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            guard n > 0 else { throw ioError(n < 0 ? errno : EIO, "reading \(path)") }
            done += n
        }
        return bytes
    }

    // MARK: POSIX steps

    private static func write(_ path: String, _ bytes: [UInt8]) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ioError(errno, "creating \(path)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else { throw ioError(n < 0 ? errno : EIO, "writing \(path)") }
            done += n
        }
        guard fsync(fd) == 0 else { throw ioError(errno, "flushing \(path) to disk") }
    }

    /// Overwrites the whole file behind `fd` with zeros and flushes it.
    private static func zero(_ fd: Int32, what: String) throws(StoreError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ioError(errno, "inspecting \(what)") }
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        while offset < Int(info.st_size) {
            let count = min(zeros.count, Int(info.st_size) - offset)
            let n = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, count, off_t(offset)) }
            guard n > 0 else { throw ioError(n < 0 ? errno : EIO, "overwriting \(what)") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw ioError(errno, "flushing the overwrite of \(what)") }
    }

    private static func syncDirectory(of path: String) throws(StoreError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(errno, "opening directory \(directory)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError(errno, "flushing directory \(directory) to disk") }
    }

    private static func ioError(_ code: Int32, _ what: String) -> StoreError {
        StoreError(.io, "\(what): \(String(cString: strerror(code)))", returnCode: code)
    }
}
