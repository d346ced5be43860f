#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks that a secret key file cannot be read by other users. A missing file is fine
/// here (`lattice init` creates it, mode 0600); an existing one must be a regular file
/// with no group or other permission bits.
enum KeyFileCheck {
    static func check(_ file: Located<String>) throws(ConfigError) {
        var status = stat()
        guard stat(file.value, &status) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw ConfigError(
                .unreadable,
                "\(file.location): cannot inspect \(file.value): \(String(cString: strerror(code)));"
                    + " check the path and the permissions of its directories"
            )
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ConfigError(
                .unsafeKeyFile,
                "\(file.location): \(file.value) is not a regular file; point it at the key file"
            )
        }
        let mode = status.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            let octal = String(mode, radix: 8)
            throw ConfigError(
                .unsafeKeyFile,
                "\(file.location): key file \(file.value) has mode 0\(octal), so other users can read or change it;"
                    + " run: chmod 600 \(file.value)"
            )
        }
    }
}
