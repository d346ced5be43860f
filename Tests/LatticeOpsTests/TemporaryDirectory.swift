import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`. Paths stay short
/// because Unix socket paths are limited to 107 bytes.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let template = "/tmp/lattice-ops-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws {
        let target = file(name)
        try text.write(toFile: target, atomically: false, encoding: .utf8)
        chmod(target, mode)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
